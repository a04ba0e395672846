"""The durable job queue: enqueue in the caller's transaction, claim safely, report progress.

Every function works inside the caller's transaction: it flushes, the caller commits.

Claiming is the one place where two workers race, and each engine gets the SQL it is good at
(see :func:`claim`). The other state changes are conditional ``UPDATE`` statements (they
only touch a job that is still in the state they expect), so a job that was cancelled or
handed to another worker meanwhile is left alone; :func:`fail` reads before it writes and
locks the row first (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite).

**Singleton jobs.** A job with a ``singleton_key`` never runs while another job with the same
key is running: :func:`claim` skips it, and a partial unique index on ``job(singleton_key)
WHERE status = 'running'`` makes the database refuse the second one should two workers
claim at the same instant (the loser tries another job). Recurring jobs use their name as
the key (``kizuna.scheduler``).

Times come from ``kit.clock.utc_now()`` on the worker, not from the database server, so the
workers' clocks should agree (NTP) to within a fraction of the poll interval.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, NotFound
from kizuna.models.job import Job, JobStatus

FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
MAX_ERROR_CHARS = 20_000  # the tail of a traceback is the part that matters
_NAME_MAX = 100  # job.name and job.locked_by are VARCHAR(100)
_NOTE_MAX = 200  # job.progress_note is VARCHAR(200)
_CLAIM_TRIES = 3  # claims lost to a concurrent claim of the same singleton key before giving up


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    run_after: datetime | None = None,
    priority: int = 0,
    max_attempts: int = 3,
    singleton_key: str | None = None,
) -> Job:
    """Add a job in the caller's transaction (flushed, not committed).

    Enqueue in the same transaction as the data the job follows from: if that transaction
    rolls back, the job never existed. ``payload`` must be JSON (pass ids, not objects).
    Higher ``priority`` runs first; ``run_after`` (aware UTC) delays the job. Jobs with the
    same ``singleton_key`` never run at the same time (see :func:`claim`).
    """
    if not name or len(name) > _NAME_MAX:
        raise ValueError(f"job name must be 1–{_NAME_MAX} characters: {name!r}")
    if singleton_key is not None and not 1 <= len(singleton_key) <= _NAME_MAX:
        raise ValueError(f"singleton_key must be 1–{_NAME_MAX} characters: {singleton_key!r}")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"job payload must be JSON (pass ids as strings): {exc}") from None
    now = utc_now()
    job = Job(
        name=name,
        payload=payload,
        status=JobStatus.QUEUED,
        priority=priority,
        run_after=run_after or now,
        attempts=0,
        max_attempts=max_attempts,
        singleton_key=singleton_key,
        progress_done=0,
        progress_note="",
        result={},
        error="",
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job


def claim(session: Session, worker_id: str, names: Collection[str] | None = None) -> Job | None:
    """Atomically move one due queued job to ``running`` for ``worker_id``; the caller commits.

    The job chosen is the first of ``status = 'queued' AND run_after <= now`` (and
    ``name IN names`` when given) by ``priority DESC, run_after, id``. It gets
    ``attempts + 1``, ``locked_by``, ``started_at``, ``heartbeat_at`` and fresh progress.
    One statement does it on both engines::

        UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = :worker, ...
        WHERE id = (SELECT id FROM job
                    WHERE status = 'queued' AND run_after <= :now [AND name IN (...)]
                    ORDER BY priority DESC, run_after, id LIMIT 1
                    [FOR UPDATE SKIP LOCKED])           -- PostgreSQL only
          AND status = 'queued'
        RETURNING *

    **PostgreSQL** (several workers): ``FOR UPDATE SKIP LOCKED`` in the subquery locks the
    chosen row and makes concurrent claimers skip rows another transaction holds, so two
    workers pick different jobs without waiting on each other; the row lock is held until
    the caller commits. The outer ``status = 'queued'`` is re-checked on the locked row.

    **SQLite** (≥ 3.35 for ``RETURNING``): there is one writer at a time for the whole
    database, and the subquery and the update run inside one statement under the write
    lock, so the row cannot change between choosing and updating it. When the connection
    has no transaction open yet (the Worker's case), the claim first peeks with a plain
    read — an idle worker then takes no lock at all — and then issues ``BEGIN IMMEDIATE``,
    which takes the write lock up front (waiting up to ``busy_timeout``) instead of
    upgrading a read snapshot, the upgrade that fails with ``SQLITE_BUSY`` under WAL. Even
    without it the ``status = 'queued'`` guard means two processes can never both claim a
    job: the loser updates nothing and gets ``None``.

    **Singleton keys**: a job whose ``singleton_key`` is held by a running job is not due.
    Two claimers that both saw the key free (PostgreSQL, concurrent transactions) meet in
    the partial unique index: the second waits for the first to commit, gets the unique
    violation, rolls back to a savepoint and chooses again — now seeing the key taken.
    """
    if isinstance(names, str):  # a lone name is a Collection[str] of its letters
        names = [names]
    if names is not None and not names:
        return None
    now = utc_now()
    running = aliased(Job)
    key_taken = exists().where(
        running.singleton_key == Job.singleton_key, running.status == JobStatus.RUNNING
    )
    due = [
        Job.status == JobStatus.QUEUED,
        Job.run_after <= now,
        or_(Job.singleton_key.is_(None), ~key_taken),
    ]
    if names is not None:
        due.append(Job.name.in_(sorted(names)))
    if _is_sqlite(session):
        if _sqlite_idle(session):
            if session.scalar(select(Job.id).where(*due).limit(1)) is None:
                return None
            _begin_write(session)
        # One writer at a time, and choosing and updating are one statement under the
        # write lock: the singleton check cannot be raced, so no savepoint is needed.
        return session.scalars(_claim_statement(due, worker_id, now)).one_or_none()
    for _ in range(_CLAIM_TRIES):
        try:
            with session.begin_nested():
                return session.scalars(_claim_statement(due, worker_id, now)).one_or_none()
        except IntegrityError:
            continue  # another worker started a job of the same singleton key: choose again
    return None


def _claim_statement(due: list[Any], worker_id: str, now: datetime) -> Any:
    """``UPDATE job SET status = 'running' … WHERE id = (the first due job) RETURNING *``."""
    chosen = (
        select(Job.id)
        .where(*due)
        .order_by(Job.priority.desc(), Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL, ignored by SQLite
        .scalar_subquery()
    )
    return (
        update(Job)
        .where(Job.id == chosen, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            locked_by=worker_id[:_NAME_MAX],
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            progress_done=0,
            progress_total=None,
            progress_note="",
        )
        .returning(Job)
        .execution_options(synchronize_session="fetch", populate_existing=True)
    )


def heartbeat(
    session: Session,
    job_id: uuid.UUID,
    *,
    done: int | None = None,
    total: int | None = None,
    note: str | None = None,
) -> None:
    """Record that a running job is alive, with its progress if given (others kept)."""
    values: dict[str, Any] = {"heartbeat_at": utc_now()}
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    if note is not None:
        values["progress_note"] = note[:_NOTE_MAX]
    _update_running(session, job_id, None, values)


def complete(
    session: Session, job_id: uuid.UUID, result: dict[str, Any], *, worker_id: str | None = None
) -> bool:
    """Mark a running job done with ``result``.

    Returns False (and changes nothing) when the job is no longer running — cancelled, or
    given up as stale — or, with ``worker_id``, no longer locked by that worker.
    """
    values = {"status": JobStatus.DONE, "result": result, "finished_at": utc_now()}
    return _update_running(session, job_id, worker_id, values)


def fail(
    session: Session,
    job_id: uuid.UUID,
    error: str,
    *,
    retry: bool,
    worker_id: str | None = None,
) -> bool:
    """Record ``error`` for a running job and queue it again or give up.

    With ``retry`` and attempts left, the job goes back to ``queued`` with exponential
    backoff: ``run_after = now + 2 ** attempts`` seconds (2 s, 4 s, 8 s, …). Otherwise it
    is ``failed``. Returns False when the job is not running (or not ``worker_id``'s).
    """
    _begin_write(session)
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != JobStatus.RUNNING:
        return False
    if worker_id is not None and job.locked_by != worker_id[:_NAME_MAX]:
        return False
    now = utc_now()
    job.error = error[-MAX_ERROR_CHARS:]
    if retry and job.attempts < job.max_attempts:
        job.status = JobStatus.QUEUED
        job.run_after = now + timedelta(seconds=2**job.attempts)
        job.locked_by = None
        job.heartbeat_at = None
    else:
        job.status = JobStatus.FAILED
        job.finished_at = now
    session.flush()
    return True


def requeue_stale(session: Session, *, older_than: timedelta) -> int:
    """Recover jobs whose worker died (``kill -9``, lost machine); returns how many.

    A running job whose heartbeat is older than ``older_than`` goes back to ``queued`` (due
    now), or to ``failed`` when its attempts are used up. Handlers are idempotent, so
    running such a job again is safe. Each is one conditional ``UPDATE``, so two workers
    sweeping at once recover each job once.
    """
    now = utc_now()
    stale = [
        Job.status == JobStatus.RUNNING,
        or_(
            Job.heartbeat_at < now - older_than,
            and_(Job.heartbeat_at.is_(None), Job.started_at < now - older_than),
        ),
    ]
    lost = f"worker lost: no heartbeat for {older_than}"
    failed = session.execute(
        update(Job)
        .where(*stale, Job.attempts >= Job.max_attempts)
        .values(status=JobStatus.FAILED, finished_at=now, error=lost)
        .returning(Job.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    requeued = session.execute(
        update(Job)
        .where(*stale, Job.attempts < Job.max_attempts)
        .values(status=JobStatus.QUEUED, run_after=now, locked_by=None, heartbeat_at=None)
        .returning(Job.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    return len(failed) + len(requeued)


def get_job(session: Session, job_id: uuid.UUID) -> Job:
    """The job as stored now (refreshed); NotFound when there is none."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise NotFound("job not found", job_id=str(job_id))
    return job


def cancel(session: Session, job_id: uuid.UUID) -> None:
    """Cancel a queued or running job; cancelling a cancelled job again does nothing.

    A queued job will never be claimed. A running job keeps running until its handler
    returns (handlers may poll ``JobContext.cancelled()``), and its result is then
    discarded. Conflict when the job already finished as done or failed.
    """
    cancelled = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.CANCELLED, finished_at=utc_now())
        .returning(Job.id)
        .execution_options(synchronize_session="fetch")
    ).first()
    if cancelled is not None:
        return
    job = get_job(session, job_id)
    if job.status != JobStatus.CANCELLED:
        raise Conflict("job already finished", code="job_finished", status=job.status.value)


def list_jobs(session: Session, *, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
    """The most recently created jobs, newest first."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query))


def delete_finished(session: Session, *, older_than: timedelta) -> int:
    """Delete done, failed and cancelled jobs that finished longer ago than ``older_than``."""
    cutoff = utc_now() - older_than
    result = session.execute(
        delete(Job)
        .where(
            Job.status.in_(FINISHED),
            or_(
                Job.finished_at < cutoff,
                and_(Job.finished_at.is_(None), Job.created_at < cutoff),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


def _update_running(
    session: Session, job_id: uuid.UUID, worker_id: str | None, values: dict[str, Any]
) -> bool:
    conditions = [Job.id == job_id, Job.status == JobStatus.RUNNING]
    if worker_id is not None:
        conditions.append(Job.locked_by == worker_id[:_NAME_MAX])
    updated = session.execute(
        update(Job)
        .where(*conditions)
        .values(**values)
        .returning(Job.id)
        .execution_options(synchronize_session="fetch")
    ).first()
    return updated is not None


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _sqlite_idle(session: Session) -> bool:
    """True when the session's SQLite connection has no transaction open yet.

    pysqlite opens its transaction lazily (before the first write), so after plain reads
    the connection is still idle and ``BEGIN IMMEDIATE`` may be issued.
    """
    raw: Any = session.connection().connection.dbapi_connection  # pysqlite's connection
    return isinstance(raw, sqlite3.Connection) and not raw.in_transaction


def _begin_write(session: Session) -> None:
    """SQLite: take the write lock now (``BEGIN IMMEDIATE``) if no transaction is open.

    Read-then-write in a deferred transaction can fail with ``SQLITE_BUSY`` under WAL when
    another writer committed in between; taking the lock first makes the caller wait for
    ``busy_timeout`` instead. The caller's commit or rollback ends it as usual. PostgreSQL:
    nothing to do (row locks are taken by the statements themselves).
    """
    if _is_sqlite(session) and _sqlite_idle(session):
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
