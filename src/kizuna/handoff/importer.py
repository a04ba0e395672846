"""Import hand-offs from a CSV file: all or nothing, every problem named by row and column.

The header names the columns (see :data:`COLUMNS`); row numbers count the header as row 1,
as a spreadsheet shows them. Each row is one won deal keyed by ``external_id``: a new
one is created; an existing draft or returned one is updated; a submitted or accepted one
must be unchanged (re-importing the same file changes nothing). ``submit`` = true submits
the row's hand-off (its required fields must then be filled). Nothing is written unless
every row is good.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.handoff import fields, rules, service
from kizuna.handoff.rules import Action
from kizuna.handoff.schemas import HandoffCreate, HandoffUpdate, ImportResult
from kizuna.kit.csv_cells import unescape_cell
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.handoff import Handoff, HandoffStatus
from kizuna.models.product import Product
from kizuna.models.user import User

MAX_ROWS = 5_000
MAX_BYTES = 10 * 1024 * 1024

TEXT_COLUMNS = (
    "purpose",
    "success_criteria",
    "promises",
    "decision_maker_name",
    "decision_maker_title",
    "expansion_departments",
    "risks",
    "sales_history",
)
COLUMNS: tuple[str, ...] = (
    "external_id",
    "account_external_id",
    "account_domain",
    "deal_name",
    "won_on",
    "mrr_amount",
    "currency",
    "sales_owner_email",
    *TEXT_COLUMNS,
    "decision_maker_email",
    "key_people",
    "expansion_headcount",
    "expansion_products",
    "submit",
)
REQUIRED_COLUMNS = ("external_id", "deal_name", "won_on")
# The column a problem with a content field is reported on.
FIELD_COLUMN = {
    "mrr": "mrr_amount",
    "decision_maker": "decision_maker_name",
    "expansion_room": "expansion_departments",
}
_TRUE = {"true", "1", "yes", "y", "はい", "✓"}
_FALSE = {"", "false", "0", "no", "n", "いいえ"}
_SPLIT = re.compile(r"[,;、\s]+")


@dataclass
class _Row:
    number: int
    external_id: str
    account: Account | None = None
    values: dict[str, Any] = field(default_factory=dict)
    submit: bool = False
    existing: Handoff | None = None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS (cp932) as Excel in Japan writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            raise Invalid(
                FieldProblem(("file",), "encoding", "the file is neither UTF-8 nor Shift_JIS")
            ) from None


def _problem(row: int, column: str, message: str, code: str = "invalid") -> FieldProblem:
    return FieldProblem(("row", row, column), code, message)


def _date(text: str) -> date:
    return date.fromisoformat(text.replace("/", "-"))


def _amount(text: str) -> int:
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not cleaned.isdigit():
        raise ValueError(text)
    return int(cleaned)


def parse_people(text: str) -> list[dict[str, str]]:
    """``name|title|role`` entries separated by ``;`` or new lines."""
    people = []
    for entry in re.split(r"[;\n]+", text):
        if not entry.strip():
            continue
        parts = [p.strip() for p in entry.split("|")]
        if not parts[0] or len(parts) > 3:
            raise ValueError(entry)
        parts += [""] * (3 - len(parts))
        people.append({"name": parts[0], "title": parts[1], "role": parts[2]})
    return people


def parse_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise Invalid(FieldProblem(("file",), "empty", "the file is empty")) from None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid(FieldProblem(("file",), "too_many_rows", f"at most {MAX_ROWS} rows"))
        padded = cells + [""] * (len(header) - len(cells))
        row = {h: unescape_cell(padded[i].strip()) for i, h in enumerate(header) if h}
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            row["\0extra"] = "1"
        rows.append((number, row))
    return header, rows


def import_csv(session: Session, actor: Actor, data: bytes) -> ImportResult:
    """Validate every row, then write them all (the caller owns the transaction)."""
    actor.require(Permission.PIPELINE_WRITE)
    if len(data) > MAX_BYTES:
        raise Invalid(FieldProblem(("file",), "too_large", "the file is larger than 10 MB"))
    header, raw_rows = parse_rows(decode(data))
    problems: list[FieldProblem] = []
    seen_cols: set[str] = set()
    for col in header:
        if col and col not in COLUMNS:
            problems.append(_problem(1, col, "unknown column", "unknown_column"))
        if col in seen_cols:
            problems.append(_problem(1, col, "column appears twice", "duplicate_column"))
        seen_cols.add(col)
    for col in REQUIRED_COLUMNS:
        if col not in header:
            problems.append(_problem(1, col, "required column missing", "missing_column"))
    if "account_external_id" not in header and "account_domain" not in header:
        problems.append(
            _problem(1, "account_external_id", "need account_external_id or account_domain")
        )
    if problems:
        raise Invalid(problems)
    if not raw_rows:
        raise Invalid(FieldProblem(("file",), "empty", "the file has no rows"))

    lookups = _Lookups.load(session, raw_rows)
    required = service.required_fields(session)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, raw in raw_rows:
        row, row_problems = _read_row(number, raw, lookups)
        if row.external_id and row.external_id in seen:
            row_problems.append(
                _problem(
                    number,
                    "external_id",
                    f"also on row {seen[row.external_id]}",
                    "duplicate",
                )
            )
        elif row.external_id:
            seen[row.external_id] = number
        if not row_problems:
            row_problems += _check_row(session, row, lookups, required)
        problems += row_problems
        rows.append(row)
    if problems:
        raise Invalid(problems)
    return _write(session, actor, rows)


@dataclass
class _Lookups:
    by_external_id: dict[str, Account]
    by_domain: dict[str, list[Account]]
    users: dict[str, uuid.UUID]
    contacts: dict[tuple[uuid.UUID, str], uuid.UUID]
    products: set[str]
    existing: dict[str, Handoff]

    @classmethod
    def load(cls, session: Session, rows: list[tuple[int, dict[str, str]]]) -> _Lookups:
        ext = {r.get("account_external_id", "") for _, r in rows} - {""}
        domains = {r.get("account_domain", "").lower() for _, r in rows} - {""}
        emails = {r.get("sales_owner_email", "").lower() for _, r in rows} - {""}
        handoff_ids = {r.get("external_id", "") for _, r in rows} - {""}
        by_ext = {
            a.external_id: a
            for a in session.scalars(select(Account).where(Account.external_id.in_(ext)))
            if a.external_id
        }
        by_domain: dict[str, list[Account]] = {}
        if domains:
            for a in session.scalars(
                select(Account).where(func.lower(Account.domain).in_(domains))
            ):
                by_domain.setdefault((a.domain or "").lower(), []).append(a)
        users = {
            e.lower(): i
            for i, e in session.execute(
                select(User.id, User.email).where(
                    func.lower(User.email).in_(emails), User.is_active
                )
            )
        }
        dm_emails = {r.get("decision_maker_email", "").lower() for _, r in rows} - {""}
        contacts: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        if dm_emails:
            for cid, aid, email in session.execute(
                select(Contact.id, Contact.account_id, Contact.email).where(
                    func.lower(Contact.email).in_(dm_emails)
                )
            ):
                contacts[(aid, (email or "").lower())] = cid
        products = set(session.scalars(select(Product.code)))
        existing = {
            h.external_id: h
            for h in session.scalars(select(Handoff).where(Handoff.external_id.in_(handoff_ids)))
            if h.external_id
        }
        return cls(by_ext, by_domain, users, contacts, products, existing)


def _read_row(number: int, raw: dict[str, str], lk: _Lookups) -> tuple[_Row, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    row = _Row(number=number, external_id=raw.get("external_id", ""))
    if raw.get("\0extra"):
        problems.append(_problem(number, "", "more cells than columns", "extra_cells"))
    for col in REQUIRED_COLUMNS:
        if not raw.get(col):
            problems.append(_problem(number, col, "required", "required"))
    # The account: by external id, else by domain (which must be unambiguous).
    ext, domain = raw.get("account_external_id", ""), raw.get("account_domain", "").lower()
    if ext:
        row.account = lk.by_external_id.get(ext)
        if row.account is None:
            problems.append(
                _problem(number, "account_external_id", "no such account", "unknown_account")
            )
    elif domain:
        found = lk.by_domain.get(domain, [])
        if len(found) == 1:
            row.account = found[0]
        else:
            message = "no account with this domain" if not found else "several accounts"
            problems.append(_problem(number, "account_domain", message, "unknown_account"))
    else:
        problems.append(
            _problem(number, "account_external_id", "account_external_id or account_domain")
        )
    values: dict[str, Any] = {
        "external_id": row.external_id or None,
        "deal_name": raw.get("deal_name", ""),
    }
    for col in TEXT_COLUMNS:
        if col in raw:
            values[col] = raw[col]
    parsers: dict[str, Any] = {
        "won_on": _date,
        "mrr_amount": _amount,
        "expansion_headcount": _amount,
        "key_people": parse_people,
    }
    for col, parse in parsers.items():
        text = raw.get(col, "")
        if not text:
            continue
        try:
            values[col] = parse(text)
        except ValueError:
            hint = {
                "won_on": "a date like 2026-04-01",
                "key_people": "name|title|role entries separated by ;",
            }.get(col, "a whole number")
            problems.append(_problem(number, col, f"expected {hint}", "bad_value"))
    if raw.get("currency"):
        values["currency"] = raw["currency"].upper()
    if raw.get("expansion_products"):
        codes = [c for c in _SPLIT.split(raw["expansion_products"]) if c]
        unknown = [c for c in codes if c not in lk.products]
        if unknown:
            problems.append(
                _problem(
                    number,
                    "expansion_products",
                    f"unknown product codes: {', '.join(unknown)}",
                    "unknown_product",
                )
            )
        values["expansion_products"] = codes
    email = raw.get("sales_owner_email", "").lower()
    if email:
        owner = lk.users.get(email)
        if owner is None:
            problems.append(_problem(number, "sales_owner_email", "no active user", "unknown_user"))
        values["sales_owner_id"] = owner
    dm_email = raw.get("decision_maker_email", "").lower()
    if dm_email and row.account is not None:
        contact = lk.contacts.get((row.account.id, dm_email))
        if contact is None:
            problems.append(
                _problem(
                    number,
                    "decision_maker_email",
                    "no contact with this e-mail at the account",
                    "unknown_contact",
                )
            )
        values["decision_maker_contact_id"] = contact
    flag = raw.get("submit", "").lower()
    if flag in _TRUE:
        row.submit = True
    elif flag not in _FALSE:
        problems.append(_problem(number, "submit", "expected true or false", "bad_value"))
    row.values = values
    row.existing = lk.existing.get(row.external_id)
    return row, problems


def _check_row(
    session: Session, row: _Row, lk: _Lookups, required: list[str]
) -> list[FieldProblem]:
    """Schema limits, the state of an existing hand-off, and required fields to submit."""
    problems: list[FieldProblem] = []
    assert row.account is not None
    values = {k: v for k, v in row.values.items() if v is not None}
    try:
        if row.existing is None:
            HandoffCreate(account_id=row.account.id, **values)
        else:
            HandoffUpdate(**values)
    except ValidationError as exc:
        for err in exc.errors():
            col = str(err["loc"][0]) if err["loc"] else ""
            problems.append(_problem(row.number, col, str(err["msg"]), "invalid"))
        return problems
    existing = row.existing
    if existing is not None:
        if existing.account_id != row.account.id:
            problems.append(
                _problem(row.number, "external_id", "belongs to another account", "conflict")
            )
            return problems
        merged = {**service.values_of(existing), **values}
        if not rules.allowed(existing.status, Action.EDIT):
            stored = service.normalise(
                {k: v for k, v in values.items() if k in service.CONTENT or k in service.BASICS}
            )
            changed = [k for k, v in stored.items() if getattr(existing, k) != v]
            for k in changed:
                problems.append(
                    _problem(
                        row.number,
                        k,
                        f"the hand-off is {existing.status.value} and cannot change",
                        "conflict",
                    )
                )
            return problems
    else:
        merged = {**dict.fromkeys(service.CONTENT), **values}
    if row.submit and (existing is None or existing.status != HandoffStatus.SUBMITTED):
        for name in fields.missing(merged, required):
            problems.append(
                _problem(row.number, FIELD_COLUMN.get(name, name), "required to submit", "required")
            )
    return problems


def _write(session: Session, actor: Actor, rows: list[_Row]) -> ImportResult:
    created = updated = unchanged = submitted = 0
    ids: list[uuid.UUID] = []
    for row in rows:
        assert row.account is not None
        values = {k: v for k, v in row.values.items() if v is not None}
        existing = row.existing
        if existing is None:
            handoff = service.create_handoff(
                session, actor, HandoffCreate(account_id=row.account.id, **values)
            )
            created += 1
        elif rules.allowed(existing.status, Action.EDIT):
            before = _snapshot(existing)
            handoff = service.update_handoff(session, actor, existing.id, HandoffUpdate(**values))
            if _snapshot(handoff) != before:
                updated += 1
            else:
                unchanged += 1
        else:
            handoff = existing
            unchanged += 1
        if row.submit and rules.allowed(handoff.status, Action.SUBMIT):
            service.submit_handoff(session, actor, handoff.id)
            submitted += 1
        ids.append(handoff.id)
    return ImportResult(
        created=created, updated=updated, unchanged=unchanged, submitted=submitted, ids=ids
    )


def _snapshot(handoff: Handoff) -> dict[str, Any]:
    return {k: getattr(handoff, k) for k in (*service.CONTENT, *service.BASICS)}


COLUMN_HELP = {
    "external_id": "unique id of the deal in your CRM (required; re-imports update)",
    "account_external_id": "the account's external id (or account_domain)",
    "account_domain": "the account's domain, when it has no external id",
    "deal_name": "required",
    "won_on": "YYYY-MM-DD (required)",
    "mrr_amount": "contract MRR in minor units (yen)",
    "currency": "ISO code; defaults to the account's",
    "sales_owner_email": "defaults to you",
    "decision_maker_email": "links the decision maker to a contact of the account",
    "key_people": "name|title|role; name|title|role",
    "expansion_headcount": "a whole number",
    "expansion_products": "product codes separated by commas",
    "submit": "true to submit at once",
}
