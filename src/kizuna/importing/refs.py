"""Resolve references (account_ref, product_ref, contact_ref, owners) for a chunk of rows in
one query per reference, and find which rows already exist (the upsert match)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from kizuna.importing.rowprep import Prepared, Problem
from kizuna.importing.spec import KindSpec, RefSpec

RefCache = dict[str, dict[str, tuple[uuid.UUID, Any] | None]]
REF_CACHE_LIMIT = 100_000  # keys remembered per reference target (then forgotten at once)


def resolve_refs(
    session: Session,
    spec: KindSpec,
    rows: Sequence[Prepared],
    columns: dict[str, str],
    cache: RefCache | None = None,
) -> list[Problem]:
    """Put each reference's id in ``row.values[ref.column]``; unknown keys are problems.

    ``columns`` names the source column of each target (for the report). An account
    reference also brings the account's currency (``_account_currency``) for the checks.
    ``cache`` (target → key → hit, or None when unknown) carries what earlier chunks of the
    same import found, so that a file naming the same few thousand accounts a million
    times asks the database once per account. The referenced tables do not change while
    an import checks its rows, so a remembered answer is the one the query would give.
    """
    problems: list[Problem] = []
    for target, ref in spec.refs.items():
        wanted = {r.refs[target] for r in rows if target in r.refs}
        if not wanted:
            continue
        known = {} if cache is None else cache.setdefault(target, {})
        missing = wanted.difference(known)
        if missing:
            found = _lookup(session, ref, missing)
            if len(known) + len(missing) > REF_CACHE_LIMIT:
                known.clear()
            for name in missing:
                known[name] = found.get(name)
        for row in rows:
            key = row.refs.get(target)
            if key is None:
                continue
            hit = known.get(key)
            if hit is None:
                problems.append(
                    Problem(
                        row.number,
                        columns.get(target, target),
                        key,
                        "unknown_reference",
                        _unknown(ref),
                    )
                )
                continue
            row.values[ref.column] = hit[0]
            if ref.column == "account_id":
                row.values["_account_currency"] = hit[1]
    return problems


def _lookup(session: Session, ref: RefSpec, keys: set[str]) -> dict[str, tuple[uuid.UUID, Any]]:
    """key → (id, currency or id). Keys are tried on the lookup columns, and a key that is
    a UUID also on the id (a Kizuna export writes the id when there is no natural key)."""
    table = ref.table
    extra = table.c.currency if "currency" in table.c else table.c.id
    conditions = [table.c[column].in_(keys) for column in ref.lookups]
    ids = {k: parsed for k in keys if (parsed := _as_uuid(k)) is not None}
    if ids:
        conditions.append(table.c.id.in_(set(ids.values())))
    rows = session.execute(
        select(table.c.id, extra, *(table.c[c] for c in ref.lookups)).where(or_(*conditions))
    ).all()
    found: dict[str, tuple[uuid.UUID, Any]] = {}
    by_id = {parsed: key for key, parsed in ids.items()}
    for row in rows:  # the first lookup column wins (external id before domain)
        if row[0] in by_id:
            found[by_id[row[0]]] = (row[0], row[1])
        for value in reversed(row[2:]):
            if value is not None and value in keys:
                found[value] = (row[0], row[1])
    return found


def _as_uuid(text: str) -> uuid.UUID | None:
    if len(text) not in (32, 36):
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _unknown(ref: RefSpec) -> str:
    if ref.table.name == "user":
        return "no user with this e-mail: create the user first, or leave the column out"
    return f"no {ref.table.name} with this {' or '.join(ref.lookups)}"


def identity(spec: KindSpec, match_key: str, row: Prepared) -> tuple[Any, ...] | None:
    """What identifies ``row`` among stored rows: its match key, else the natural key."""
    for key in (match_key, "id"):
        value = row.values.get(key)
        if value is not None:
            return (key, value)
    if spec.natural_key and all(row.values.get(c) is not None for c in spec.natural_key):
        return ("natural", *(row.values[c] for c in spec.natural_key))
    return None


def find_existing(
    session: Session,
    spec: KindSpec,
    match_key: str,
    rows: Iterable[Prepared],
    keys: Iterable[tuple[Any, ...] | None] | None = None,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Stored rows (as column dicts) keyed by the identity of the incoming rows.

    ``keys``: the identities of ``rows``, when the caller has them already. Matches are
    looked up by key first and only the rows found are read whole (a first import finds
    none, and reading nothing is cheaper than reading nothing of every column).
    """
    table: Table = spec.table
    if keys is None:
        keys = (identity(spec, match_key, r) for r in rows)
    wanted = {k for k in keys if k is not None}
    natural = [k[1:] for k in wanted if k[0] == "natural"]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for column in {match_key, "id"}:
        values = [k[1] for k in wanted if k[0] == column]
        if values:
            condition = _among(session, table.c[column], values)
            hits = session.scalars(select(table.c.id).where(condition)).all()
            if hits:
                stmt = select(table).where(table.c.id.in_(hits))
                for row in session.execute(stmt).mappings():
                    found[(column, row[column])] = dict(row)
    if natural:
        columns = [table.c[c] for c in spec.natural_key]
        stmt = select(table).where(tuple_(*columns).in_(natural))
        for row in session.execute(stmt).mappings():
            found[("natural", *(row[c] for c in spec.natural_key))] = dict(row)
    return found


def _among(session: Session, column: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a chunk's worth of text values, sent as one parameter:
    expanding 5,000 bound parameters took SQLAlchemy four times as long as the query. On
    SQLite a JSON array read by ``json_each``, on PostgreSQL ``= ANY(array)``."""
    dialect = session.get_bind().dialect.name
    if not all(isinstance(v, str) for v in values):
        return column.in_(values)
    if dialect == "sqlite":
        array = func.json_each(json.dumps(values)).table_valued("value")
        return column.in_(select(array.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)
