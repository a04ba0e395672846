"""Hand-off use cases: create, edit, submit, accept, return; settings; lists and measures.

Reading needs SALES_READ and goes through ``access_account``; changing needs
PIPELINE_WRITE; the required-fields setting needs SALES_ADMIN. Services flush; the
entrypoint owns the transaction (accepting changes the hand-off, the account, publishes
``handoff.accepted`` and asks for a playbook run, all in the caller's transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kizuna.account import service as accounts
from kizuna.account.schemas import AccountCreate, AccountUpdate
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_date, parse_datetime
from kizuna.handoff import fields, metrics, rules
from kizuna.handoff.rules import Action
from kizuna.handoff.schemas import (
    TAB_STATUS,
    HandoffCreate,
    HandoffFilters,
    HandoffOut,
    HandoffSettingsIn,
    HandoffSettingsOut,
    HandoffUpdate,
    MetricsOut,
    MetricsReport,
    OwnerMetrics,
    Tab,
    Transition,
)
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.handoff import Handoff, HandoffSettings, HandoffStatus, HandoffTransition
from kizuna.models.product import Product
from kizuna.models.user import User
from kizuna.outbox import service as outbox
from kizuna.scheduler import service as scheduler

EVENT_KIND = "handoff.accepted"
PLAYBOOK_JOB = "playbooks.evaluate"  # = kizuna.playbook.schedule.EVALUATE_JOB
PLAYBOOK_DELAY = timedelta(seconds=30)

# Record attributes written from the content (HandoffContent) and the basics.
CONTENT = (
    "mrr_amount",
    "purpose",
    "success_criteria",
    "promises",
    "decision_maker_contact_id",
    "decision_maker_name",
    "decision_maker_title",
    "key_people",
    "expansion_departments",
    "expansion_headcount",
    "expansion_products",
    "risks",
    "sales_history",
)
BASICS = ("external_id", "deal_name", "won_on", "sales_owner_id", "currency")
_AUDITED = ("account_id", *BASICS, *CONTENT, "status")
_NULLABLE = frozenset({"decision_maker_contact_id", "expansion_headcount"})


# --------------------------------------------------------------------------- settings


def required_fields(session: Session) -> list[str]:
    row = session.get(HandoffSettings, 1)
    if row is None:
        return list(fields.DEFAULT_REQUIRED)
    return fields.normalise_required(row.required_fields)


def get_settings(session: Session, actor: Actor) -> HandoffSettingsOut:
    actor.require(Permission.SALES_READ)
    row = session.get(HandoffSettings, 1)
    return HandoffSettingsOut(
        fields=list(fields.FIELDS),
        required_fields=required_fields(session),
        updated_at=row.updated_at if row is not None else None,
    )


def put_settings(session: Session, actor: Actor, data: HandoffSettingsIn) -> HandoffSettingsOut:
    """Which fields are required to submit (SALES_ADMIN). Applies to later submissions."""
    actor.require(Permission.SALES_ADMIN)
    unknown = sorted(set(data.required_fields) - set(fields.FIELDS))
    if unknown:
        raise Invalid.field(
            "required_fields",
            f"unknown fields: {', '.join(unknown)}; known: {', '.join(fields.FIELDS)}",
            code="unknown_field",
        )
    wanted = fields.normalise_required(data.required_fields)
    row = session.get(HandoffSettings, 1)
    before = required_fields(session)
    if row is None:
        row = HandoffSettings(id=1, required_fields=wanted, updated_by_id=actor.user_id)
        session.add(row)
    else:
        row.required_fields = wanted
        row.updated_by_id = actor.user_id
        row.updated_at = utc_now()
    session.flush()
    if before != wanted:
        audit.record(
            session,
            actor,
            "handoff_settings.update",
            "handoff_settings",
            "1",
            summary="required hand-off fields",
            changes={"required_fields": [before, wanted]},
        )
    return get_settings(session, actor)


# --------------------------------------------------------------------------- reading


def _access(session: Session, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """The hand-off if the actor may see its account; NotFound otherwise (no probing)."""
    if not actor.can(Permission.SALES_READ):
        raise NotFound("hand-off not found")
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound("hand-off not found")
    try:
        accounts.access_account(session, actor, handoff.account_id)
    except NotFound:
        raise NotFound("hand-off not found") from None
    return handoff


def values_of(handoff: Handoff) -> dict[str, Any]:
    return {name: getattr(handoff, name) for name in CONTENT}


def _names(session: Session, ids: set[uuid.UUID | None], model: Any) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def _history(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Transition]]:
    out: dict[uuid.UUID, list[Transition]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.scalars(
        select(HandoffTransition)
        .where(HandoffTransition.handoff_id.in_(ids))
        .order_by(HandoffTransition.occurred_at, HandoffTransition.id)
    )
    for t in rows:
        out[t.handoff_id].append(
            Transition(
                from_status=t.from_status,
                to_status=t.to_status,
                actor_id=t.actor_id,
                actor_name=t.actor_name,
                reason=t.reason,
                completeness=t.completeness,
                occurred_at=t.occurred_at,
            )
        )
    return out


def to_out(
    session: Session,
    rows: Sequence[Handoff],
    *,
    with_history: bool = False,
    required: list[str] | None = None,
) -> list[HandoffOut]:
    """Pydantic shapes of ``rows`` with names resolved in a few queries (none per row)."""
    if not rows:
        return []
    required = required_fields(session) if required is None else required
    account_names = _names(session, {h.account_id for h in rows}, Account)
    user_names = _names(session, {h.sales_owner_id for h in rows}, User)
    contact_names = _names(session, {h.decision_maker_contact_id for h in rows}, Contact)
    history = _history(session, [h.id for h in rows]) if with_history else {}
    out: list[HandoffOut] = []
    for h in rows:
        values = values_of(h)
        out.append(
            HandoffOut(
                id=h.id,
                external_id=h.external_id,
                account_id=h.account_id,
                account_name=account_names.get(h.account_id, ""),
                deal_name=h.deal_name,
                won_on=h.won_on,
                currency=h.currency,
                sales_owner_id=h.sales_owner_id,
                sales_owner_name=user_names.get(h.sales_owner_id) if h.sales_owner_id else None,
                decision_maker_contact_name=(
                    contact_names.get(h.decision_maker_contact_id)
                    if h.decision_maker_contact_id
                    else None
                ),
                mrr_amount=h.mrr_amount,
                purpose=h.purpose,
                success_criteria=h.success_criteria,
                promises=h.promises,
                decision_maker_contact_id=h.decision_maker_contact_id,
                decision_maker_name=h.decision_maker_name,
                decision_maker_title=h.decision_maker_title,
                key_people=h.key_people,
                expansion_departments=h.expansion_departments,
                expansion_headcount=h.expansion_headcount,
                expansion_products=list(h.expansion_products),
                risks=h.risks,
                sales_history=h.sales_history,
                status=h.status,
                completeness=h.completeness,
                filled=fields.filled(values),
                required_fields=required,
                missing_fields=fields.missing(values, required),
                completeness_at_submission=h.completeness_at_submission,
                first_submitted_at=h.first_submitted_at,
                submitted_at=h.submitted_at,
                submitted_by_id=h.submitted_by_id,
                accepted_at=h.accepted_at,
                accepted_by_id=h.accepted_by_id,
                returned_at=h.returned_at,
                return_reason=h.return_reason,
                returns_count=h.returns_count,
                hours_to_accept_first=metrics.hours_between(h.first_submitted_at, h.accepted_at),
                hours_to_accept_last=metrics.hours_between(h.submitted_at, h.accepted_at),
                actions=[a.value for a in rules.actions_for(h.status)],
                created_by_id=h.created_by_id,
                created_at=h.created_at,
                updated_at=h.updated_at,
                history=history.get(h.id, []),
            )
        )
    return out


def get_handoff(session: Session, actor: Actor, handoff_id: uuid.UUID) -> HandoffOut:
    handoff = _access(session, actor, handoff_id)
    return to_out(session, [handoff], with_history=True)[0]


_Ts = TypeVarTuple("_Ts")


def _filtered(stmt: Select[*_Ts], filters: HandoffFilters) -> Select[*_Ts]:
    status = TAB_STATUS[filters.tab]
    if status is not None:
        stmt = stmt.where(Handoff.status == status)
    if filters.account_id is not None:
        stmt = stmt.where(Handoff.account_id == filters.account_id)
    if filters.sales_owner_id is not None:
        stmt = stmt.where(Handoff.sales_owner_id == filters.sales_owner_id)
    if filters.won_from is not None:
        stmt = stmt.where(Handoff.won_on >= filters.won_from)
    if filters.won_to is not None:
        stmt = stmt.where(Handoff.won_on <= filters.won_to)
    return stmt


SORTS: dict[str, SortField] = {
    "won_on": SortField(Handoff.won_on, parse=parse_date),
    "created_at": SortField(Handoff.created_at, parse=parse_datetime),
    "submitted_at": SortField(
        func.coalesce(Handoff.submitted_at, Handoff.created_at), parse=parse_datetime
    ),
    "completeness": SortField(Handoff.completeness, parse=int),
    "mrr": SortField(Handoff.mrr_amount, parse=int),
}


def list_handoffs(
    session: Session,
    actor: Actor,
    filters: HandoffFilters,
    *,
    sort: str = "-won_on",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[HandoffOut]:
    actor.require(Permission.SALES_READ)
    actor.require(Permission.ACCOUNT_READ)
    stmt = _filtered(select(Handoff), filters)
    page = keyset_page(
        session,
        stmt,
        fields=SORTS,
        sort=sort,
        id_column=Handoff.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: row[0],
    )
    return Page(items=to_out(session, page.items), next_cursor=page.next_cursor)


def count_by_tab(session: Session, actor: Actor, filters: HandoffFilters) -> dict[str, int]:
    """Hand-offs per tab for the same owner and period filters (tab ignored)."""
    actor.require(Permission.SALES_READ)
    base = _filtered(
        select(Handoff.status, func.count()).group_by(Handoff.status),
        filters.model_copy(update={"tab": Tab.ALL}),
    )
    per_status = {str(s): int(n) for s, n in session.execute(base)}
    counts = {tab.value: per_status.get(str(st), 0) for tab, st in TAB_STATUS.items() if st}
    counts["all"] = sum(per_status.values())
    return counts


def latest_for_account(session: Session, actor: Actor, account_id: uuid.UUID) -> HandoffOut | None:
    """The account's newest hand-off (accepted ones first), for Account 360."""
    actor.require(Permission.SALES_READ)
    accounts.access_account(session, actor, account_id)
    accepted_first = (Handoff.status == HandoffStatus.ACCEPTED).desc()
    handoff = session.scalars(
        select(Handoff)
        .where(Handoff.account_id == account_id)
        .order_by(accepted_first, Handoff.won_on.desc(), Handoff.created_at.desc())
        .limit(1)
    ).first()
    return to_out(session, [handoff])[0] if handoff is not None else None


def metrics_report(
    session: Session,
    actor: Actor,
    *,
    won_from: date | None = None,
    won_to: date | None = None,
    sales_owner_id: uuid.UUID | None = None,
) -> MetricsReport:
    """Measures over hand-offs won in the period (``won_on`` within the bounds)."""
    actor.require(Permission.SALES_READ)
    filters = HandoffFilters(won_from=won_from, won_to=won_to, sales_owner_id=sales_owner_id)
    stmt = _filtered(
        select(
            Handoff.sales_owner_id,
            Handoff.status,
            Handoff.completeness_at_submission,
            Handoff.first_submitted_at,
            Handoff.submitted_at,
            Handoff.accepted_at,
            Handoff.returns_count,
        ),
        filters,
    )
    rows = [
        metrics.Row(
            sales_owner_id=r[0],
            status=str(r[1]),
            completeness_at_submission=r[2],
            first_submitted_at=r[3],
            submitted_at=r[4],
            accepted_at=r[5],
            returns_count=int(r[6]),
        )
        for r in session.execute(stmt)
    ]
    per_owner = metrics.by_owner(rows)
    names = _names(session, set(per_owner), User)
    owners = [
        OwnerMetrics(
            sales_owner_id=owner,
            sales_owner_name=names.get(owner) if owner else None,
            **vars(fig),
        )
        for owner, fig in per_owner.items()
    ]
    owners.sort(key=lambda o: (o.sales_owner_name is None, o.sales_owner_name or ""))
    return MetricsReport(
        won_from=won_from,
        won_to=won_to,
        total=MetricsOut(**vars(metrics.figures(rows))),
        owners=owners,
    )


# --------------------------------------------------------------------------- writing


def _check_refs(
    session: Session,
    account_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    current_id: uuid.UUID | None,
) -> list[FieldProblem]:
    """Problems with references in ``values`` (users, contacts, products, external id)."""
    problems: list[FieldProblem] = []
    external_id = values.get("external_id")
    if external_id:
        clash = session.scalar(select(Handoff.id).where(Handoff.external_id == external_id))
        if clash is not None and clash != current_id:
            problems.append(
                FieldProblem(("body", "external_id"), "duplicate", "external id already used")
            )
    owner = values.get("sales_owner_id")
    if owner is not None:
        active = session.scalar(select(User.id).where(User.id == owner, User.is_active))
        if active is None:
            problems.append(
                FieldProblem(("body", "sales_owner_id"), "unknown_user", "no active user")
            )
    contact_ids: dict[tuple[str | int, ...], uuid.UUID] = {}
    if values.get("decision_maker_contact_id") is not None:
        contact_ids[("body", "decision_maker_contact_id")] = values["decision_maker_contact_id"]
    for i, person in enumerate(values.get("key_people") or []):
        if person.get("contact_id"):
            contact_ids[("body", "key_people", i, "contact_id")] = uuid.UUID(
                str(person["contact_id"])
            )
    if contact_ids:
        known = set(
            session.scalars(
                select(Contact.id).where(
                    Contact.id.in_(set(contact_ids.values())), Contact.account_id == account_id
                )
            )
        )
        problems += [
            FieldProblem(loc, "unknown_contact", "not a contact of this account")
            for loc, cid in contact_ids.items()
            if cid not in known
        ]
    codes = values.get("expansion_products") or []
    if codes:
        have = set(session.scalars(select(Product.code).where(Product.code.in_(set(codes)))))
        unknown = [c for c in codes if c not in have]
        if unknown:
            problems.append(
                FieldProblem(
                    ("body", "expansion_products"),
                    "unknown_product",
                    f"unknown product codes: {', '.join(unknown)}",
                )
            )
    return problems


def normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Stored forms: key people as plain JSON, product codes de-duplicated in order."""
    if "key_people" in values and values["key_people"] is not None:
        values["key_people"] = [
            {
                "name": p["name"].strip(),
                "title": p.get("title", "").strip(),
                "role": p.get("role", "").strip(),
                "contact_id": str(p["contact_id"]) if p.get("contact_id") else None,
            }
            for p in values["key_people"]
        ]
    if "expansion_products" in values and values["expansion_products"] is not None:
        seen: dict[str, None] = {}
        for code in values["expansion_products"]:
            if code.strip():
                seen.setdefault(code.strip(), None)
        values["expansion_products"] = list(seen)
    return values


def _record(
    session: Session,
    actor: Actor,
    handoff: Handoff,
    before: HandoffStatus | None,
    reason: str = "",
) -> None:
    session.add(
        HandoffTransition(
            handoff_id=handoff.id,
            from_status=before.value if before else None,
            to_status=handoff.status.value,
            actor_id=actor.user_id,
            actor_name=actor.name[:100],
            reason=reason,
            completeness=handoff.completeness,
            occurred_at=utc_now(),
        )
    )


def _resolve_account(session: Session, actor: Actor, data: HandoffCreate) -> Account:
    if data.account_id is not None and data.account_name:
        raise Invalid.field("account_name", "send account_id or account_name, not both")
    if data.account_id is not None:
        return accounts.access_account_for_input(session, actor, data.account_id)
    if data.account_name:
        name = data.account_name.strip()
        same = session.scalars(select(Account).where(Account.name == name).limit(2)).all()
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            raise Invalid.field(
                "account_name", "several accounts have this name; pick one", code="ambiguous"
            )
        return accounts.create_account(session, actor, AccountCreate(name=name))
    raise Invalid.field("account_id", "an account is required", code="required")


def create_handoff(session: Session, actor: Actor, data: HandoffCreate) -> Handoff:
    """A new hand-off (draft); with ``submit`` it is submitted at once (all or nothing)."""
    actor.require(Permission.PIPELINE_WRITE)
    account = _resolve_account(session, actor, data)
    values = normalise(data.model_dump(exclude={"account_id", "account_name", "submit"}))
    if values["sales_owner_id"] is None:
        values["sales_owner_id"] = actor.user_id
    values["currency"] = values["currency"] or account.currency
    problems = _check_refs(session, account.id, values, current_id=None)
    if problems:
        raise Invalid(problems)
    handoff = Handoff(
        account_id=account.id,
        status=HandoffStatus.DRAFT,
        created_by_id=actor.user_id,
        completeness=fields.completeness(values),
        **values,
    )
    session.add(handoff)
    session.flush()
    _record(session, actor, handoff, None)
    audit.record(
        session,
        actor,
        "handoff.create",
        "handoff",
        handoff.id,
        summary=handoff.deal_name,
        changes=audit.snapshot(handoff, list(_AUDITED)),
    )
    if data.submit:
        submit_handoff(session, actor, handoff.id)
    return handoff


def _editable(handoff: Handoff, action: Action) -> None:
    if not rules.allowed(handoff.status, action):
        raise Conflict(
            f"cannot {action.value} a hand-off that is {handoff.status.value}",
            code="invalid_transition",
            action=action.value,
            status=handoff.status.value,
        )


def update_handoff(
    session: Session, actor: Actor, handoff_id: uuid.UUID, data: HandoffUpdate
) -> Handoff:
    """Change a draft or returned hand-off (sales edits; accepted ones are final)."""
    actor.require(Permission.PIPELINE_WRITE)
    handoff = _access(session, actor, handoff_id)
    _editable(handoff, Action.EDIT)
    values = normalise(data.model_dump(exclude_unset=True))
    for name in ("deal_name", "won_on", "currency", "mrr_amount"):
        if name in values and values[name] is None:
            raise Invalid.field(name, "cannot be empty", code="required")
    for name in CONTENT:
        if name in values and values[name] is None and name not in _NULLABLE:
            values[name] = [] if name in ("key_people", "expansion_products") else ""
    problems = _check_refs(session, handoff.account_id, values, current_id=handoff.id)
    if problems:
        raise Invalid(problems)
    changes = audit.apply_changes(handoff, values)
    handoff.completeness = fields.completeness(values_of(handoff))
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "handoff.update",
            "handoff",
            handoff.id,
            summary=handoff.deal_name,
            changes=changes,
        )
    return handoff


def submit_handoff(session: Session, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """Send it to CS: every required field must be filled (each missing one is named)."""
    actor.require(Permission.PIPELINE_WRITE)
    handoff = _access(session, actor, handoff_id)
    _editable(handoff, Action.SUBMIT)
    values = values_of(handoff)
    missing = fields.missing(values, required_fields(session))
    if missing:
        raise Invalid(
            [FieldProblem(("body", name), "required", "required to submit") for name in missing]
        )
    before = handoff.status
    now = utc_now()
    handoff.status = HandoffStatus.SUBMITTED
    handoff.completeness = fields.completeness(values)
    handoff.completeness_at_submission = handoff.completeness
    handoff.first_submitted_at = handoff.first_submitted_at or now
    handoff.submitted_at = now
    handoff.submitted_by_id = actor.user_id
    session.flush()
    _record(session, actor, handoff, before)
    audit.record(
        session,
        actor,
        "handoff.submit",
        "handoff",
        handoff.id,
        summary=handoff.deal_name,
        changes={
            "status": [before.value, handoff.status.value],
            "completeness_at_submission": [None, handoff.completeness],
        },
    )
    return handoff


def _decide(session: Session, actor: Actor, handoff_id: uuid.UUID, action: Action) -> Handoff:
    actor.require(Permission.PIPELINE_WRITE)
    handoff = _access(session, actor, handoff_id)
    _editable(handoff, action)
    if actor.user_id is not None and handoff.submitted_by_id == actor.user_id:
        raise Forbidden(
            f"you submitted this hand-off; someone else must {action.value} it",
            code="own_handoff",
        )
    return handoff


def return_handoff(session: Session, actor: Actor, handoff_id: uuid.UUID, reason: str) -> Handoff:
    """Send it back to sales with a reason (required); sales edits and submits again."""
    handoff = _decide(session, actor, handoff_id, Action.RETURN)
    reason = reason.strip()
    if not reason:
        raise Invalid.field("reason", "say what sales should fix", code="required")
    before = handoff.status
    handoff.status = HandoffStatus.RETURNED
    handoff.returned_at = utc_now()
    handoff.return_reason = reason
    handoff.returns_count += 1
    session.flush()
    _record(session, actor, handoff, before, reason)
    audit.record(
        session,
        actor,
        "handoff.return",
        "handoff",
        handoff.id,
        summary=handoff.deal_name,
        changes={"status": [before.value, handoff.status.value], "return_reason": [None, reason]},
    )
    return handoff


def accept_handoff(session: Session, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """Accept (final): copy what the account lacks, publish ``handoff.accepted`` and ask for
    a playbook run, so the ``handoff_received`` trigger starts onboarding."""
    handoff = _decide(session, actor, handoff_id, Action.ACCEPT)
    before = handoff.status
    handoff.status = HandoffStatus.ACCEPTED
    handoff.accepted_at = utc_now()
    handoff.accepted_by_id = actor.user_id
    session.flush()
    _record(session, actor, handoff, before)
    audit.record(
        session,
        actor,
        "handoff.accept",
        "handoff",
        handoff.id,
        summary=handoff.deal_name,
        changes={"status": [before.value, handoff.status.value]},
    )
    account = session.get(Account, handoff.account_id)
    assert account is not None  # the foreign key cascades
    update = account_update(account, handoff, locale=actor.locale)
    if update:
        accounts.update_account(session, actor, account.id, AccountUpdate(**update))
    outbox.publish(
        session,
        EVENT_KIND,
        handoff.account_id,
        {
            "handoff_id": str(handoff.id),
            "deal_name": handoff.deal_name,
            "mrr_amount": handoff.mrr_amount,
            "currency": handoff.currency,
        },
    )
    scheduler.request_run(session, PLAYBOOK_JOB, delay=PLAYBOOK_DELAY)
    return handoff


# --------------------------------------------------------------------------- account copy


def expansion_text(
    departments: str, headcount: int | None, products: Sequence[str], *, locale: str = "ja"
) -> str:
    """The expansion room as one text: departments, headcount, product codes."""
    parts: list[str] = []
    if departments.strip():
        parts.append(departments.strip())
    if headcount:
        n = f"{headcount:,}"
        parts.append(f"対象人数: {n}名" if locale == "ja" else f"Headcount: {n}")
    if products:
        codes = ", ".join(products)
        parts.append(f"製品: {codes}" if locale == "ja" else f"Products: {codes}")
    return "\n".join(parts)


def merged(existing: str, addition: str) -> str | None:
    """The account's text after adding ``addition``: itself when empty, appended after a
    blank line otherwise; None when nothing changes (empty, or already contained)."""
    addition = addition.strip()
    if not addition or addition in existing:
        return None
    if not existing.strip():
        return addition
    return f"{existing.rstrip()}\n\n{addition}"


def account_update(account: Account, handoff: Handoff, *, locale: str = "ja") -> dict[str, Any]:
    """Account fields to change on accepting ``handoff`` (see docs/handoffs.md)."""
    update: dict[str, Any] = {}
    for target, text in (
        ("purpose_of_adoption", handoff.purpose),
        ("success_criteria", handoff.success_criteria),
        (
            "expansion_room",
            expansion_text(
                handoff.expansion_departments,
                handoff.expansion_headcount,
                handoff.expansion_products,
                locale=locale,
            ),
        ),
    ):
        new = merged(getattr(account, target) or "", text)
        if new is not None:
            update[target] = new
    if account.sales_owner_id is None and handoff.sales_owner_id is not None:
        update["sales_owner_id"] = handoff.sales_owner_id
    return update


def owner_choices(session: Session) -> list[tuple[uuid.UUID, str]]:
    """Active users who can own a hand-off (for filters and the form)."""
    rows = session.execute(select(User.id, User.name).where(User.is_active).order_by(User.name))
    return [(r[0], r[1]) for r in rows]
