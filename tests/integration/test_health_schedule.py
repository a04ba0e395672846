"""The recurring health jobs are schedules registered by `kizuna init` (idempotently), and
on-demand rescores coalesce with a queued run."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.health.churn.service import TRAIN_JOB
from kizuna.health.schedule import RESCORE_JOB, request_rescore
from kizuna.jobs.schedules import DEFAULT_SCHEDULES, ensure_default_schedules
from kizuna.models.job import Job, JobStatus
from kizuna.models.schedule import CadenceKind, Schedule
from kizuna.scheduler import service as scheduler

SYSTEM = Actor.system("test")


def _queued(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.status == JobStatus.QUEUED)))


def test_default_schedules_are_registered_once_and_queue_nothing_yet(session: Session) -> None:
    before = datetime.now(UTC)
    first = ensure_default_schedules(session, "Asia/Tokyo")
    again = ensure_default_schedules(session, "Asia/Tokyo")
    assert [s.id for s in first] == [s.id for s in again]
    assert len(session.scalars(select(Schedule)).all()) == len(DEFAULT_SCHEDULES)
    assert _queued(session) == []  # the worker's tick queues them when due
    rescore = scheduler.get_schedule(session, SYSTEM, RESCORE_JOB)
    assert (rescore.cadence, rescore.at_time, rescore.zone) == (
        CadenceKind.DAILY,
        time(5, 0),
        "Asia/Tokyo",
    )
    # the next 05:00 in Tokyo is 20:00 UTC, within a day
    assert rescore.next_run_at.hour == 20
    assert before < rescore.next_run_at <= before + timedelta(days=1)
    training = scheduler.get_schedule(session, SYSTEM, TRAIN_JOB)
    assert (training.cadence, training.weekday, training.at_time) == (
        CadenceKind.WEEKLY,
        0,
        time(4, 0),
    )
    assert before < training.next_run_at <= before + timedelta(days=7)


def test_a_paused_schedule_stays_paused_when_registered_again(session: Session) -> None:
    ensure_default_schedules(session, "Asia/Tokyo")
    scheduler.set_enabled(session, SYSTEM, RESCORE_JOB, False)
    ensure_default_schedules(session, "Asia/Tokyo")
    assert scheduler.get_schedule(session, SYSTEM, RESCORE_JOB).enabled is False


def test_a_changed_zone_moves_the_next_run(session: Session) -> None:
    ensure_default_schedules(session, "Asia/Tokyo")
    ensure_default_schedules(session, "Europe/Berlin")
    rescore = scheduler.get_schedule(session, SYSTEM, RESCORE_JOB)
    assert rescore.zone == "Europe/Berlin"
    assert rescore.next_run_at.hour in (3, 4)  # 05:00 CET / CEST


def test_request_rescore_coalesces_with_the_scheduled_run_waiting(session: Session) -> None:
    ensure_default_schedules(session, "Asia/Tokyo")
    due = scheduler.get_schedule(session, SYSTEM, RESCORE_JOB).next_run_at
    (job,) = [j for j in scheduler.tick(session, due) if j.name == RESCORE_JOB]
    assert request_rescore(session) is None
    assert [j.id for j in _queued(session) if j.name == RESCORE_JOB] == [job.id]
