"""Record and read audit events. Every service that changes data calls ``record``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import utc_now
from kizuna.models.audit import AuditEvent
from kizuna.models.user import User


def json_safe(value: Any) -> Any:
    """A value as it should appear in the audit log's JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal | date | datetime):
        return str(value) if not isinstance(value, date | datetime) else value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return value


def apply_changes(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on ``obj``; return ``{field: [old, new]}`` for those that changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [json_safe(old), json_safe(new)]
            setattr(obj, name, new)
    return changes


def snapshot(obj: Any, fields: Sequence[str]) -> dict[str, list[Any]]:
    """``{field: [None, value]}`` for a newly created object."""
    return {name: [None, json_safe(getattr(obj, name))] for name in fields}


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str,
    *,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=utc_now(),
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:300],
        changes=dict(changes or {}),
        ip=actor.ip,
        actor_name=actor.name[:100],
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    actor: Actor,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    actor.require(Permission.AUDIT_READ)
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    return list(session.scalars(stmt.limit(limit)))


def actor_names(session: Session, events: Sequence[AuditEvent]) -> dict[uuid.UUID, str]:
    """Display names of the users behind ``events`` (one query)."""
    ids = {e.actor_user_id for e in events if e.actor_user_id}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return dict(rows)
