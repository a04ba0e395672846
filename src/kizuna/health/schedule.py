"""Queueing the ``health.rescore`` job: on demand (after a publish or a usage computation)
and daily at 05:00 local time, each at most once in the queue; and making sure the
recurring health jobs (daily rescore, weekly retraining) are queued at all."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.health.churn.service import request_training
from kizuna.kit.clock import utc_now
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue

RESCORE_JOB = "health.rescore"
DAILY_AT = time(5, 0)
COALESCE = timedelta(seconds=30)  # requests within this wait share one run


def _queued(session: Session) -> list[Job]:
    return list(
        session.scalars(select(Job).where(Job.name == RESCORE_JOB, Job.status == JobStatus.QUEUED))
    )


def request_rescore(session: Session) -> Job | None:
    """Queue a rescore soon, unless an unscheduled one is already waiting (None then)."""
    if any(not job.payload.get("scheduled") for job in _queued(session)):
        return None
    return queue.enqueue(session, RESCORE_JOB, {}, run_after=utc_now() + COALESCE)


def next_daily_run(zone: str, now: datetime | None = None) -> datetime:
    """The next 05:00 in ``zone`` strictly after ``now`` (aware UTC)."""
    local = (now or utc_now()).astimezone(ZoneInfo(zone))
    candidate = datetime.combine(local.date(), DAILY_AT, tzinfo=ZoneInfo(zone))
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=1), DAILY_AT, tzinfo=ZoneInfo(zone)
        )
    return candidate.astimezone(ZoneInfo("UTC"))


def schedule_daily(session: Session, zone: str) -> Job | None:
    """Queue the next daily run unless one is already scheduled (None then)."""
    if any(job.payload.get("scheduled") for job in _queued(session)):
        return None
    return queue.enqueue(session, RESCORE_JOB, {"scheduled": True}, run_after=next_daily_run(zone))


def ensure_recurring(session: Session, zone: str) -> list[str]:
    """Queue the daily rescore and the weekly retraining unless they are already queued.

    Each run queues its successor, so once started the chains survive restarts; this starts
    them on a fresh installation (``kizuna init``, ``kizuna demo``). Returns the names queued.
    """
    queued = []
    if schedule_daily(session, zone) is not None:
        queued.append(RESCORE_JOB)
    training = request_training(session, delay=timedelta(days=7))
    if training is not None:
        queued.append(training.name)
    return queued
