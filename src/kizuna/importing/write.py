"""Write checked rows in bulk: one INSERT executemany and one UPDATE executemany per set
of changed columns, per chunk. Contact roles follow their contacts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

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


class ChunkWriter:
    def __init__(self, session: Session, spec: KindSpec, *, now: datetime) -> None:
        self.session = session
        self.spec = spec
        self.table: Table = spec.table
        self.now = now
        self.defaults = {**_column_defaults(self.table), **spec.defaults}
        self.with_roles = spec.kind is ImportKind.CONTACTS

    def write(self, items: Sequence[tuple[dict[str, Any], Any]], counts: Counts) -> None:
        ids = [existing for _values, existing in items if existing is not None]
        stored = self._stored(ids)
        roles = self._stored_roles(ids) if self.with_roles else {}
        inserts: list[dict[str, Any]] = []
        updates: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
        new_roles: dict[uuid.UUID, list[Any]] = {}
        for values, existing in items:
            columns = {k: v for k, v in values.items() if k in self.table.c}
            if existing is None:
                row = self._new_row(columns)
                inserts.append(row)
                if values.get("roles"):
                    new_roles[row["id"]] = values["roles"]
                counts.created += 1
                continue
            current = stored[existing]
            changed = {k: v for k, v in columns.items() if k != "id" and current[k] != v}
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
        self._flush(inserts, updates, new_roles)

    def _new_row(self, columns: dict[str, Any]) -> dict[str, Any]:
        row = {}
        for name, default in self.defaults.items():
            row[name] = default() if callable(default) else default
        row.update(columns)
        row["id"] = columns.get("id") or uuid7()
        row["created_at"] = row["updated_at"] = self.now
        return row

    def _flush(
        self,
        inserts: list[dict[str, Any]],
        updates: dict[frozenset[str], list[dict[str, Any]]],
        new_roles: dict[uuid.UUID, list[Any]],
    ) -> None:
        if inserts:
            self.session.execute(insert(self.table), inserts)
        for keys, params in updates.items():
            stmt = (
                update(self.table)
                .where(self.table.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in keys})
            )
            self.session.connection().execute(stmt, params)
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


def _column_defaults(table: Table) -> dict[str, Any]:
    """Python-side defaults declared on the ORM columns (scalars, or zero-arg callables)."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is None:
            if column.nullable:
                defaults[column.name] = None
            continue
        if getattr(default, "is_scalar", False):
            defaults[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            fn = default.arg  # type: ignore[attr-defined]
            defaults[column.name] = lambda fn=fn: fn(None)
    return defaults


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{k}": v for k, v in values.items()}
