"""The `health.train_model` job: trains and queues a rescore when it publishes. The weekly
retraining is the `health.train_model` schedule's (the job no longer queues itself)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from churn_company import TODAY, plant_company
from kizuna.auth.actor import Actor
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.health import schedule
from kizuna.health.churn import service
from kizuna.jobs import health_model
from kizuna.jobs.runner import Worker
from kizuna.jobs.schedules import ensure_default_schedules
from kizuna.kit.clock import utc_now
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler


def _jobs(db: Database, name: str) -> list[Job]:
    with db.sessions() as session:
        return list(session.scalars(select(Job).where(Job.name == name).order_by(Job.created_at)))


def test_training_job_publishes_and_rescores(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_model, "today", lambda zone: TODAY)
    with db.sessions() as session, session.begin():
        plant_company(session, accounts=120)
        job = queue.enqueue(session, service.TRAIN_JOB, {"horizon_days": 90})
    assert Worker(db, settings, names=[service.TRAIN_JOB]).run_once()

    trained = next(j for j in _jobs(db, service.TRAIN_JOB) if j.id == job.id)
    assert trained.status == JobStatus.DONE, trained.error
    assert trained.result["status"] == "published"
    assert trained.result["model"] == 1
    rescores = _jobs(db, schedule.RESCORE_JOB)
    assert len(rescores) == 1
    assert rescores[0].singleton_key == schedule.RESCORE_JOB
    assert rescores[0].run_after > utc_now()  # soon, coalescing with other requests
    assert [j for j in _jobs(db, service.TRAIN_JOB) if j.status == JobStatus.QUEUED] == []


def test_the_weekly_schedule_queues_training_on_monday_morning(db: Database) -> None:
    with db.sessions() as session, session.begin():
        ensure_default_schedules(session, "Asia/Tokyo")
        training = scheduler.get_schedule(session, Actor.system("test"), service.TRAIN_JOB)
        local = training.next_run_at.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (local.weekday(), local.hour, local.minute) == (0, 4, 0)
        queued = scheduler.tick(session, training.next_run_at)  # rescore, clean-up may be due
        (job,) = [j for j in queued if j.name == service.TRAIN_JOB]
        assert (job.name, job.payload) == (service.TRAIN_JOB, {"horizon_days": 90})
        assert job.singleton_key == service.TRAIN_JOB
        # an on-demand request while the scheduled run waits shares it
        assert service.request_training(session) is None


def test_a_refused_training_does_not_rescore(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_model, "today", lambda zone: date(2025, 6, 30))
    with db.sessions() as session, session.begin():
        queue.enqueue(session, service.TRAIN_JOB, {})
        service.request_training(session)  # a second request while one waits: no-op
    assert len(_jobs(db, service.TRAIN_JOB)) == 1
    assert Worker(db, settings, names=[service.TRAIN_JOB]).run_once()
    done = _jobs(db, service.TRAIN_JOB)[0]
    assert done.result["status"] == "refused"
    assert "too little history" in done.result["message"]
    assert _jobs(db, schedule.RESCORE_JOB) == []
    assert [j for j in _jobs(db, service.TRAIN_JOB) if j.status == JobStatus.QUEUED] == []
