"""The recurring health jobs are queued once by `kizuna init`, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.health.churn.service import TRAIN_JOB
from kizuna.health.schedule import RESCORE_JOB, ensure_recurring
from kizuna.models.job import Job, JobStatus


def _queued(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.status == JobStatus.QUEUED)))


def test_ensure_recurring_queues_each_chain_once(session: Session) -> None:
    before = datetime.now(UTC)
    assert ensure_recurring(session, "Asia/Tokyo") == [RESCORE_JOB, TRAIN_JOB]
    assert ensure_recurring(session, "Asia/Tokyo") == []
    jobs = {job.name: job for job in _queued(session)}
    assert set(jobs) == {RESCORE_JOB, TRAIN_JOB}
    assert jobs[RESCORE_JOB].payload == {"scheduled": True}
    # the daily rescore runs at the next 05:00 in Tokyo (20:00 UTC), within a day
    rescore_at = jobs[RESCORE_JOB].run_after.astimezone(UTC)
    assert rescore_at.hour == 20
    assert before < rescore_at <= before + timedelta(days=1)
    assert jobs[TRAIN_JOB].run_after.astimezone(UTC) >= before + timedelta(days=7)
