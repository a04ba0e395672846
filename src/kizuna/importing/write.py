"""Write checked rows in bulk: one INSERT executemany and one UPDATE executemany per set
of changed columns, per chunk. Contact roles follow their contacts.

The INSERT is compiled once per set of columns and sent through the driver's
``executemany`` (``COPY`` on PostgreSQL) with the values already converted by the very
bind processors SQLAlchemy would apply (UUIDs, UTC date-times, JSON, enums…). Columns that
hold the same value on every row (defaults, the import's timestamp) are converted once
instead of once per row: at a million rows the per-value conversions were most of the time
of the write. New rows are converted for their INSERT while the file is checked
(:meth:`ChunkWriter.batch`) and spilled in that form, so the writing pass only reads back
tuples and sends them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from kizuna.db.bulk import BulkInsert, column_defaults
from kizuna.importing.spec import KindSpec
from kizuna.kit.ids import uuid7
from kizuna.models import ContactRoleLink
from kizuna.models.importing import ImportKind

ROLE_TABLE: Table = ContactRoleLink.__table__  # type: ignore[assignment]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class Batch:
    """One chunk's writes, prepared while checking and spilled to disk: the new rows as
    the driver's INSERT parameters (so the writing pass reads back plain tuples), their
    contact roles, and the rows that update stored records."""

    columns: tuple[str, ...]  # the columns the new rows give: selects the INSERT
    params: list[Any]
    roles: dict[uuid.UUID, list[Any]]  # new contact id → roles
    updates: list[tuple[dict[str, Any], Any]]  # (values, id of the stored record)


class ChunkWriter:
    def __init__(self, session: Session, spec: KindSpec, *, now: datetime) -> None:
        self.session = session
        self.spec = spec
        self.table: Table = spec.table
        self.now = now
        self.defaults = {**column_defaults(self.table), **spec.defaults}
        self.with_roles = spec.kind is ImportKind.CONTACTS
        self.names = frozenset(self.table.c.keys())
        # What a new row does not give: the defaults, and this import's timestamps.
        self.insert_defaults = {**self.defaults, "created_at": now, "updated_at": now}
        self.inserts: dict[tuple[str, ...], BulkInsert] = {}

    def batch(self, items: Sequence[tuple[dict[str, Any], Any]]) -> Batch:
        """Split checked rows (values, stored id or None) into new rows, given an id and
        converted for the INSERT now, and updates, compared with the stored rows later."""
        new: list[dict[str, Any]] = []
        roles: dict[uuid.UUID, list[Any]] = {}
        updates: list[tuple[dict[str, Any], Any]] = []
        for values, existing in items:
            if existing is not None:
                updates.append((values, existing))
                continue
            values["id"] = values.get("id") or uuid7()
            new.append(values)
            if self.with_roles and values.get("roles"):
                roles[values["id"]] = values["roles"]
        if not new:
            return Batch((), [], roles, updates)
        given = tuple(sorted(self.names.intersection(set().union(*new))))
        return Batch(given, self._statement(given).params(new), roles, updates)

    def write(self, batch: Batch, counts: Counts) -> None:
        """Insert the new rows, update the changed ones, then set contact roles."""
        if batch.params:
            self._statement(batch.columns).execute(self.session.connection(), batch.params)
            counts.created += len(batch.params)
        ids = [existing for _values, existing in batch.updates]
        stored = self._stored(ids)
        roles = self._stored_roles(ids) if self.with_roles else {}
        updates: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
        new_roles = dict(batch.roles)
        names = self.names
        for values, existing in batch.updates:
            current = stored[existing]
            changed = {
                k: v for k, v in values.items() if k in names and k != "id" and current[k] != v
            }
            wanted: list[Any] | None = values.get("roles")
            roles_changed = wanted is not None and set(wanted) != roles.get(existing, set())
            if wanted is not None and roles_changed:
                new_roles[existing] = wanted
            if not changed and not roles_changed:
                counts.unchanged += 1
                continue
            changed["updated_at"] = self.now
            updates[frozenset(changed)].append({"b_id": existing, **_bound(changed)})
            counts.updated += 1
        self._update(updates)
        self._set_roles(new_roles)

    def _statement(self, given: tuple[str, ...]) -> BulkInsert:
        statement = self.inserts.get(given)
        if statement is None:
            dialect = self.session.get_bind().dialect
            statement = BulkInsert(dialect, self.table, given, self.insert_defaults)
            self.inserts[given] = statement
        return statement

    def _update(self, updates: dict[frozenset[str], list[dict[str, Any]]]) -> None:
        for keys, params in updates.items():
            stmt = (
                update(self.table)
                .where(self.table.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in keys})
            )
            self.session.connection().execute(stmt, params)

    def _set_roles(self, new_roles: dict[uuid.UUID, list[Any]]) -> None:
        if new_roles:
            self.session.execute(delete(ROLE_TABLE).where(ROLE_TABLE.c.contact_id.in_(new_roles)))
            links = [
                {"contact_id": cid, "role": role}
                for cid, wanted in new_roles.items()
                for role in wanted
            ]
            if links:
                self.session.execute(insert(ROLE_TABLE), links)

    def _stored(self, ids: list[Any]) -> dict[Any, Any]:
        if not ids:
            return {}
        rows = self.session.execute(select(self.table).where(self.table.c.id.in_(ids)))
        return {row["id"]: row for row in rows.mappings()}

    def _stored_roles(self, ids: list[Any]) -> dict[Any, set[Any]]:
        found: dict[Any, set[Any]] = defaultdict(set)
        if ids:
            stmt = select(ROLE_TABLE.c.contact_id, ROLE_TABLE.c.role).where(
                ROLE_TABLE.c.contact_id.in_(ids)
            )
            for contact_id, role in self.session.execute(stmt):
                found[contact_id].add(role)
        return found


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{k}": v for k, v in values.items()}
