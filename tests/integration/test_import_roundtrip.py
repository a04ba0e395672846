"""Export → import round trip (issue 3 §8): whatever valid data the database holds, its CSV
and Parquet exports import back onto the same records unchanged, and into an empty state
as the same records, field by field. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import string
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.exporting.service import Format, export_kind
from kizuna.importing.service import Workspace, create_run, execute_run
from kizuna.models import Account, Contact, ContactRoleLink, Product, Subscription
from kizuna.models.enums import ContactRole, Influence, Phase, ProductKind, ProductUnit, Tier
from kizuna.models.importing import ImportKind, ImportStatus
from kizuna.subscription.terms import BILLING_PERIODS

ACTOR = Actor.system("test")
# Import order: what is referred to comes first.
KINDS = (ImportKind.PRODUCTS, ImportKind.ACCOUNTS, ImportKind.SUBSCRIPTIONS, ImportKind.CONTACTS)
MODELS: dict[ImportKind, Any] = {
    ImportKind.PRODUCTS: Product,
    ImportKind.ACCOUNTS: Account,
    ImportKind.SUBSCRIPTIONS: Subscription,
    ImportKind.CONTACTS: Contact,
}
# Set by the database on every write, not carried by a file.
NOT_COMPARED = {"created_at", "updated_at"}

# --- strategies ----------------------------------------------------------------------------

# Text a CS team really types: Japanese (full- and half-width), Latin, the CSV specials
# (comma, quote, line break) and the characters a spreadsheet reads as a formula start.
_SPECIALS = [",", '"', "'", "\n", "\r\n", " ", "\u3000", "=", "+", "-", "@", ";", "\t"]
_CHARS = st.sampled_from([*"株式会社山田髙橋㈱①ｶﾅカナひらがなーAbz09", *_SPECIALS])
_FORMULA_STARTS = st.sampled_from(["", "", "=", "+", "-", "@", "=HYPERLINK(", "'", "'="])


@st.composite
def texts(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 24) -> str:
    """Text as it survives an import: the importer strips surrounding white space."""
    body = "".join(draw(st.lists(_CHARS, min_size=min_size, max_size=max_size)))
    text = (draw(_FORMULA_STARTS) + body).strip()
    if len(text) < min_size:
        text = text + "名" * (min_size - len(text))
    return text


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


_KEY_CHARS = string.ascii_letters + string.digits + "-_"
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
money = st.integers(min_value=0, max_value=10**11)


@dataclass
class Data:
    products: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    subscriptions: list[dict[str, Any]]
    contacts: list[dict[str, Any]]


def _keys(prefix: str, size: int, draw: st.DrawFn) -> list[str | None]:
    """Unique external ids (or none) for ``size`` records."""
    keys: list[str | None] = []
    for i in range(size):
        own = draw(optional(st.text(_KEY_CHARS, min_size=1, max_size=12)))
        keys.append(None if own is None else f"{prefix}{i}-{own}")
    return keys


@st.composite
def datasets(draw: st.DrawFn) -> Data:
    products = [
        {
            "code": f"P{i}-{draw(st.text(_KEY_CHARS, max_size=8))}",
            "name": draw(texts(min_size=1)),
            "name_en": draw(texts()),
            "kind": draw(st.sampled_from(ProductKind)),
            "unit": draw(st.sampled_from(ProductUnit)),
            "list_price_amount": draw(money),
            "currency": draw(st.sampled_from(["JPY", "USD"])),
            "description": draw(texts(max_size=60)),
            "is_active": draw(st.booleans()),
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    size = draw(st.integers(1, 4))
    account_keys = _keys("A", size, draw)
    accounts = [
        {
            "external_id": account_keys[i],
            "name": draw(texts(min_size=1)),
            "name_kana": draw(texts()),
            # Unique: an account without an external id is referred to by its domain.
            "domain": draw(optional(st.just(f"d{i}.example.co.jp"))),
            "industry": draw(texts()),
            "employee_count": draw(optional(st.integers(0, 10_000_000))),
            "region": draw(texts()),
            "currency": draw(st.sampled_from(["JPY", "USD"])),
            "tier": draw(optional(st.sampled_from(Tier))),
            "phase": draw(optional(st.sampled_from(Phase))),
            "purpose_of_adoption": draw(texts(max_size=60)),
            "notes": draw(texts(max_size=60)),
        }
        for i in range(size)
    ]
    subscriptions = []
    line_keys = _keys("S", draw(st.integers(0, 5)), draw)
    # Lines without an external id are told apart by (account, product, start).
    starts = draw(st.lists(dates, min_size=len(line_keys), max_size=len(line_keys), unique=True))
    for external_id, start in zip(line_keys, starts, strict=True):
        account = draw(st.integers(0, size - 1))
        end = draw(optional(st.integers(1, 3000)))
        subscriptions.append(
            {
                "external_id": external_id,
                "account": account,
                "product": draw(st.integers(0, len(products) - 1)),
                "contract_ref": draw(texts(max_size=12)),
                "quantity": draw(st.integers(0, 100_000)),
                "mrr_amount": draw(money),
                "currency": accounts[account]["currency"],
                "unit_list_price_amount": draw(optional(money)),
                "discount_percent": Decimal(draw(st.integers(0, 10_000))) / 100,
                "start_on": start,
                "end_on": None if end is None else start + timedelta(days=end),
                "term_months": draw(st.integers(1, 120)),
                "billing_period_months": draw(st.sampled_from(BILLING_PERIODS)),
                "auto_renew": draw(st.booleans()),
            }
        )
    contacts = [
        {
            "external_id": external_id,
            "account": draw(st.integers(0, size - 1)),
            "name": draw(texts(min_size=1)),
            "name_kana": draw(texts()),
            "email": draw(optional(st.just(f"person{i}@example.jp"))),
            "phone": draw(st.sampled_from(["", "03-1234-5678", "+81 90 1234 5678"])),
            "title": draw(texts()),
            "department": draw(texts()),
            "influence": draw(optional(st.sampled_from(Influence))),
            "roles": draw(st.lists(st.sampled_from(ContactRole), unique=True, max_size=3)),
            "is_primary": draw(st.booleans()),
            "is_active": draw(st.booleans()),
            "email_opt_out": draw(st.booleans()),
            "call_opt_out": draw(st.booleans()),
        }
        for i, external_id in enumerate(_keys("C", draw(st.integers(0, 4)), draw))
    ]
    return Data(products, accounts, subscriptions, contacts)


# --- the property ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kinds"), [("csv", KINDS), ("parquet", KINDS)], ids=["csv", "parquet"]
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets())
def test_exports_reimport_unchanged_and_rebuild_the_same_rows(
    session: Session, tmp_path: Path, fmt: Format, kinds: tuple[ImportKind, ...], data: Data
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    workspace = Workspace(folder / "workspace")
    with session.begin_nested() as example:
        _store(session, data)
        original = _snapshot(session)
        files = {kind: folder / f"{kind.value}.{fmt}" for kind in kinds}
        for kind, path in files.items():
            export_kind(session, ACTOR, kind, fmt, path)

        for kind in kinds:  # onto the same records: nothing changes
            run = _import(session, workspace, files[kind])
            assert (run.created_count, run.updated_count, run.unchanged_count) == (
                0,
                0,
                len(original[kind]),
            ), kind
        assert _snapshot(session) == original

        _delete_all(session, kinds)  # into an empty state: the same records again
        for kind in kinds:
            assert _import(session, workspace, files[kind]).created_count == len(original[kind])
        rebuilt = _snapshot(session)
        for kind in kinds:
            assert rebuilt[kind] == original[kind], kind
        example.rollback()


def test_parquet_export_of_subscription_lines_reimports(session: Session, tmp_path: Path) -> None:
    account = Account(name="株式会社割引", external_id="PQ-A")
    product = Product(code="PQ-P", name="プラン", kind=ProductKind.BASE_PLAN, unit=ProductUnit.SEAT)
    session.add_all([account, product])
    session.flush()
    session.add(
        Subscription(
            account_id=account.id,
            product_id=product.id,
            mrr_amount=9_000,
            discount_percent=Decimal("12.50"),
            start_on=date(2024, 4, 1),
        )
    )
    session.flush()
    original = _snapshot(session)[ImportKind.SUBSCRIPTIONS]
    path = tmp_path / "subscriptions.parquet"
    export_kind(session, ACTOR, ImportKind.SUBSCRIPTIONS, "parquet", path)
    _delete_all(session, (ImportKind.SUBSCRIPTIONS,))
    assert _import(session, Workspace(tmp_path), path).created_count == 1
    assert _snapshot(session)[ImportKind.SUBSCRIPTIONS] == original


def _store(session: Session, data: Data) -> None:
    products = [Product(**fields) for fields in data.products]
    accounts = [Account(**fields) for fields in data.accounts]
    session.add_all([*products, *accounts])
    session.flush()
    for fields in data.subscriptions:
        line = dict(fields)
        line["account_id"] = accounts[line.pop("account")].id
        line["product_id"] = products[line.pop("product")].id
        session.add(Subscription(**line))
    for fields in data.contacts:
        person = dict(fields)
        roles = person.pop("roles")
        contact = Contact(account_id=accounts[person.pop("account")].id, **person)
        contact.role_links = [ContactRoleLink(role=role) for role in roles]
        session.add(contact)
    session.flush()


def _snapshot(session: Session) -> dict[ImportKind, dict[uuid.UUID, dict[str, Any]]]:
    """Every stored column of every record (and each contact's roles), by id."""
    session.expire_all()
    found: dict[ImportKind, dict[uuid.UUID, dict[str, Any]]] = {}
    for kind, model in MODELS.items():
        table = model.__table__
        rows = session.execute(select(table)).mappings()
        found[kind] = {
            row["id"]: {k: v for k, v in row.items() if k not in NOT_COMPARED} for row in rows
        }
    for contact_id, role in session.execute(
        select(ContactRoleLink.contact_id, ContactRoleLink.role)
    ):
        found[ImportKind.CONTACTS][contact_id].setdefault("roles", set()).add(role)
    return found


def _delete_all(session: Session, kinds: tuple[ImportKind, ...]) -> None:
    """Delete the records of ``kinds``, referring ones first (inside the test's transaction)."""
    if ImportKind.CONTACTS in kinds:
        session.execute(delete(ContactRoleLink))
    for kind in reversed(KINDS):
        if kind in kinds:
            session.execute(delete(MODELS[kind]))
    session.expire_all()


def _import(session: Session, workspace: Workspace, path: Path) -> Any:
    kind = ImportKind(path.stem)
    run = create_run(session, ACTOR, workspace, kind=kind, filename=path.name, upload=path)
    run = execute_run(session, ACTOR, workspace, run.id)
    assert run.status is ImportStatus.DONE, (path.name, run.problems)
    assert run.problems == []
    return run
