"""The `health.train_model` job: trains, queues a rescore when it publishes, and queues
itself again a week later (once)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from churn_company import TODAY, plant_company
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.health import schedule
from kizuna.health.churn import service
from kizuna.jobs import health_model
from kizuna.jobs.runner import Worker
from kizuna.kit.clock import utc_now
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue


def _jobs(db: Database, name: str) -> list[Job]:
    with db.sessions() as session:
        return list(session.scalars(select(Job).where(Job.name == name).order_by(Job.created_at)))


def test_training_job_publishes_rescores_and_comes_back_weekly(
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
    waiting = [j for j in _jobs(db, service.TRAIN_JOB) if j.status == JobStatus.QUEUED]
    assert len(waiting) == 1
    assert waiting[0].run_after - utc_now() > timedelta(days=6, hours=23)
    assert waiting[0].payload == {"horizon_days": 90}


def test_a_refused_training_still_comes_back_but_does_not_rescore(
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
    assert len([j for j in _jobs(db, service.TRAIN_JOB) if j.status == JobStatus.QUEUED]) == 1
