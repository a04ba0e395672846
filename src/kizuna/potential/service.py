"""Expansion potential use cases: record (create / update / upsert / remove), read with live
evidence, the white-space matrix and the totals by product, tier or owner.

Reading needs SALES_READ (and the account must be visible: ``access_account``); changing
needs PIPELINE_WRITE. Every change is audited as ``expansion_potential``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_datetime
from kizuna.health.signals.history import load_history, signal_frame
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.activity import Activity
from kizuna.models.enums import ProductKind, Tier
from kizuna.models.health import HealthScore
from kizuna.models.potential import (
    ExpansionPotential,
    PotentialConfidence,
    expansion_potential_activity,
)
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import User
from kizuna.potential import rules
from kizuna.potential.schemas import (
    Evidence,
    LinkedActivity,
    Matrix,
    MatrixCell,
    MatrixFilters,
    MatrixProduct,
    MatrixRow,
    PotentialCreate,
    PotentialFilters,
    PotentialOut,
    PotentialUpdate,
    TotalRow,
    Totals,
    TotalsBy,
)

OBJECT = "expansion_potential"
_AUDITED = ("seats", "mrr_amount", "currency", "confidence", "expected_on", "note")
_KIND_ORDER = {
    ProductKind.BASE_PLAN: 0,
    ProductKind.OPTION: 1,
    ProductKind.ADD_ON: 2,
    ProductKind.SERVICE: 3,
}
EVIDENCE_SIGNALS = ("seat_activation", "days_to_renewal")
RECENT_ACTIVITIES = 30
_creator = aliased(User, name="creator")
_updater = aliased(User, name="updater")


# ------------------------------------------------------------------------------ reading


def _select() -> Select[*tuple[Any, ...]]:
    return (
        select(
            ExpansionPotential,
            Account.name.label("account_name"),
            Account.tier.label("account_tier"),
            Product.code.label("product_code"),
            Product.name.label("product_name"),
            Product.name_en.label("product_name_en"),
            _creator.name.label("created_by_name"),
            _updater.name.label("updated_by_name"),
        )
        .join(Account, Account.id == ExpansionPotential.account_id)
        .join(Product, Product.id == ExpansionPotential.product_id)
        .outerjoin(_creator, _creator.id == ExpansionPotential.created_by_id)
        .outerjoin(_updater, _updater.id == ExpansionPotential.updated_by_id)
    )


def _activities(
    session: Session, potential_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[LinkedActivity]]:
    if not potential_ids:
        return {}
    link = expansion_potential_activity
    rows = session.execute(
        select(
            link.c.potential_id, Activity.id, Activity.kind, Activity.subject, Activity.occurred_at
        )
        .join(Activity, Activity.id == link.c.activity_id)
        .where(link.c.potential_id.in_(potential_ids))
        .order_by(Activity.occurred_at.desc())
    ).all()
    out: dict[uuid.UUID, list[LinkedActivity]] = {}
    for pid, aid, kind, subject, occurred_at in rows:
        out.setdefault(pid, []).append(
            LinkedActivity(id=aid, kind=kind.value, subject=subject, occurred_at=occurred_at)
        )
    return out


def _to_out(row: Any, activities: list[LinkedActivity]) -> PotentialOut:
    p: ExpansionPotential = row[0]
    return PotentialOut(
        id=p.id,
        account_id=p.account_id,
        account_name=row.account_name,
        account_tier=row.account_tier,
        product_id=p.product_id,
        product_code=row.product_code,
        product_name=row.product_name,
        product_name_en=row.product_name_en or "",
        seats=p.seats,
        mrr_amount=p.mrr_amount,
        currency=p.currency,
        confidence=p.confidence,
        confidence_percent=rules.percent(p.confidence),
        weighted_mrr_amount=rules.weighted(p.mrr_amount, p.confidence),
        expected_on=p.expected_on,
        note=p.note,
        activities=activities,
        created_by_name=row.created_by_name,
        updated_by_name=row.updated_by_name,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _outs(session: Session, rows: Sequence[Any]) -> list[PotentialOut]:
    links = _activities(session, [r[0].id for r in rows])
    return [_to_out(r, links.get(r[0].id, [])) for r in rows]


def access_potential(
    session: Session, actor: Actor, potential_id: uuid.UUID, *, write: bool = False
) -> ExpansionPotential:
    """The potential if ``actor`` may see it (and change it, with ``write``); else the same
    NotFound for missing and not visible."""
    actor.require(Permission.SALES_READ)
    potential = session.get(ExpansionPotential, potential_id)
    if potential is None:
        raise NotFound("potential not found")
    try:
        access_account(session, actor, potential.account_id)
    except NotFound:
        raise NotFound("potential not found") from None
    if write:
        actor.require(Permission.PIPELINE_WRITE)
    return potential


def get_potential(
    session: Session,
    actor: Actor,
    potential_id: uuid.UUID,
    *,
    today: date | None = None,
    zone: str = "Asia/Tokyo",
    data_dir: Path | None = None,
) -> PotentialOut:
    """One potential; with ``today`` and ``data_dir`` also its live evidence."""
    access_potential(session, actor, potential_id)
    out = _outs(
        session, session.execute(_select().where(ExpansionPotential.id == potential_id)).all()
    )[0]
    if today is not None and data_dir is not None:
        found = evidence(
            session, out.account_id, [out.product_id], today=today, zone=zone, data_dir=data_dir
        )
        out.evidence = found[out.product_id]
    return out


def _filtered(
    stmt: Select[*tuple[Any, ...]], filters: PotentialFilters
) -> Select[*tuple[Any, ...]]:
    if filters.account_id is not None:
        stmt = stmt.where(ExpansionPotential.account_id == filters.account_id)
    if filters.product_id is not None:
        stmt = stmt.where(ExpansionPotential.product_id == filters.product_id)
    if filters.confidence is not None:
        stmt = stmt.where(ExpansionPotential.confidence == filters.confidence)
    if filters.tier is not None:
        stmt = stmt.where(Account.tier == filters.tier)
    if filters.owner_id is not None:
        stmt = stmt.where(Account.csm_owner_id == filters.owner_id)
    return stmt


SORT_FIELDS = {
    "created_at": SortField(ExpansionPotential.created_at, parse=parse_datetime),
    "updated_at": SortField(ExpansionPotential.updated_at, parse=parse_datetime),
    "mrr": SortField(ExpansionPotential.mrr_amount, parse=int),
    "account": SortField(Account.name),
}


def list_potentials(
    session: Session,
    actor: Actor,
    filters: PotentialFilters,
    *,
    sort: str = "-mrr",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[PotentialOut]:
    actor.require(Permission.SALES_READ)
    actor.require(Permission.ACCOUNT_READ)
    page = keyset_page(
        session,
        _filtered(_select(), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=ExpansionPotential.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: row,
    )
    return Page(items=_outs(session, page.items), next_cursor=page.next_cursor)


def account_potentials(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    *,
    today: date,
    zone: str,
    data_dir: Path,
) -> list[PotentialOut]:
    """The account's potential per product (largest first), each with live evidence."""
    actor.require(Permission.SALES_READ)
    access_account(session, actor, account_id)
    rows = session.execute(
        _select()
        .where(ExpansionPotential.account_id == account_id)
        .order_by(ExpansionPotential.mrr_amount.desc(), Product.code)
    ).all()
    outs = _outs(session, rows)
    if outs:
        found = evidence(
            session,
            account_id,
            [o.product_id for o in outs],
            today=today,
            zone=zone,
            data_dir=data_dir,
        )
        for out in outs:
            out.evidence = found[out.product_id]
    return outs


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def evidence(
    session: Session,
    account_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
    *,
    today: date,
    zone: str,
    data_dir: Path,
) -> dict[uuid.UUID, Evidence]:
    """Live evidence of ``account_id`` for each product: the account's seat activation and
    days to renewal (the health signals, as of today: the values the scorecards, segments
    and playbooks read), its stored health score and band, and the seats on its active
    lines of each product. The caller checked access."""
    history = load_history(
        session,
        data_dir=data_dir,
        zone=zone,
        today=today,
        columns=list(EVIDENCE_SIGNALS),
        since=today,
    )
    frame = signal_frame(history, [str(account_id)], [today], list(EVIDENCE_SIGNALS))
    signals = {k: _number(frame.values[k][0]) for k in EVIDENCE_SIGNALS}
    health = session.execute(
        select(HealthScore.score, HealthScore.band).where(HealthScore.account_id == account_id)
    ).first()
    held = dict(
        session.execute(
            select(Subscription.product_id, func.sum(Subscription.quantity))
            .where(
                Subscription.account_id == account_id,
                Subscription.product_id.in_(product_ids),
                *_active_on(today),
            )
            .group_by(Subscription.product_id)
        ).all()
    )
    return {
        pid: Evidence(
            seat_activation=signals["seat_activation"],
            product_seats=int(held.get(pid) or 0),
            owned=pid in held,
            health_score=_number(health.score) if health else None,
            health_band=health.band if health else None,
            days_to_renewal=signals["days_to_renewal"],
        )
        for pid in product_ids
    }


def recent_activities(
    session: Session, actor: Actor, account_id: uuid.UUID, *, limit: int = RECENT_ACTIVITIES
) -> list[LinkedActivity]:
    """The account's newest activities: what the evidence picker offers."""
    access_account(session, actor, account_id)
    rows = session.execute(
        select(Activity.id, Activity.kind, Activity.subject, Activity.occurred_at)
        .where(Activity.account_id == account_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    return [
        LinkedActivity(id=r.id, kind=r.kind.value, subject=r.subject, occurred_at=r.occurred_at)
        for r in rows
    ]


# ------------------------------------------------------------------------------ writing


def _product(session: Session, product_id: uuid.UUID, *, new: bool) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise Invalid.field("product_id", "no such product", code="unknown_product")
    if new and not product.is_active:
        raise Invalid.field(
            "product_id", "the product is not sold any more", code="inactive_product"
        )
    return product


def _check_activities(
    session: Session, account_id: uuid.UUID, activity_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(activity_ids))
    if not wanted:
        return []
    found = set(
        session.scalars(
            select(Activity.id).where(Activity.id.in_(wanted), Activity.account_id == account_id)
        )
    )
    problems = [
        FieldProblem(
            ("body", "activity_ids", n), "unknown_activity", "not an activity of the account"
        )
        for n, aid in enumerate(wanted)
        if aid not in found
    ]
    if problems:
        raise Invalid(problems)
    return wanted


def _linked(session: Session, potential_id: uuid.UUID) -> list[uuid.UUID]:
    link = expansion_potential_activity
    return list(
        session.scalars(
            select(link.c.activity_id)
            .where(link.c.potential_id == potential_id)
            .order_by(link.c.activity_id)
        )
    )


def _link(session: Session, potential_id: uuid.UUID, activity_ids: list[uuid.UUID]) -> None:
    link = expansion_potential_activity
    session.execute(delete(link).where(link.c.potential_id == potential_id))
    if activity_ids:
        session.execute(
            insert(link), [{"potential_id": potential_id, "activity_id": a} for a in activity_ids]
        )


def _summary(account: Account, product: Product) -> str:
    return f"{account.name} × {product.code}"


def create_potential(session: Session, actor: Actor, data: PotentialCreate) -> ExpansionPotential:
    """A new potential; 409 when the account already has one for the product."""
    actor.require(Permission.PIPELINE_WRITE)
    actor.require(Permission.SALES_READ)
    account = access_account_for_input(session, actor, data.account_id)
    product = _product(session, data.product_id, new=True)
    exists = session.scalar(
        select(ExpansionPotential.id).where(
            ExpansionPotential.account_id == account.id,
            ExpansionPotential.product_id == product.id,
        )
    )
    if exists is not None:
        raise Conflict(
            "this account already has potential for this product; update it",
            code="duplicate_potential",
            potential_id=str(exists),
        )
    activity_ids = _check_activities(session, account.id, data.activity_ids)
    potential = ExpansionPotential(
        account_id=account.id,
        product_id=product.id,
        seats=data.seats,
        mrr_amount=data.mrr_amount,
        currency=data.currency or account.currency,
        confidence=data.confidence,
        expected_on=rules.month_start(data.expected_on) if data.expected_on else None,
        note=data.note,
        created_by_id=actor.user_id,
        updated_by_id=actor.user_id,
    )
    session.add(potential)
    session.flush()
    _link(session, potential.id, activity_ids)
    changes = audit.snapshot(potential, ("account_id", "product_id", *_AUDITED))
    if activity_ids:
        changes["activity_ids"] = [None, [str(a) for a in activity_ids]]
    audit.record(
        session, actor, "potential.created", OBJECT, potential.id,
        summary=_summary(account, product), changes=changes,
    )  # fmt: skip
    return potential


def update_potential(
    session: Session, actor: Actor, potential_id: uuid.UUID, data: PotentialUpdate
) -> ExpansionPotential:
    potential = access_potential(session, actor, potential_id, write=True)
    sent = data.model_fields_set
    values: dict[str, Any] = {}
    for name in ("seats", "currency", "expected_on", "note", "mrr_amount", "confidence"):
        if name in sent:
            values[name] = getattr(data, name)
    for required in ("mrr_amount", "confidence", "currency", "note"):
        if required in values and values[required] is None:
            raise Invalid.field(required, "may not be empty", code="missing")
    if values.get("expected_on") is not None:
        values["expected_on"] = rules.month_start(values["expected_on"])
    changes = audit.apply_changes(potential, values)
    if "activity_ids" in sent and data.activity_ids is not None:
        before = _linked(session, potential.id)
        after = _check_activities(session, potential.account_id, data.activity_ids)
        if sorted(before) != sorted(after):
            _link(session, potential.id, after)
            changes["activity_ids"] = [[str(a) for a in before], [str(a) for a in after]]
    if changes:
        potential.updated_by_id = actor.user_id
        session.flush()
        account = session.get(Account, potential.account_id)
        product = session.get(Product, potential.product_id)
        assert account is not None
        assert product is not None
        audit.record(
            session, actor, "potential.updated", OBJECT, potential.id,
            summary=_summary(account, product), changes=changes,
        )  # fmt: skip
    return potential


def set_potential(session: Session, actor: Actor, data: PotentialCreate) -> ExpansionPotential:
    """Create, or update every field of, the account's potential for the product."""
    actor.require(Permission.PIPELINE_WRITE)
    account = access_account_for_input(session, actor, data.account_id)
    existing = session.scalar(
        select(ExpansionPotential).where(
            ExpansionPotential.account_id == account.id,
            ExpansionPotential.product_id == data.product_id,
        )
    )
    if existing is None:
        return create_potential(session, actor, data)
    fields = data.model_dump(exclude={"account_id", "product_id"})
    fields["currency"] = data.currency or existing.currency
    return update_potential(session, actor, existing.id, PotentialUpdate.model_validate(fields))


def delete_potential(session: Session, actor: Actor, potential_id: uuid.UUID) -> None:
    potential = access_potential(session, actor, potential_id, write=True)
    account = session.get(Account, potential.account_id)
    product = session.get(Product, potential.product_id)
    assert account is not None
    assert product is not None
    audit.record(
        session, actor, "potential.deleted", OBJECT, potential.id,
        summary=_summary(account, product),
        changes={k: [audit.json_safe(getattr(potential, k)), None] for k in _AUDITED},
    )  # fmt: skip
    session.delete(potential)
    session.flush()


def find_potential(
    session: Session, actor: Actor, account_id: uuid.UUID, product_id: uuid.UUID
) -> ExpansionPotential | None:
    """The account's potential for the product, if any (the account must be visible)."""
    actor.require(Permission.SALES_READ)
    access_account(session, actor, account_id)
    return session.scalar(
        select(ExpansionPotential).where(
            ExpansionPotential.account_id == account_id,
            ExpansionPotential.product_id == product_id,
        )
    )


# ----------------------------------------------------------------------- matrix and totals


def _active_on(day: date) -> tuple[Any, ...]:
    return (
        Subscription.start_on <= day,
        Subscription.end_on.is_(None) | (Subscription.end_on > day),
    )


def matrix_products(session: Session, kind: ProductKind | None = None) -> list[MatrixProduct]:
    """The matrix's columns: active products (and inactive ones with potential), base plans
    first, then options, add-ons and services, by code."""
    with_potential = select(ExpansionPotential.product_id).distinct()
    stmt = select(Product).where(Product.is_active.is_(True) | Product.id.in_(with_potential))
    if kind is not None:
        stmt = stmt.where(Product.kind == kind)
    products = sorted(session.scalars(stmt), key=lambda p: (_KIND_ORDER[p.kind], p.code))
    return [
        MatrixProduct(id=p.id, code=p.code, name=p.name, name_en=p.name_en or "", kind=p.kind)
        for p in products
    ]


def _accounts(
    filters: MatrixFilters, account_ids: set[uuid.UUID] | None
) -> Select[*tuple[Any, ...]]:
    csm = aliased(User, name="csm")
    stmt = (
        select(Account.id, Account.name, Account.tier, Account.currency, csm.name.label("csm"))
        .outerjoin(csm, csm.id == Account.csm_owner_id)
        .order_by(Account.name, Account.id)
    )
    if filters.tier is not None:
        stmt = stmt.where(Account.tier == filters.tier)
    if filters.owner_id is not None:
        stmt = stmt.where(Account.csm_owner_id == filters.owner_id)
    if filters.q:
        stmt = stmt.where(Account.name.contains(filters.q.strip(), autoescape=True))
    if filters.with_potential:
        stmt = stmt.where(Account.id.in_(select(ExpansionPotential.account_id)))
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(list(account_ids)))
    return stmt


def _rows(
    session: Session, accounts: Sequence[Any], products: list[MatrixProduct], today: date
) -> list[MatrixRow]:
    ids = [a.id for a in accounts]
    product_ids = [p.id for p in products]
    owned: set[tuple[uuid.UUID, uuid.UUID]] = set()
    potentials: dict[tuple[uuid.UUID, uuid.UUID], ExpansionPotential] = {}
    for chunk in _chunks(ids, 500):
        owned |= {
            (r[0], r[1])
            for r in session.execute(
                select(Subscription.account_id, Subscription.product_id)
                .where(Subscription.account_id.in_(chunk), *_active_on(today))
                .distinct()
            )
        }
        for p in session.scalars(
            select(ExpansionPotential).where(
                ExpansionPotential.account_id.in_(chunk),
                ExpansionPotential.product_id.in_(product_ids),
            )
        ):
            potentials[(p.account_id, p.product_id)] = p
    rows = []
    for a in accounts:
        cells = []
        for prod in products:
            key = (a.id, prod.id)
            pot = potentials.get(key)
            is_owned = key in owned
            cell = MatrixCell(
                product_id=prod.id,
                state=rules.cell_state(owned=is_owned, has_potential=pot is not None),
                owned=is_owned,
            )
            if pot is not None:
                cell.potential_id = pot.id
                cell.mrr_amount = pot.mrr_amount
                cell.currency = pot.currency
                cell.seats = pot.seats
                cell.confidence = pot.confidence
                cell.expected_on = pot.expected_on
            cells.append(cell)
        rows.append(
            MatrixRow(
                account_id=a.id,
                account_name=a.name,
                tier=a.tier,
                csm_name=a.csm,
                currency=a.currency,
                cells=cells,
            )
        )
    return rows


def _chunks(items: list[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def matrix(
    session: Session,
    actor: Actor,
    filters: MatrixFilters,
    *,
    today: date,
    account_ids: set[uuid.UUID] | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Matrix:
    """Accounts (rows, by name, ``per_page`` a page) × products (columns): owned (an active
    line today) / potential / none. ``account_ids`` restricts to a segment's members."""
    actor.require(Permission.SALES_READ)
    actor.require(Permission.ACCOUNT_READ)
    if not 1 <= per_page <= 500:
        raise Invalid(FieldProblem(("query", "per_page"), "out_of_range", "per_page must be 1–500"))
    products = matrix_products(session, filters.kind)
    stmt = _accounts(filters, account_ids)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    accounts = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Matrix(
        products=products,
        rows=_rows(session, accounts, products, today),
        total=total,
        page=page,
        pages=pages,
    )


def matrix_all(
    session: Session,
    actor: Actor,
    filters: MatrixFilters,
    *,
    today: date,
    account_ids: set[uuid.UUID] | None = None,
) -> Matrix:
    """Every row of the matrix (the CSV download)."""
    actor.require(Permission.SALES_READ)
    actor.require(Permission.ACCOUNT_READ)
    products = matrix_products(session, filters.kind)
    accounts = session.execute(_accounts(filters, account_ids)).all()
    rows = _rows(session, accounts, products, today)
    return Matrix(products=products, rows=rows, total=len(rows), page=1, pages=1)


@dataclass
class _Sum:
    label: str
    label_en: str
    count: int = 0
    seats: int = 0
    amount: int = 0
    weight_units: int = 0  # Σ amount × per-cent, divided by 100 once at the end


_TIER_LABELS = {
    Tier.TIER1: ("Tier 1", "Tier 1"),
    Tier.TIER2: ("Tier 2", "Tier 2"),
    Tier.TIER3: ("Tier 3", "Tier 3"),
}


def totals(
    session: Session,
    actor: Actor,
    *,
    by: TotalsBy | str = TotalsBy.PRODUCT,
    tier: Tier | None = None,
    owner_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    account_ids: set[uuid.UUID] | None = None,
) -> Totals:
    """Potential MRR summed by product, tier or owner (the account's CSM), one row per
    group and currency, unweighted and weighted by confidence (low 20 %, medium 50 %,
    high 80 %); largest first. ``grand`` sums every row per currency."""
    actor.require(Permission.SALES_READ)
    actor.require(Permission.ACCOUNT_READ)
    try:
        axis = TotalsBy(by)
    except ValueError:
        raise Invalid(
            FieldProblem(("query", "by"), "enum", "by must be product, tier or owner")
        ) from None
    csm = aliased(User, name="csm")
    stmt = (
        select(
            ExpansionPotential.mrr_amount,
            ExpansionPotential.currency,
            ExpansionPotential.confidence,
            ExpansionPotential.seats,
            Product.code,
            Product.name,
            Product.name_en,
            Account.tier,
            Account.csm_owner_id,
            csm.name.label("csm_name"),
        )
        .join(Account, Account.id == ExpansionPotential.account_id)
        .join(Product, Product.id == ExpansionPotential.product_id)
        .outerjoin(csm, csm.id == Account.csm_owner_id)
    )
    if tier is not None:
        stmt = stmt.where(Account.tier == tier)
    if owner_id is not None:
        stmt = stmt.where(Account.csm_owner_id == owner_id)
    if product_id is not None:
        stmt = stmt.where(ExpansionPotential.product_id == product_id)
    if account_ids is not None:
        stmt = stmt.where(ExpansionPotential.account_id.in_(list(account_ids)))
    groups: dict[tuple[str | None, str], _Sum] = {}
    grand: dict[str, _Sum] = {}
    for r in session.execute(stmt):
        key, label, label_en = _group_of(axis, r)
        target = groups.setdefault((key, r.currency), _Sum(label, label_en))
        everything = grand.setdefault(r.currency, _Sum("", ""))
        for s in (target, everything):
            s.count += 1
            s.seats += r.seats or 0
            s.amount += r.mrr_amount
            s.weight_units += r.mrr_amount * rules.percent(PotentialConfidence(r.confidence))
    rows = [_total_row(key, currency, s) for (key, currency), s in groups.items()]
    rows.sort(key=lambda t: (-t.mrr_amount, t.currency, t.label))
    return Totals(
        by=axis,
        rows=rows,
        grand=[_total_row(None, c, s) for c, s in sorted(grand.items())],
    )


def _group_of(axis: TotalsBy, r: Any) -> tuple[str | None, str, str]:
    if axis is TotalsBy.PRODUCT:
        return r.code, r.name, r.name_en or r.name
    if axis is TotalsBy.TIER:
        if r.tier is None:
            return None, "Tier なし", "No tier"
        ja, en = _TIER_LABELS[Tier(r.tier)]
        return Tier(r.tier).value, ja, en
    if r.csm_owner_id is None:
        return None, "担当なし", "No CSM"
    return str(r.csm_owner_id), r.csm_name, r.csm_name


def _total_row(key: str | None, currency: str, s: _Sum) -> TotalRow:
    return TotalRow(
        key=key,
        label=s.label,
        label_en=s.label_en,
        currency=currency,
        count=s.count,
        seats=s.seats,
        mrr_amount=s.amount,
        weighted_mrr_amount=rules.from_percent_units(s.weight_units),
    )


def csm_owners(session: Session) -> list[tuple[uuid.UUID, str]]:
    """Users who are the CSM of some account (the owner filter), by name."""
    owned = select(Account.csm_owner_id).where(Account.csm_owner_id.is_not(None))
    rows = session.execute(
        select(User.id, User.name).where(User.id.in_(owned)).order_by(User.name)
    ).all()
    return [(r[0], r[1]) for r in rows]
