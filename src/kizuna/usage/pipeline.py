"""From landed events to the event store: identities of bulk rows, the inbox flush, and
the bookkeeping that tells the next metric computation what changed.

**Flush** (:func:`flush_batch`, job ``usage.flush_inbox``): under the store's write lock,
read the oldest inbox rows by ``seq``, append them to the store (de-duplicated there),
delete them, commit, release the lock. A crash after the append but before the commit
leaves the rows in the inbox; the next flush appends nothing new for them (they are
already stored) and deletes them: no event is lost or stored twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.analytics.sources import EVENT_SCHEMA
from kizuna.db.session import Database
from kizuna.kit.clock import utc_now
from kizuna.models.account import Account
from kizuna.models.job import Job, JobStatus
from kizuna.models.usage import EventInbox, UsageGroup
from kizuna.models.usage_metric import UsageComputeState
from kizuna.queue import service as queue
from kizuna.usage.events import EventRecord
from kizuna.usage.identity import IdentityResult, apply_identity
from kizuna.usage.sources import SourceKey
from kizuna.usage.store import AppendResult, EventStore

FLUSH_JOB = "usage.flush_inbox"
COMPUTE_JOB = "usage.compute_metrics"
COMPUTE_DELAY = timedelta(seconds=15)  # let a burst of flushes settle before computing
# Times leave DuckDB as naive UTC (timezone-aware ones would need pytz) and are marked UTC.
_IDENTITY_COLUMNS = (
    "message_id, type, event, user_id, anonymous_id, group_id, previous_id, "
    "timezone('UTC', \"timestamp\"), timezone('UTC', received_at), properties, context"
)


@dataclass(frozen=True)
class FlushResult:
    moved: int  # inbox rows taken (and deleted)
    stored: int  # of which new to the store
    last_seq: int | None


def state(session: Session) -> UsageComputeState:
    """The single computation-state row (created on first use)."""
    row = session.get(UsageComputeState, 1)
    if row is None:
        row = UsageComputeState(id=1, catalogue_hash="", events_stored=0)
        session.add(row)
        session.flush()
    return row


def mark_stored(session: Session, appended: AppendResult) -> None:
    """Remember the earliest (UTC) day of newly stored events for the next computation."""
    if not appended.stored or appended.earliest is None:
        return
    current = state(session)
    day = appended.earliest.date()
    current.dirty_since = day if current.dirty_since is None else min(current.dirty_since, day)
    current.events_stored += appended.stored
    session.flush()


def apply_identities(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    relation: str,
    key: SourceKey | None,
    *,
    calls: bool = True,
) -> IdentityResult:
    """Apply the identify/group/alias rows of ``relation`` (when ``calls``), and register
    group ids that events carry but no group call has announced yet (matched to accounts
    by the usual rules), so those events count for their account."""
    records: list[EventRecord] = []
    if calls:
        rows = con.execute(
            f"SELECT {_IDENTITY_COLUMNS} FROM {relation} "  # noqa: S608 (our identifiers; values are bound)
            "WHERE type IN ('identify', 'group', 'alias') ORDER BY \"timestamp\""
        ).fetchall()
        records += [_record(r) for r in rows]
    seen = con.execute(
        f'SELECT group_id, make_timestamp(min(epoch_us("timestamp"))) FROM {relation} '  # noqa: S608 (our identifiers; values are bound)
        "WHERE group_id IS NOT NULL AND type NOT IN ('group') GROUP BY group_id"
    ).fetchall()
    announced = {r["group_id"] for r in records if r["type"] == "group"}
    fresh = [(g, _utc(first)) for g, first in seen if g not in announced]
    existing = _existing_groups(session, fresh)
    fresh = [(g, first) for g, first in fresh if g not in existing]
    registered = _register_by_external_id(session, fresh, key)
    records += [_group_seen(g, first) for g, first in fresh if g not in registered]
    result = apply_identity(session, records, source=key)
    result.groups += len(registered)
    return result


def _existing_groups(session: Session, groups: list[tuple[str, datetime]]) -> set[str]:
    ids = [g for g, _ in groups]
    known: set[str] = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists (SQLite's variable limit)
        chunk = ids[start : start + 1000]
        known.update(
            session.scalars(select(UsageGroup.group_id).where(UsageGroup.group_id.in_(chunk)))
        )
    return known


def _register_by_external_id(
    session: Session, groups: list[tuple[str, datetime]], key: SourceKey | None
) -> set[str]:
    """Create the groups whose id is an account's external id in bulk (the first rule of
    group matching; the others go through ``apply_identity`` one by one)."""
    accounts: dict[str, uuid.UUID] = {}
    ids = [g for g, _ in groups]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        accounts.update(
            (str(e), a)
            for e, a in session.execute(
                select(Account.external_id, Account.id).where(Account.external_id.in_(chunk))
            )
        )
    session.add_all(
        UsageGroup(
            group_id=g,
            account_id=accounts[g],
            source_id=key.id if key else None,
            name="",
            traits={},
            first_seen_at=first,
            last_seen_at=first,
        )
        for g, first in groups
        if g in accounts
    )
    session.flush()
    return set(accounts)


def _record(row: tuple[object, ...]) -> EventRecord:
    return EventRecord(
        message_id=str(row[0]),
        type=str(row[1]),
        event=row[2],  # type: ignore[typeddict-item]
        user_id=row[3],  # type: ignore[typeddict-item]
        anonymous_id=row[4],  # type: ignore[typeddict-item]
        group_id=row[5],  # type: ignore[typeddict-item]
        previous_id=row[6],  # type: ignore[typeddict-item]
        timestamp=_utc(row[7]),
        received_at=_utc(row[8]),
        properties=str(row[9] or "{}"),
        context=str(row[10] or "{}"),
    )


def _utc(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    return value.replace(tzinfo=UTC)


def _group_seen(group_id: str, first: datetime) -> EventRecord:
    """A group call without traits, standing for "this group id was seen on events"."""
    return EventRecord(
        message_id="",
        type="group",
        event=None,
        user_id=None,
        anonymous_id=None,
        group_id=group_id,
        previous_id=None,
        timestamp=first,
        received_at=utc_now(),
        properties="{}",
        context="{}",
    )


def flush_batch(session: Session, store: EventStore, *, limit: int = 50_000) -> FlushResult:
    """Move up to ``limit`` of the oldest inbox rows into the store (call while holding
    ``store.writing()``, inside a transaction the caller commits)."""
    columns = [getattr(EventInbox, name) for name in EVENT_SCHEMA.names]
    rows = session.execute(
        select(EventInbox.seq, *columns).order_by(EventInbox.seq).limit(limit)
    ).all()
    if not rows:
        return FlushResult(0, 0, None)
    first_seq, last_seq = rows[0][0], rows[-1][0]
    table = pa.table(
        {
            name: [_text(row[i + 1]) if name in _UUIDS else row[i + 1] for row in rows]
            for i, name in enumerate(EVENT_SCHEMA.names)
        },
        schema=EVENT_SCHEMA,
    ).append_column("kz_row", pa.array([row[0] for row in rows], pa.int64()))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("kz_inbox", table)
        apply_identities(session, con, "kz_inbox", None, calls=False)
        appended = store.append(con, "kz_inbox", tag=f"inbox-{first_seq:012d}-{last_seq:012d}")
    finally:
        con.close()
    session.execute(delete(EventInbox).where(EventInbox.seq <= last_seq))
    mark_stored(session, appended)
    return FlushResult(len(rows), appended.stored, last_seq)


_UUIDS = frozenset({"source_id"})


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def flush_all(database: Database, store: EventStore, *, max_batches: int = 200) -> FlushResult:
    """Flush the whole inbox, one transaction per batch under the store's lock (for
    entrypoints: the job and ``kizuna metrics compute``)."""
    moved = stored = 0
    last: int | None = None
    for _ in range(max_batches):
        with store.writing(), database.sessions() as session, session.begin():
            result = flush_batch(session, store)
        if result.moved == 0:
            break
        moved, stored, last = moved + result.moved, stored + result.stored, result.last_seq
    return FlushResult(moved, stored, last)


def request_flush(session: Session) -> None:
    """Queue an inbox flush unless one is already waiting. Called in the transaction that
    accepted events, after their INSERT: the waiting job cannot start before that
    transaction ends (SQLite: it holds the write lock; PostgreSQL: the job's row is locked
    here, and the worker's claim skips locked rows), so it always sees those events."""
    _enqueue_once(session, FLUSH_JOB, delay=None)


def request_compute(session: Session, *, full: bool = False) -> Job | None:
    """Queue a metric computation unless one is already waiting."""
    return _enqueue_once(session, COMPUTE_JOB, delay=COMPUTE_DELAY, payload={"full": full})


def _enqueue_once(
    session: Session, name: str, *, delay: timedelta | None, payload: dict[str, bool] | None = None
) -> Job | None:
    waiting = session.scalar(
        select(Job.id)
        .where(Job.name == name, Job.status == JobStatus.QUEUED)
        .limit(1)
        .with_for_update()
    )
    if waiting is not None and not (payload or {}).get("full"):
        return None
    run_after = utc_now() + delay if delay else None
    return queue.enqueue(session, name, payload or {}, run_after=run_after)
