"""Export every object, or the whole database, to CSV (formula-safe, UTF-8 with BOM) or
Parquet. Rows stream from the database in partitions: memory stays bounded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.exporting.columns import Column, arrow_schema, columns_for, plain
from kizuna.exporting.writers import write_csv, write_parquet
from kizuna.importing.spec import SPECS, KindSpec, RefSpec
from kizuna.kit.clock import utc_now
from kizuna.models import (
    Account,
    Activity,
    Contact,
    ContactRoleLink,
    Product,
    Subscription,
    SurveyResponse,
)
from kizuna.models.importing import ImportKind

Format = Literal["csv", "parquet"]
Progress = Callable[[str, int], None]
PARTITION = 5_000
MODELS: dict[ImportKind, Any] = {
    ImportKind.ACCOUNTS: Account,
    ImportKind.CONTACTS: Contact,
    ImportKind.PRODUCTS: Product,
    ImportKind.SUBSCRIPTIONS: Subscription,
    ImportKind.ACTIVITIES: Activity,
    ImportKind.SURVEY_RESPONSES: SurveyResponse,
}


def export_kind(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    fmt: Format,
    path: Path,
    progress: Progress | None = None,
) -> int:
    """Write every record of ``kind`` to ``path``; returns the number of rows."""
    actor.require(Permission.EXPORT_RUN)
    keys = _custom_keys(session, kind)
    columns = columns_for(kind, keys)
    rows = _rows(session, kind, columns, progress or (lambda _kind, _done: None))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(path, [c.name for c in columns], rows)
    return write_parquet(path, arrow_schema(columns), rows)


def export_all(
    session: Session,
    actor: Actor,
    fmt: Format,
    folder: Path,
    progress: Progress | None = None,
) -> dict[str, int]:
    """A whole-database snapshot: one file per kind, in import order, plus a manifest."""
    actor.require(Permission.EXPORT_RUN)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind in ImportKind:
        counts[kind.value] = export_kind(
            session, actor, kind, fmt, folder / f"{kind.value}.{fmt}", progress
        )
    manifest = {
        "exported_at": utc_now().isoformat(),
        "format": fmt,
        "counts": counts,
        "import_order": [k.value for k in ImportKind],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return counts


def _custom_keys(session: Session, kind: ImportKind) -> list[str]:
    obj = SPECS[kind].custom_object
    return [] if obj is None else [d.key for d in custom_fields.list_definitions(session, obj)]


def _rows(
    session: Session, kind: ImportKind, columns: list[Column], progress: Progress
) -> Iterator[list[Any]]:
    model = MODELS[kind]
    spec = SPECS[kind]
    stmt = select(model).order_by(model.id).execution_options(yield_per=PARTITION)
    done = 0
    for partition in session.scalars(stmt).partitions():
        refs = {
            target: _natural_keys(session, ref, {getattr(r, ref.column) for r in partition})
            for target, ref in spec.refs.items()
        }
        roles = _roles(session, [r.id for r in partition]) if kind is ImportKind.CONTACTS else {}
        for record in partition:
            yield _cells(record, spec, refs, columns, roles)
        done += len(partition)
        progress(kind.value, done)


def _cells(
    record: Any,
    spec: KindSpec,
    refs: dict[str, dict[Any, str]],
    columns: list[Column],
    roles: dict[uuid.UUID, str],
) -> list[Any]:
    cells: list[Any] = []
    for column in columns:
        name = column.name
        if name == "id":
            cells.append(str(record.id))
        elif name in refs:
            cells.append(refs[name].get(getattr(record, spec.refs[name].column)))
        elif name == "roles":
            cells.append(roles.get(record.id, ""))
        elif name.startswith("custom."):
            value = (record.custom_fields or {}).get(name.removeprefix("custom."))
            cells.append(";".join(value) if isinstance(value, list) else _text(value))
        elif column.type == "decimal":
            value = getattr(record, name)
            cells.append(None if value is None else format(value, "f"))  # exact text
        else:
            cells.append(plain(getattr(record, name)))
    return cells


def _natural_keys(session: Session, ref: RefSpec, ids: set[Any]) -> dict[Any, str]:
    """id → the key an import finds the record by: its first lookup column, else its id."""
    ids.discard(None)
    if not ids:
        return {}
    table = ref.table
    lookups = [table.c[c] for c in ref.lookups]
    found = {}
    for row in session.execute(select(table.c.id, *lookups).where(table.c.id.in_(ids))):
        key = next((v for v in row[1:] if v), None)
        found[row[0]] = str(key) if key else str(row[0])
    return found


def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _roles(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(ContactRoleLink.contact_id, ContactRoleLink.role)
        .where(ContactRoleLink.contact_id.in_(ids))
        .order_by(ContactRoleLink.role)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for contact_id, role in rows:
        found.setdefault(contact_id, []).append(role.value)
    return {cid: ";".join(roles) for cid, roles in found.items()}
