"""Accept a decoded batch of Segment events for a source, in the caller's transaction:
store the good events in the inbox (a retried ``messageId`` is stored once), record the
bad ones with their reason, keep a small sample for the debugger, apply identity calls.

The caller commits before answering the sender: once it has said 200, the events are in
the database (durable) and nothing is lost if the process is killed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kizuna.models.usage import EventInbox, EventSample, EventSource, RejectedEvent
from kizuna.usage.events import IDENTITY_TYPES, EventRecord, Rejection, normalise
from kizuna.usage.identity import apply_identity
from kizuna.usage.pipeline import request_flush
from kizuna.usage.sources import SourceKey

KEEP_REJECTIONS = 1_000  # newest refused events kept per source
KEEP_SAMPLES = 200  # newest sampled events kept per source
SAMPLES_PER_REQUEST = 5
LAST_EVENT_EVERY = 30.0  # seconds between updates of a source's last_event_at

_inbox: Table = EventInbox.__table__  # type: ignore[assignment]
_samples: Table = EventSample.__table__  # type: ignore[assignment]
_rejections: Table = RejectedEvent.__table__  # type: ignore[assignment]


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def ingest(
    session: Session,
    source: SourceKey,
    raw_events: Sequence[Any],
    *,
    received_at: datetime,
    sent_at: datetime | None = None,
    type_hint: str | None = None,
    batch_context: dict[str, Any] | None = None,
) -> IngestResult:
    """Validate and store ``raw_events`` for ``source``; bad events never stop good ones."""
    result = IngestResult()
    records: list[EventRecord] = []
    seen: set[str] = set()
    for raw in raw_events:
        if batch_context and isinstance(raw, dict):
            context = raw.get("context")
            raw = {
                **raw,
                "context": {**batch_context, **context}
                if isinstance(context, dict)
                else batch_context,
            }
        outcome = normalise(raw, received_at=received_at, sent_at=sent_at, type_hint=type_hint)
        if isinstance(outcome, Rejection):
            result.rejected.append(outcome)
        elif outcome["message_id"] in seen:
            result.duplicates += 1
        else:
            seen.add(outcome["message_id"])
            records.append(outcome)
    stored = store_events(session, source.id, records)
    result.accepted = len(stored)
    result.duplicates += len(records) - len(stored)
    if stored:
        _sample(session, source.id, stored[:SAMPLES_PER_REQUEST])
        identity_calls = [r for r in stored if r["type"] in IDENTITY_TYPES]
        if identity_calls:
            result.rejected.extend(apply_identity(session, identity_calls, source=source).problems)
        _touch_source(session, source.id, received_at)
        request_flush(session)  # the worker moves them into the event store
    if result.rejected:
        record_rejections(session, source.id, received_at, result.rejected)
    return result


def store_events(
    session: Session, source_id: uuid.UUID, records: Sequence[EventRecord]
) -> list[EventRecord]:
    """Insert ``records`` into the inbox, skipping message ids it already holds for this
    source; returns the records actually inserted."""
    if not records:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return _store_sqlite(session, source_id, records)
    rows = [{**r, "source_id": source_id} for r in records]
    stmt = (
        postgresql.insert(_inbox)
        .on_conflict_do_nothing(index_elements=["source_id", "message_id"])
        .returning(_inbox.c.message_id)
    )
    inserted = set(session.connection().execute(stmt, rows).scalars())
    if len(inserted) == len(records):
        return list(records)
    return [r for r in records if r["message_id"] in inserted]


_SQLITE_INSERT = (
    "INSERT INTO event_inbox (source_id, message_id, type, event, user_id, anonymous_id, "
    "group_id, previous_id, timestamp, received_at, properties, context) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_id, message_id) DO NOTHING"
)


def _store_sqlite(
    session: Session, source_id: uuid.UUID, records: Sequence[EventRecord]
) -> list[EventRecord]:
    """The hot path on SQLite: one ``executemany`` on the driver, values already in the
    column types' stored forms (``UUID`` as 32 hex digits, ``UTCDateTime`` as naive UTC
    text), which skips SQLAlchemy's per-value conversions: a third of the request's time."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    sid = source_id.hex
    received = {r["received_at"] for r in records}
    received_text = _sqlite_time(records[0]["received_at"]) if len(received) == 1 else None
    before = cursor.execute("SELECT max(seq) FROM event_inbox").fetchone()[0] or 0
    cursor.executemany(
        _SQLITE_INSERT,
        [
            (
                sid,
                r["message_id"],
                r["type"],
                r["event"],
                r["user_id"],
                r["anonymous_id"],
                r["group_id"],
                r["previous_id"],
                _sqlite_time(r["timestamp"]),
                received_text or _sqlite_time(r["received_at"]),
                r["properties"],
                r["context"],
            )
            for r in records
        ],
    )
    if cursor.rowcount == len(records):
        return list(records)
    inserted = {
        m
        for (m,) in cursor.execute(
            "SELECT message_id FROM event_inbox WHERE seq > ? AND source_id = ?", (before, sid)
        )
    }
    return [r for r in records if r["message_id"] in inserted]


def _sqlite_time(value: datetime) -> str:
    """How ``UTCDateTime`` stores a time on SQLite (naive UTC, microseconds)."""
    if value.tzinfo is UTC:  # what normalise() returns: one call instead of three
        return value.isoformat(" ", "microseconds")[:26]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def record_rejections(
    session: Session,
    source_id: uuid.UUID | None,
    received_at: datetime,
    rejections: Sequence[Rejection],
) -> None:
    """Keep refused events (newest ``KEEP_REJECTIONS`` per source) for the debugger."""
    rows = [
        {
            "source_id": source_id,
            "received_at": received_at,
            "reason": r.reason[:40],
            "detail": r.detail[:500],
            "message_id": r.message_id,
            "body": r.body,
        }
        for r in rejections
    ]
    connection = session.connection()
    connection.execute(insert(_rejections), rows)
    _prune(session, _rejections, source_id, KEEP_REJECTIONS, len(rows))


def inbox_backlog(session: Session) -> int:
    """Events waiting in the inbox (from the seq range: two index lookups, no scan)."""
    low, high = session.execute(select(func.min(_inbox.c.seq), func.max(_inbox.c.seq))).one()
    return 0 if low is None else int(high) - int(low) + 1


_SQLITE_SAMPLE = (
    "INSERT INTO event_sample (source_id, received_at, message_id, type, event, user_id, "
    "anonymous_id, group_id, timestamp, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _sample(session: Session, source_id: uuid.UUID, records: Sequence[EventRecord]) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # Same shortcut as the inbox insert: driver values in the columns' stored forms.
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        sid = source_id.hex
        cursor.executemany(
            _SQLITE_SAMPLE,
            [
                (
                    sid,
                    _sqlite_time(r["received_at"]),
                    r["message_id"],
                    r["type"],
                    r["event"],
                    r["user_id"],
                    r["anonymous_id"],
                    r["group_id"],
                    _sqlite_time(r["timestamp"]),
                    _sample_body(r),
                )
                for r in records
            ],
        )
    else:
        rows = [
            {
                "source_id": source_id,
                "received_at": r["received_at"],
                "message_id": r["message_id"],
                "type": r["type"],
                "event": r["event"],
                "user_id": r["user_id"],
                "anonymous_id": r["anonymous_id"],
                "group_id": r["group_id"],
                "timestamp": r["timestamp"],
                "body": _sample_body(r),
            }
            for r in records
        ]
        session.connection().execute(insert(_samples), rows)
    _prune(session, _samples, source_id, KEEP_SAMPLES, len(records))


def _sample_body(record: EventRecord) -> str:
    # properties and context are already compact JSON object texts (from normalise).
    body = f'{{"properties":{record["properties"]},"context":{record["context"]}}}'
    return body[:4096]


_prune_counts: dict[tuple[str, uuid.UUID | None], int] = {}
_prune_lock = threading.Lock()


def _prune(session: Session, table: Table, source_id: uuid.UUID | None, keep: int, n: int) -> None:
    """Delete all but the newest ``keep`` rows of the source, about every ``keep // 4``
    inserts (so the table stays between ``keep`` and ``1.25 * keep`` rows per source)."""
    key = (table.name, source_id)
    with _prune_lock:
        count = _prune_counts.get(key, 0) + n
        due = count >= max(keep // 4, 1)
        _prune_counts[key] = 0 if due else count
    if not due:
        return
    owner = table.c.source_id == source_id if source_id else table.c.source_id.is_(None)
    cutoff = session.scalar(
        select(table.c.seq).where(owner).order_by(table.c.seq.desc()).offset(keep).limit(1)
    )
    if cutoff is not None:
        session.connection().execute(delete(table).where(owner, table.c.seq <= cutoff))


_touched: dict[uuid.UUID, float] = {}


def _touch_source(session: Session, source_id: uuid.UUID, received_at: datetime) -> None:
    """Update ``last_event_at`` at most every ``LAST_EVENT_EVERY`` seconds per process."""
    now = time.monotonic()
    if now - _touched.get(source_id, -LAST_EVENT_EVERY) < LAST_EVENT_EVERY:
        return
    _touched[source_id] = now
    session.connection().execute(
        update(EventSource.__table__)  # type: ignore[arg-type]
        .where(EventSource.__table__.c.id == source_id)
        .values(last_event_at=received_at)
    )
