"""Publish domain events in the caller's transaction; read them back by time.

An event is written in the same transaction as the change it reports (an NPS answer, a
hand-off accepted, a lead passed), so it exists exactly when the change does. Readers
(playbooks) keep their own position as a time: transactions commit out of order, so a
reader should look back a little (``overlap``) and make its reaction idempotent (playbooks
de-duplicate by account × playbook).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.clock import utc_now
from kizuna.models.segment import DomainEvent

_KIND_MAX = 64


def publish(
    session: Session,
    kind: str,
    account_id: uuid.UUID | None,
    payload: dict[str, Any] | None = None,
    *,
    occurred_at: datetime | None = None,
) -> DomainEvent:
    """Record ``kind`` (dotted, e.g. ``survey.answered``) for ``account_id``; flushed."""
    if not kind or len(kind) > _KIND_MAX:
        raise ValueError(f"event kind must be 1–{_KIND_MAX} characters: {kind!r}")
    data = payload or {}
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event payload must be JSON: {exc}") from None
    event = DomainEvent(
        kind=kind, account_id=account_id, payload=data, occurred_at=occurred_at or utc_now()
    )
    session.add(event)
    session.flush()
    return event


def read_since(
    session: Session,
    since: datetime,
    *,
    kinds: Collection[str] | None = None,
    until: datetime | None = None,
    limit: int = 10_000,
) -> list[DomainEvent]:
    """Events with ``since <= occurred_at < until`` (``kinds`` only when given), oldest first."""
    stmt = select(DomainEvent).where(DomainEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(DomainEvent.occurred_at < until)
    if kinds is not None:
        stmt = stmt.where(DomainEvent.kind.in_(sorted(kinds)))
    stmt = stmt.order_by(DomainEvent.occurred_at, DomainEvent.id).limit(limit)
    return list(session.scalars(stmt))
