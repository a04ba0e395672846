"""Schedules: register recurring jobs, queue them when due or on events, record their runs.

Every function works in the caller's transaction (it flushes, the caller commits).

- :func:`tick` queues the jobs of due schedules. Each schedule's ``next_run_at`` is advanced
  with a conditional ``UPDATE … WHERE key = :key AND next_run_at = :seen`` and its job is
  queued only when that statement changed the row, in the same transaction — so two workers
  ticking at the same moment queue it once (on PostgreSQL the second ``UPDATE`` waits for
  the first transaction and then matches nothing; on SQLite the tick holds the write lock).
  The next run is the first slot strictly after *now*: runs missed while everything was down
  are run once, not caught up one by one.
- :func:`request_run` runs a schedule's job soon "because something happened"; requests
  coalesce with a run of the same job that is queued and has not started yet.
- Jobs queued here carry a singleton key (``singleton_key``: the job name, or the key a
  group of jobs shares): the queue never runs two jobs of one key at the same time
  (``queue.service.claim``).
- :func:`record_started` / :func:`record_outcome` are called by the worker in the
  transactions that claim a job and record its end; they update the schedules of the job's
  name (the one with the same payload when several schedules share a job).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid, NotFound
from kizuna.models.job import Job, JobStatus
from kizuna.models.schedule import RunStatus, Schedule
from kizuna.queue import service as queue
from kizuna.scheduler.cadence import Cadence, check_zone, checked, next_after

DEFAULT_DELAY = timedelta(seconds=30)  # on-event requests within this wait share one run
MAX_ERROR_CHARS = 8_000  # the tail of the last error kept on the schedule
MAX_RUNS = 500  # most job runs one listing returns
_KEY = re.compile(r"^[a-z][a-z0-9_]*([.-][a-z0-9_]+)*$")
_SYSTEM = "scheduler"


def cadence_of(schedule: Schedule) -> Cadence:
    return Cadence(
        schedule.cadence,
        at=schedule.at_time,
        weekday=schedule.weekday,
        every_minutes=schedule.every_minutes,
    )


# --- registration -------------------------------------------------------------------


def ensure_schedule(
    session: Session,
    key: str,
    job_name: str,
    cadence: Cadence,
    *,
    payload: dict[str, Any] | None = None,
    zone: str = "UTC",
    now: datetime | None = None,
) -> Schedule:
    """Create the schedule ``key``, or bring an existing one in line with the code.

    Idempotent (``kizuna init``, ``kizuna demo`` and every ``kizuna worker`` call it). The
    code owns *what* runs and *when*: job name, payload, cadence and zone are updated to
    the arguments, and a changed cadence or zone recomputes ``next_run_at``. The operator
    owns *whether* it runs: ``enabled`` (paused on /admin/jobs or with ``kizuna schedules
    pause``) is kept. Creations and changes are audited as the system.
    """
    now = now or utc_now()
    payload = dict(payload or {})
    _check(key, job_name, payload, zone)
    cadence = checked(cadence)
    fields: dict[str, Any] = {
        "job_name": job_name,
        "payload": payload,
        "cadence": cadence.kind,
        "at_time": cadence.at.replace(second=0, microsecond=0) if cadence.at else None,
        "weekday": cadence.weekday,
        "every_minutes": cadence.every_minutes,
        "zone": zone,
    }
    actor = Actor.system(_SYSTEM)
    schedule = session.scalar(select(Schedule).where(Schedule.key == key))
    if schedule is None:
        schedule = Schedule(
            key=key,
            enabled=True,
            next_run_at=next_after(cadence, zone, now),
            last_error="",
            consecutive_failures=0,
            **fields,
        )
        session.add(schedule)
        session.flush()
        audit.record(
            session,
            actor,
            "schedule.create",
            "schedule",
            key,
            summary=job_name,
            changes=audit.snapshot(schedule, [*fields, "enabled", "next_run_at"]),
        )
        return schedule
    timing = ("cadence", "at_time", "weekday", "every_minutes", "zone")
    retimed = any(getattr(schedule, name) != fields[name] for name in timing)
    changes = audit.apply_changes(schedule, fields)
    if retimed:
        changes |= audit.apply_changes(schedule, {"next_run_at": next_after(cadence, zone, now)})
    if changes:
        session.flush()
        audit.record(
            session, actor, "schedule.update", "schedule", key, summary=job_name, changes=changes
        )
    return schedule


def _check(key: str, job_name: str, payload: dict[str, Any], zone: str) -> None:
    if not _KEY.match(key) or len(key) > 100:
        raise Invalid.field("key", "a schedule key is lowercase letters, digits, . _ and -")
    if not job_name or len(job_name) > 100:
        raise Invalid.field("job_name", "a job name is 1–100 characters")
    try:
        json.dumps(payload)
    except (TypeError, ValueError):
        raise Invalid.field("payload", "the payload must be JSON") from None
    check_zone(zone)


# --- the tick -------------------------------------------------------------------------


def tick(session: Session, now: datetime | None = None) -> list[Job]:
    """Queue the job of every enabled schedule whose ``next_run_at <= now``; return them.

    A run that coalesced with a queued, unstarted job of the same schedule returns that
    job. Safe to call from any number of workers at once (each due run is queued once).
    """
    now = now or utc_now()
    due = (Schedule.enabled.is_(True), Schedule.next_run_at <= now)
    if _sqlite_idle(session):
        # Peek without a lock; take SQLite's write lock before reading what to change, so
        # a concurrent tick waits (busy_timeout) instead of failing to upgrade its snapshot.
        if session.scalar(select(Schedule.id).where(*due).limit(1)) is None:
            return []
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    schedules = session.scalars(
        select(Schedule)
        .where(*due)
        .order_by(Schedule.next_run_at, Schedule.key)
        .execution_options(populate_existing=True)
    ).all()
    queued: list[Job] = []
    for schedule in schedules:
        seen = schedule.next_run_at
        following = next_after(cadence_of(schedule), schedule.zone, now)
        won = session.execute(
            update(Schedule)
            .where(
                Schedule.key == schedule.key,
                Schedule.next_run_at == seen,
                Schedule.enabled.is_(True),
            )
            .values(next_run_at=following)
            .returning(Schedule.id)
            .execution_options(synchronize_session=False)
        ).first()
        if won is None:
            continue  # another worker advanced it (and queued the run) first
        job, _created = _queue_run(session, schedule.job_name, schedule.payload, run_after=now)
        session.execute(
            update(Schedule)
            .where(Schedule.id == schedule.id)
            .values(last_job_id=job.id, last_enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
        queued.append(job)
    for schedule in schedules:
        session.expire(schedule)  # changed by statements above, not through the object
    return queued


# --- runs on demand -----------------------------------------------------------------------


def request_run(
    session: Session,
    key_or_job_name: str,
    *,
    delay: timedelta = DEFAULT_DELAY,
    payload: dict[str, Any] | None = None,
) -> Job | None:
    """Run a schedule's job soon because something happened; None when one already waits.

    ``key_or_job_name`` is a schedule key or a job name (schedules are looked up by key,
    then by job name; with no schedule the job runs with ``payload`` or ``{}``). A request
    coalesces with a queued run of the same job and payload that has not started: that run
    is brought forward to ``now + delay`` if it was later, and None is returned. A run that
    has already started does not absorb the request (it may have read the data before the
    event), so a new one is queued; the singleton key keeps the two from overlapping.
    """
    schedule = _find(session, key_or_job_name)
    name = schedule.job_name if schedule is not None else key_or_job_name
    if payload is None:
        payload = dict(schedule.payload) if schedule is not None else {}
    now = utc_now()
    job, created = _queue_run(session, name, payload, run_after=now + delay)
    if schedule is not None and created:
        schedule.last_job_id = job.id
        schedule.last_enqueued_at = now
        session.flush()
    return job if created else None


def run_now(session: Session, actor: Actor, key: str) -> Job:
    """ "Run now" (JOB_ADMIN): queue the schedule's job due at once, or bring the queued,
    unstarted run forward; returns the job. Audited. Works for paused schedules too."""
    actor.require(Permission.JOB_ADMIN)
    schedule = _get(session, key)
    now = utc_now()
    job, created = _queue_run(session, schedule.job_name, schedule.payload, run_after=now)
    schedule.last_job_id = job.id
    schedule.last_enqueued_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "schedule.run",
        "schedule",
        key,
        summary=f"{schedule.job_name} {'queued' if created else 'brought forward'}",
        changes={"job_id": [None, str(job.id)]},
    )
    return job


def set_enabled(session: Session, actor: Actor, key: str, enabled: bool) -> Schedule:
    """Pause or resume a schedule (JOB_ADMIN), audited.

    A paused schedule is skipped by the tick (its queued or running job is not touched;
    "run now" still works). Resuming sets the next run to the next regular slot after now:
    the runs missed while paused are skipped, not run at once.
    """
    actor.require(Permission.JOB_ADMIN)
    schedule = _get(session, key)
    changes = audit.apply_changes(schedule, {"enabled": enabled})
    if changes and enabled:
        now = utc_now()
        changes |= audit.apply_changes(
            schedule, {"next_run_at": next_after(cadence_of(schedule), schedule.zone, now)}
        )
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "schedule.resume" if enabled else "schedule.pause",
            "schedule",
            key,
            summary=schedule.job_name,
            changes=changes,
        )
    return schedule


# Jobs that write the same state share one key, so that none runs beside another: the
# journey evaluation writes phases and steps, and evaluates the playbooks right after
# itself; the playbooks read those and change phases too.
SHARED_SINGLETONS: dict[str, str] = {
    "journey.evaluate": "journey+playbooks",
    "playbooks.evaluate": "journey+playbooks",
}


def singleton_key(job_name: str) -> str:
    """The singleton key of ``job_name``'s scheduled and requested runs."""
    return SHARED_SINGLETONS.get(job_name, job_name)


def singleton_for(session: Session, job_name: str) -> str | None:
    """The singleton key a hand-queued job of ``job_name`` should carry: its schedule's
    when a schedule runs that job (so it never overlaps a scheduled run), else None."""
    found = session.scalar(select(Schedule.id).where(Schedule.job_name == job_name).limit(1))
    return singleton_key(job_name) if found is not None else None


def _queue_run(
    session: Session, name: str, payload: dict[str, Any], *, run_after: datetime
) -> tuple[Job, bool]:
    """A queued, unstarted run of ``name`` with ``payload`` due by ``run_after`` (an existing
    one brought forward, ``False``), or a new singleton job (``True``)."""
    waiting = session.scalars(
        select(Job)
        .where(Job.name == name, Job.status == JobStatus.QUEUED)
        .order_by(Job.run_after, Job.id)
    ).all()
    for job in waiting:
        if job.payload != payload:
            continue
        # Conditional: if a worker claimed it meanwhile (PostgreSQL: we wait for its
        # commit), the status no longer matches and a new run is queued instead.
        kept = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
            .values(run_after=case((Job.run_after > run_after, run_after), else_=Job.run_after))
            .returning(Job.id)
            .execution_options(synchronize_session="fetch")
        ).first()
        if kept is not None:
            return job, False
    return (
        queue.enqueue(
            session, name, payload, run_after=run_after, singleton_key=singleton_key(name)
        ),
        True,
    )


# --- what the worker records ---------------------------------------------------------


def record_started(
    session: Session, job_name: str, payload: dict[str, Any], now: datetime | None = None
) -> int:
    """A run of ``job_name`` started: mark its schedule running. Returns rows changed."""
    ids = _schedule_ids(session, job_name, payload)
    if not ids:
        return 0
    session.execute(
        update(Schedule)
        .where(Schedule.id.in_(ids))
        .values(
            last_status=RunStatus.RUNNING,
            last_started_at=now or utc_now(),
            last_finished_at=None,
            last_duration_seconds=None,
        )
        .execution_options(synchronize_session=False)
    )
    return len(ids)


def record_outcome(
    session: Session,
    job_name: str,
    payload: dict[str, Any],
    status: RunStatus,
    *,
    seconds: float,
    error: str = "",
    now: datetime | None = None,
) -> int:
    """A run of ``job_name`` ended with ``status`` after ``seconds``: record it on its
    schedule (a success clears the error and the failure count; a failure or a retry keeps
    the error's tail and counts one more consecutive failure). Returns rows changed."""
    ids = _schedule_ids(session, job_name, payload)
    if not ids:
        return 0
    values: dict[str, Any] = {
        "last_status": status,
        "last_finished_at": now or utc_now(),
        "last_duration_seconds": round(seconds, 3),
    }
    if status == RunStatus.DONE:
        values |= {"last_error": "", "consecutive_failures": 0}
    elif status in (RunStatus.FAILED, RunStatus.RETRYING):
        values |= {
            "last_error": error[-MAX_ERROR_CHARS:],
            "consecutive_failures": Schedule.consecutive_failures + 1,
        }
    session.execute(
        update(Schedule)
        .where(Schedule.id.in_(ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return len(ids)


LOST = "the run ended without its worker reporting (worker lost, or the job was cancelled)"


def settle_lost_runs(session: Session, now: datetime | None = None) -> int:
    """Schedules still marked running although no job of theirs runs any more (its worker
    died and ``queue.requeue_stale`` took the job back, or it was cancelled): record the
    run as retrying (a run of the job is queued again) or failed. Returns how many."""
    running_names = select(Job.name).where(Job.status == JobStatus.RUNNING)
    queued_names = set(
        session.scalars(select(Job.name).where(Job.status == JobStatus.QUEUED).distinct())
    )
    lost = session.scalars(
        select(Schedule).where(
            Schedule.last_status == RunStatus.RUNNING, Schedule.job_name.not_in(running_names)
        )
    ).all()
    for schedule in lost:
        schedule.last_status = (
            RunStatus.RETRYING if schedule.job_name in queued_names else RunStatus.FAILED
        )
        schedule.last_finished_at = now or utc_now()
        schedule.last_error = LOST
        schedule.consecutive_failures += 1
    session.flush()
    return len(lost)


def _schedule_ids(session: Session, job_name: str, payload: dict[str, Any]) -> list[uuid.UUID]:
    rows = session.execute(
        select(Schedule.id, Schedule.payload).where(Schedule.job_name == job_name)
    ).all()
    exact = [row.id for row in rows if row.payload == payload]
    if exact:
        return exact
    return [rows[0].id] if len(rows) == 1 else []


# --- reading ---------------------------------------------------------------------------


def list_schedules(session: Session, actor: Actor) -> list[Schedule]:
    """Every schedule, by key (JOB_READ)."""
    actor.require(Permission.JOB_READ)
    return list(
        session.scalars(
            select(Schedule).order_by(Schedule.key).execution_options(populate_existing=True)
        )
    )


def get_schedule(session: Session, actor: Actor, key: str) -> Schedule:
    """One schedule (JOB_READ); NotFound when there is none."""
    actor.require(Permission.JOB_READ)
    return _get(session, key)


def list_runs(
    session: Session,
    actor: Actor,
    *,
    status: JobStatus | None = None,
    name: str | None = None,
    limit: int = 50,
) -> list[Job]:
    """The most recent job runs (any job, scheduled or not), newest first (JOB_READ)."""
    actor.require(Permission.JOB_READ)
    if not 1 <= limit <= MAX_RUNS:
        raise Invalid.field("limit", f"limit must be 1 to {MAX_RUNS}")
    query = (
        select(Job)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if status is not None:
        query = query.where(Job.status == status)
    if name:
        query = query.where(Job.name == name)
    return list(session.scalars(query))


def get_run(session: Session, actor: Actor, job_id: uuid.UUID) -> Job:
    """One job run with its payload, result and error (JOB_READ); NotFound otherwise."""
    actor.require(Permission.JOB_READ)
    return queue.get_job(session, job_id)


def job_names(session: Session, actor: Actor) -> list[str]:
    """The names of jobs in the queue and of schedules, sorted (for filters)."""
    actor.require(Permission.JOB_READ)
    names = set(session.scalars(select(Job.name).distinct()))
    names |= set(session.scalars(select(Schedule.job_name).distinct()))
    return sorted(names)


def _get(session: Session, key: str) -> Schedule:
    schedule = session.scalar(
        select(Schedule).where(Schedule.key == key).execution_options(populate_existing=True)
    )
    if schedule is None:
        raise NotFound("schedule not found", key=key)
    return schedule


def _find(session: Session, key_or_job_name: str) -> Schedule | None:
    by_key = session.scalar(select(Schedule).where(Schedule.key == key_or_job_name))
    if by_key is not None:
        return by_key
    return session.scalar(
        select(Schedule).where(Schedule.job_name == key_or_job_name).order_by(Schedule.key).limit(1)
    )


def _sqlite_idle(session: Session) -> bool:
    """SQLite with no transaction open yet on the session's connection (see the queue)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    raw: Any = session.connection().connection.dbapi_connection
    return isinstance(raw, sqlite3.Connection) and not raw.in_transaction
