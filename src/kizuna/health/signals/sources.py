"""The SQL side of ``load_history``: one Core query per source, only the columns needed,
turned into sorted timelines. Each loader is portable (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Float, Select, String, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from kizuna.health.signals.builtins import REACH
from kizuna.health.signals.lines import Lines
from kizuna.health.signals.timelines import DAY_SHIFT, NO_DAY, Floats, Ints, Timeline, to_days
from kizuna.models.account import Account
from kizuna.models.activity import Activity, activity_contact
from kizuna.models.contact import Contact, ContactRoleLink
from kizuna.models.enums import ActivityKind, ContactRole, ProductKind, ProductUnit
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.survey import SurveyResponse

Lookup = Callable[[Iterable[Any]], Ints]

K = ActivityKind
# Activity timelines by name: which kinds each counts.
ACTIVITY_SETS: dict[str, frozenset[ActivityKind]] = {
    "touch": frozenset({K.MEETING, K.CALL, K.QBR, K.EMAIL, K.TRAINING, K.EVENT}),
    "touch4": frozenset({K.MEETING, K.CALL, K.QBR, K.TRAINING}),
    "kickoff": frozenset({K.MEETING, K.CALL}),  # after the sale (is_pre_sale false)
    "training": frozenset({K.TRAINING}),
    "qbr": frozenset({K.QBR}),
}
DM_ROLES = (ContactRole.DECISION_MAKER, ContactRole.EXECUTIVE_SPONSOR)


@dataclass(frozen=True)
class Inquiries:
    """Inquiries sorted by (account, opened day); the other arrays are aligned."""

    opened: Timeline
    first_response_day: Ints  # NO_DAY: none yet
    first_response_hours: Floats
    resolved_day: Ints
    resolution_hours: Floats
    resolved: Timeline  # (account, max(opened, resolved) day) of resolved inquiries


def text_id(column: Any) -> ColumnElement[str]:
    """An id column as text: no ``uuid.UUID`` object is built per row (SQLite gives the
    32-digit hex it stores, PostgreSQL the hyphenated form; the lookup knows both)."""
    return cast(column, String)


def epoch(session: Session, column: Any) -> ColumnElement[float]:
    """A UTC timestamp column as epoch seconds (float), computed by the database: turning a
    million rows into Python datetimes costs seconds, floats cost nothing."""
    if session.get_bind().dialect.name == "sqlite":  # stored as UTC text
        return cast((func.julianday(column) - 2440587.5) * 86400.0, Float)
    return cast(func.extract("epoch", column), Float)


def fetch(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[Sequence[Any]]:
    """The statement's columns as lists, read with the driver's own cursor.

    Building a SQLAlchemy ``Row`` per row costs about as much as the query itself at a
    million rows, so the statement (whose only parameters are our own constants: kinds and
    roles) is rendered with literal values and run on the session's DBAPI connection — the
    same connection and transaction, so uncommitted rows are seen. Values come back as
    the driver gives them: dates may be ISO text (SQLite), enums are their strings.
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    width = len(stmt.selected_columns)
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


def local_days(seconds: Sequence[float | None], offset: int) -> tuple[Ints, Floats]:
    """(local day number, epoch seconds) of epoch seconds; NO_DAY / NaN for None."""
    values = np.array(seconds, dtype=np.float64) if len(seconds) else np.zeros(0)
    days = np.floor((values + offset) / 86_400.0)
    missing = np.isnan(days)
    out = np.where(missing, NO_DAY, np.nan_to_num(days) + DAY_SHIFT).astype(np.int64)
    return out, values


def _date_days(values: Sequence[Any]) -> Ints:
    return to_days(np.array(values, dtype="datetime64[D]"))


def load_lines(session: Session, lookup: Lookup) -> Lines:
    c = fetch(
        session,
        select(
            text_id(Subscription.account_id),
            Subscription.start_on,
            Subscription.end_on,
            Subscription.mrr_amount,
            Subscription.currency,
            Subscription.quantity,
            Subscription.term_months,
            Product.unit,
            Product.kind,
        ).join(Product, Product.id == Subscription.product_id),
    )
    account, start = lookup(c[0]), _date_days(c[1])
    order = np.lexsort((start, account))
    order = order[account[order] >= 0]
    unit = np.array([str(u) for u in c[7]], dtype=object)
    kind = np.array([str(k) for k in c[8]], dtype=object)
    options = [str(ProductKind.OPTION), str(ProductKind.ADD_ON)]
    return Lines(
        account=account[order],
        start=start[order],
        end=_date_days(c[2])[order],
        amount=np.array(c[3], np.int64)[order],
        currency=[c[4][i] for i in order],
        quantity=np.array(c[5], np.int64)[order],
        per_seat=(unit == str(ProductUnit.SEAT))[order],
        option=np.isin(kind, options)[order],
        term_months=np.array(c[6], np.int64)[order],
    )


def load_activities(
    session: Session,
    lookup: Lookup,
    offset: int,
    sets: Sequence[str],
    cutoffs: Mapping[str, datetime | None] | None = None,
) -> dict[str, Timeline]:
    """The timelines of the activity sets named (``ACTIVITY_SETS``).

    ``cutoffs`` (per set; None or absent: the whole history): only activities from then
    on, plus, for each set some signal asks "ever" about (``builtins.REACH``), each
    account's oldest or newest one before it. With cutoffs, kickoffs (the one set that
    needs ``is_pre_sale``) are read by their own query from their own cutoff, a day or two
    back, and the other sets need account, kind and time only, which
    ``ix_activity_account_kind_occurred`` holds: neither query reads the table itself,
    mostly text (SQLite: 0.2 s instead of a 0.5 s scan, and far fewer pages to read when
    the cache is cold). Read whole, one scan serves every set."""
    cutoffs = cutoffs or {}
    kickoff = cutoffs.get("kickoff") if "kickoff" in sets else None
    together = [name for name in sets if name != "kickoff" or kickoff is None]
    out: dict[str, Timeline] = {}
    if together:
        found = [cutoffs.get(name) for name in together]
        shared = None if None in found else min(c for c in found if c is not None)
        out.update(_activity_sets(session, lookup, offset, together, shared))
    if kickoff is not None:
        out["kickoff"] = _recent_kickoffs(session, lookup, offset, kickoff)
    return out


def _activity_sets(
    session: Session,
    lookup: Lookup,
    offset: int,
    sets: Sequence[str],
    cutoff: datetime | None,
) -> dict[str, Timeline]:
    """The sets, from one query that reads only the kinds they count (and
    ``is_pre_sale`` only for kickoffs)."""
    kinds = sorted({k for name in sets for k in ACTIVITY_SETS[name]})
    reach = {name: REACH[f"activity:{name}"] for name in sets}
    columns: list[Any] = [
        text_id(Activity.account_id),
        cast(Activity.kind, String),
        epoch(session, Activity.occurred_at),
    ]
    if "kickoff" in sets:
        columns.append(Activity.is_pre_sale)
    if cutoff is None:
        stmt = select(*columns).where(Activity.kind.in_(kinds))
    else:
        # Rare kinds are read whole; their older rows also land in other sets counting
        # that kind (touch, touch4): real rows older than every window, no answer changes.
        whole = sorted({k for n in sets if reach[n].whole for k in ACTIVITY_SETS[n]})
        recent = [k for k in kinds if k not in whole]
        wanted: list[ColumnElement[bool]] = [Activity.kind.in_(whole)] if whole else []
        if recent:
            wanted.append(Activity.kind.in_(recent) & (Activity.occurred_at >= cutoff))
        # Reached from each account, an index range or prefix per kind: SQLite seeks them
        # in ix_activity_account_kind_occurred account by account.
        stmt = (
            select(*columns)
            .select_from(Account)
            .join(Activity, Activity.account_id == Account.id)
            .where(or_(*wanted))
        )
    c = fetch(session, stmt)
    account = lookup(c[0])
    days, _ = local_days(c[2], offset)
    kind = pa.array(c[1], pa.string())
    older: dict[str, list[tuple[Ints, Ints]]] = {}
    if cutoff is not None:
        older = _older(session, lookup, offset, sets, cutoff)
    out: dict[str, Timeline] = {}
    for name in sets:
        members = pa.array([str(k) for k in ACTIVITY_SETS[name]], pa.string())
        mask = pc.is_in(kind, value_set=members).to_numpy(zero_copy_only=False) & (account >= 0)
        if name == "kickoff":  # read whole: with cutoffs, kickoffs have their own query
            mask &= ~np.array(c[3], np.bool_)
        accounts, set_days = _with_older(account[mask], days[mask], older.get(name, []))
        out[name] = Timeline.of(accounts, set_days)
    return out


def _recent_kickoffs(session: Session, lookup: Lookup, offset: int, cutoff: datetime) -> Timeline:
    """Meetings and calls after the sale from ``cutoff`` on, plus each account's newest
    before (``REACH``: only the newest kickoff is ever asked about)."""
    stmt = (
        select(text_id(Activity.account_id), epoch(session, Activity.occurred_at))
        .select_from(Account)
        .join(Activity, Activity.account_id == Account.id)
        .where(
            Activity.kind.in_(sorted(ACTIVITY_SETS["kickoff"])),
            Activity.is_pre_sale.is_(False),
            Activity.occurred_at >= cutoff,
        )
    )
    c = fetch(session, stmt)
    account = lookup(c[0])
    days, _ = local_days(c[1], offset)
    known = account >= 0
    older = _older(session, lookup, offset, ["kickoff"], cutoff)
    accounts, found = _with_older(account[known], days[known], older.get("kickoff", []))
    return Timeline.of(accounts, found)


def _older(
    session: Session, lookup: Lookup, offset: int, sets: Sequence[str], cutoff: datetime
) -> dict[str, list[tuple[Ints, Ints]]]:
    """Per set, each account's oldest and/or newest activity before ``cutoff``, as far as
    a signal asks (``REACH``); sets read whole need none."""
    reach = {name: REACH[f"activity:{name}"] for name in sets}
    questions = [
        (name, newest)
        for name in sets
        if not reach[name].whole
        for newest in (False, True)
        if (reach[name].last if newest else reach[name].first)
    ]
    found = extremes(
        session,
        lookup,
        offset,
        [(_in_set(name), newest) for name, newest in questions],
        before=cutoff,
    )
    older: dict[str, list[tuple[Ints, Ints]]] = {}
    for (name, _newest), pair in zip(questions, found, strict=True):
        older.setdefault(name, []).append(pair)
    return older


def _in_set(name: str) -> ColumnElement[bool]:
    """SQL for "the activity belongs to the set" (``ACTIVITY_SETS``)."""
    condition: ColumnElement[bool] = cast(Activity.kind, String).in_(
        sorted(str(k) for k in ACTIVITY_SETS[name])
    )
    if name == "kickoff":
        condition = condition & Activity.is_pre_sale.is_(False)
    return condition


def _with_older(
    accounts: Ints, days: Ints, older: Sequence[tuple[Ints, Ints]]
) -> tuple[Ints, Ints]:
    if not older:
        return accounts, days
    return (
        np.concatenate([accounts, *(a for a, _ in older)]),
        np.concatenate([days, *(d for _, d in older)]),
    )


def extremes(
    session: Session,
    lookup: Lookup,
    offset: int,
    questions: Sequence[tuple[ColumnElement[bool], bool]],
    *,
    before: datetime,
) -> list[tuple[Ints, Ints]]:
    """For each (condition on ``Activity``, newest?): (account index, local day) of each
    account's oldest — or newest — activity before ``before`` meeting the condition;
    accounts without one are left out. The answer is a stored timestamp, turned into a
    day exactly as the full read turns it.

    Each answer is a correlated ``ORDER BY occurred_at LIMIT 1`` per account that walks
    the account's part of ``ix_activity_account_occurred`` and stops at the first match:
    on SQLite a ``GROUP BY`` would sort the rows (~2 s); on PostgreSQL its hash aggregate
    reads every older activity's row (0.25 s for the newest kickoff, against 0.12 s)."""
    if not questions:
        return []
    older = Activity.occurred_at < before
    columns = []
    for condition, newest in questions:
        order = Activity.occurred_at.desc() if newest else Activity.occurred_at.asc()
        first = (
            select(Activity.occurred_at)
            .where(Activity.account_id == Account.id, older, condition)
            .order_by(order)
            .limit(1)
            .scalar_subquery()
        )
        columns.append(epoch(session, first))
    stmt = select(text_id(Account.id), *columns)
    c = fetch(session, stmt)
    account = lookup(c[0])
    out = []
    for seconds in c[1:]:
        days, _ = local_days([np.nan if v is None else v for v in seconds], offset)
        keep = (days >= 0) & (account >= 0)
        out.append((account[keep], days[keep]))
    return out


def load_participations(
    session: Session, lookup: Lookup, offset: int, cutoff: datetime | None = None
) -> Timeline:
    """Contacts taking part in activities: a timeline whose values are contact numbers
    (numbers only tell contacts apart). With ``cutoff``: activities from then on."""
    stmt = select(
        text_id(Activity.account_id),
        epoch(session, Activity.occurred_at),
        text_id(activity_contact.c.contact_id),
    ).join(activity_contact, activity_contact.c.activity_id == Activity.id)
    if cutoff is not None:
        stmt = stmt.where(Activity.occurred_at >= cutoff)
    c = fetch(session, stmt)
    account = lookup(c[0])
    days, _ = local_days(c[1], offset)
    contacts = pa.array(c[2], pa.string())
    number = pc.dictionary_encode(contacts).indices.to_numpy(zero_copy_only=False)
    known = account >= 0
    return Timeline.of(account[known], days[known], number[known])


def _decider_present() -> ColumnElement[bool]:
    """The activity had a decision maker or executive sponsor among its contacts: a
    correlated ``EXISTS``, checked per activity read."""
    deciders = select(activity_contact.c.activity_id).join(
        ContactRoleLink, ContactRoleLink.contact_id == activity_contact.c.contact_id
    )
    roles = cast(ContactRoleLink.role, String).in_([str(r) for r in DM_ROLES])
    return deciders.where(activity_contact.c.activity_id == Activity.id, roles).exists()


def load_decider_touches(
    session: Session, lookup: Lookup, offset: int, cutoff: datetime | None = None
) -> Timeline:
    """Activities a decision maker or executive sponsor took part in (by the contacts'
    roles today: roles have no history). With ``cutoff``: those from then on, plus each
    account's newest one before."""
    if cutoff is None:
        deciders = (
            select(activity_contact.c.activity_id)
            .join(ContactRoleLink, ContactRoleLink.contact_id == activity_contact.c.contact_id)
            .where(cast(ContactRoleLink.role, String).in_([str(r) for r in DM_ROLES]))
        )
        stmt = select(text_id(Activity.account_id), epoch(session, Activity.occurred_at)).where(
            Activity.id.in_(deciders)
        )
    else:
        stmt = select(text_id(Activity.account_id), epoch(session, Activity.occurred_at)).where(
            Activity.occurred_at >= cutoff, _decider_present()
        )
    c = fetch(session, stmt)
    account = lookup(c[0])
    days, _ = local_days(c[1], offset)
    known = account >= 0
    accounts, found = account[known], days[known]
    if cutoff is not None:
        question = (_decider_present(), True)
        older = extremes(session, lookup, offset, [question], before=cutoff)
        accounts, found = _with_older(accounts, found, older)
    return Timeline.of(accounts, found)


def load_inquiries(session: Session, lookup: Lookup, offset: int) -> Inquiries:
    c = fetch(
        session,
        select(
            text_id(Activity.account_id),
            epoch(session, func.coalesce(Activity.opened_at, Activity.occurred_at)),
            epoch(session, Activity.first_response_at),
            epoch(session, Activity.resolved_at),
        ).where(Activity.kind == ActivityKind.INQUIRY),
    )
    account = lookup(c[0])
    opened_day, opened_s = local_days(c[1], offset)
    first_day, first_s = local_days(c[2], offset)
    resolved_day, resolved_s = local_days(c[3], offset)
    order = np.lexsort((opened_day, account))
    order = order[account[order] >= 0]
    account, opened_day = account[order], opened_day[order]
    first_day, resolved_day = first_day[order], resolved_day[order]
    first_h = (first_s[order] - opened_s[order]) / 3600.0
    resolved_h = (resolved_s[order] - opened_s[order]) / 3600.0
    done = resolved_day >= 0
    return Inquiries(
        opened=Timeline.of(account, opened_day),
        first_response_day=first_day,
        first_response_hours=first_h,
        resolved_day=resolved_day,
        resolution_hours=resolved_h,
        resolved=Timeline.of(account[done], np.maximum(resolved_day, opened_day)[done]),
    )


def load_surveys(session: Session, lookup: Lookup) -> dict[str, Timeline]:
    c = fetch(
        session,
        select(
            text_id(SurveyResponse.account_id),
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.responded_on,
        ),
    )
    account = lookup(c[0])
    days = _date_days(c[3])
    kind = np.array([str(k) for k in c[1]], dtype=object)
    score = np.array(c[2], np.float64)
    out = {}
    for name in ("nps", "csat"):
        mask = (kind == name) & (account >= 0)
        out[name] = Timeline.of(account[mask], days[mask], score[mask])
    return out


def load_contacts(session: Session, lookup: Lookup, offset: int) -> dict[str, Timeline]:
    """Active contacts by role and creation day (deactivation has no date: a contact
    deactivated today counts as never having been there, also for past as-of days)."""
    c = fetch(
        session,
        select(
            text_id(Contact.account_id), epoch(session, Contact.created_at), ContactRoleLink.role
        )
        .join(ContactRoleLink, ContactRoleLink.contact_id == Contact.id)
        .where(
            Contact.is_active.is_(True),
            ContactRoleLink.role.in_((ContactRole.ADMIN, ContactRole.CHAMPION)),
        ),
    )
    account = lookup(c[0])
    days, _ = local_days(c[1], offset)
    role = np.array([str(r) for r in c[2]], dtype=object)
    out = {}
    for name in ("admin", "champion"):
        mask = (role == name) & (account >= 0)
        out[name] = Timeline.of(account[mask], days[mask])
    return out


def load_fields(
    session: Session, lookup: Lookup, accounts: int, names: Sequence[str]
) -> dict[str, Floats]:
    """Current values of numeric account fields (``employee_count``, ``custom.<key>``)."""
    custom = any(n.startswith("custom.") for n in names)
    stmt = select(Account.id, Account.employee_count)
    if custom:
        stmt = stmt.add_columns(Account.custom_fields)
    rows: Sequence[Any] = session.execute(stmt).all()
    index = lookup(r[0] for r in rows)
    out: dict[str, Floats] = {}
    for name in names:
        values = np.full(accounts + 1, np.nan)
        for i, row in zip(index.tolist(), rows, strict=True):
            if i < 0:
                continue
            raw = row[1] if name == "employee_count" else (row[2] or {}).get(name[7:])
            values[i] = _number(raw)
        out[name] = values
    return out


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or raw is None:
        return np.nan
    try:
        return float(raw)
    except (TypeError, ValueError):
        return np.nan
