"""The scheduler on SQLite and PostgreSQL: registration, the tick, on-event runs, singleton
execution, and the outcome of each run recorded on its schedule.

Tests that take ``db``/``session`` run inside the rolled-back test transaction. Tests that
need commits seen by other connections (two ticks or two claims racing) take ``live_db``:
the session-wide migrated database with its own engines; they delete what they create.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories import make_user
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.registry import JobContext, handler
from kizuna.jobs.runner import Worker
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Forbidden, Invalid, NotFound
from kizuna.models.audit import AuditEvent
from kizuna.models.enums import Role
from kizuna.models.job import Job, JobStatus
from kizuna.models.schedule import RunStatus, Schedule
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler
from kizuna.scheduler.cadence import Cadence

OK = "test.scheduler.ok"
BOOM = "test.scheduler.boom"
SYSTEM = Actor.system("test")
failures_left: list[int] = [0]


@handler(OK)
def ok(ctx: JobContext) -> dict[str, Any]:
    return {"payload": ctx.payload}


@handler(BOOM)
def boom(ctx: JobContext) -> dict[str, Any]:
    if failures_left[0] > 0:
        failures_left[0] -= 1
        raise RuntimeError(f"the database of the moon is unreachable (attempt {ctx.attempt})")
    return {"recovered": True}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def hourly(session: Session, key: str = "test.hourly", name: str = OK, **kw: Any) -> Schedule:
    return scheduler.ensure_schedule(session, key, name, Cadence.every(60), **kw)


def jobs_named(session: Session, name: str) -> list[Job]:
    return list(
        session.scalars(
            select(Job)
            .where(Job.name == name)
            .order_by(Job.created_at)
            .execution_options(populate_existing=True)
        )
    )


# --- registration ------------------------------------------------------------------------


def test_ensure_schedule_creates_once_follows_the_code_and_keeps_a_pause(
    session: Session,
) -> None:
    now = at(2026, 11, 23, 10, 20)
    first = scheduler.ensure_schedule(
        session, "test.daily", OK, Cadence.daily(clock_time(5, 0)), zone="Asia/Tokyo", now=now
    )
    assert first.next_run_at == at(2026, 11, 23, 20, 0)
    assert first.enabled
    assert first.consecutive_failures == 0
    assert first.last_status is None
    same = scheduler.ensure_schedule(
        session, "test.daily", OK, Cadence.daily(clock_time(5, 0)), zone="Asia/Tokyo", now=now
    )
    assert same.id == first.id
    scheduler.set_enabled(session, SYSTEM, "test.daily", False)
    moved = scheduler.ensure_schedule(
        session,
        "test.daily",
        OK,
        Cadence.weekly(2, clock_time(6, 30)),
        payload={"full": True},
        zone="Asia/Tokyo",
        now=now,
    )
    assert moved.id == first.id
    assert moved.enabled is False  # the operator's pause is kept
    assert (moved.weekday, moved.at_time, moved.payload) == (2, clock_time(6, 30), {"full": True})
    assert moved.next_run_at == at(2026, 11, 24, 21, 30)  # Wednesday 25th 06:30 in Tokyo
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == "test.daily")
    ).all()
    assert sorted(actions) == ["schedule.create", "schedule.pause", "schedule.update"]


def test_ensure_schedule_refuses_bad_input_naming_the_field(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        hourly(session, key="Not A Key")
    assert caught.value.problems[0].loc[-1] == "key"
    with pytest.raises(Invalid) as caught:
        hourly(session, zone="Nowhere/Special")
    assert caught.value.problems[0].loc[-1] == "zone"
    with pytest.raises(Invalid) as caught:
        hourly(session, payload={"when": datetime.now(UTC)})
    assert caught.value.problems[0].loc[-1] == "payload"


# --- the tick ------------------------------------------------------------------------------


def test_tick_queues_a_due_schedule_once_and_advances_it(session: Session) -> None:
    schedule = hourly(session, now=at(2026, 11, 23, 9, 30))
    assert schedule.next_run_at == at(2026, 11, 23, 10, 0)
    assert scheduler.tick(session, at(2026, 11, 23, 9, 59, 59)) == []
    (job,) = scheduler.tick(session, at(2026, 11, 23, 10, 0, 2))
    assert (job.name, job.singleton_key, job.status) == (OK, OK, JobStatus.QUEUED)
    assert scheduler.tick(session, at(2026, 11, 23, 10, 0, 3)) == []
    row = scheduler.get_schedule(session, SYSTEM, "test.hourly")
    assert row.next_run_at == at(2026, 11, 23, 11, 0)
    assert (row.last_job_id, row.last_enqueued_at) == (job.id, at(2026, 11, 23, 10, 0, 2))


def test_runs_missed_while_everything_was_down_run_once(session: Session) -> None:
    hourly(session, now=at(2026, 11, 1, 0, 30))  # due 01:00 on the 1st …
    queued = scheduler.tick(session, at(2026, 11, 8, 9, 15))  # … and nobody ticked for a week
    assert len(queued) == 1
    assert scheduler.tick(session, at(2026, 11, 8, 9, 16)) == []
    assert scheduler.get_schedule(session, SYSTEM, "test.hourly").next_run_at == at(
        2026, 11, 8, 10, 0
    )


def test_a_paused_schedule_is_not_queued_and_resumes_at_its_next_slot(
    session: Session,
) -> None:
    hourly(session, now=at(2026, 11, 23, 9, 30))
    scheduler.set_enabled(session, SYSTEM, "test.hourly", False)
    assert scheduler.tick(session, at(2026, 11, 23, 12, 0)) == []
    resumed = scheduler.set_enabled(session, SYSTEM, "test.hourly", True)
    assert resumed.next_run_at > utc_now()  # the runs missed while paused are skipped
    assert resumed.next_run_at <= utc_now() + timedelta(hours=1)


def test_a_run_still_waiting_absorbs_the_next_slot(session: Session) -> None:
    hourly(session, now=at(2026, 11, 23, 9, 30))
    (first,) = scheduler.tick(session, at(2026, 11, 23, 10, 0))
    (again,) = scheduler.tick(session, at(2026, 11, 23, 11, 0))  # the 10:00 run never started
    assert again.id == first.id
    assert len(jobs_named(session, OK)) == 1


# --- on-event runs ----------------------------------------------------------------------------


def test_request_run_coalesces_and_brings_a_later_run_forward(session: Session) -> None:
    hourly(session, payload={"n": 1})
    job = scheduler.request_run(session, "test.hourly", delay=timedelta(minutes=5))
    assert job is not None
    assert (job.payload, job.singleton_key) == ({"n": 1}, OK)
    assert scheduler.request_run(session, OK, delay=timedelta(minutes=10)) is None  # by job name
    assert scheduler.request_run(session, "test.hourly", delay=timedelta(seconds=1)) is None
    (waiting,) = jobs_named(session, OK)
    assert waiting.id == job.id
    assert waiting.run_after <= utc_now() + timedelta(seconds=1)
    assert scheduler.get_schedule(session, SYSTEM, "test.hourly").last_job_id == job.id


def test_a_run_that_already_started_does_not_absorb_a_request(session: Session) -> None:
    hourly(session)
    first = scheduler.request_run(session, "test.hourly", delay=timedelta(0))
    assert first is not None
    claimed = queue.claim(session, "w1", [OK])
    assert claimed is not None
    assert claimed.id == first.id
    second = scheduler.request_run(session, "test.hourly", delay=timedelta(0))
    assert second is not None
    assert second.id != first.id
    assert queue.claim(session, "w2", [OK]) is None  # the singleton waits for the first


def test_request_run_without_a_schedule_queues_that_job(session: Session) -> None:
    job = scheduler.request_run(session, BOOM, payload={"x": 1})
    assert job is not None
    assert (job.name, job.payload, job.singleton_key) == (BOOM, {"x": 1}, BOOM)
    assert job.run_after > utc_now() + timedelta(seconds=25)  # the default 30 s coalescing


# --- singleton execution ------------------------------------------------------------------


def test_jobs_of_one_singleton_key_are_claimed_one_at_a_time(session: Session) -> None:
    first = queue.enqueue(session, OK, {"n": 1}, singleton_key="test.solo")
    second = queue.enqueue(session, OK, {"n": 2}, singleton_key="test.solo")
    other = queue.enqueue(session, OK, {"n": 3})
    claimed = queue.claim(session, "w1", [OK])
    assert claimed is not None
    assert claimed.id == first.id
    nxt = queue.claim(session, "w2", [OK])
    assert nxt is not None
    assert nxt.id == other.id
    assert queue.claim(session, "w3", [OK]) is None
    assert queue.complete(session, first.id, {})
    after = queue.claim(session, "w3", [OK])
    assert after is not None
    assert after.id == second.id


def test_the_journey_and_the_playbooks_never_run_beside_each_other(session: Session) -> None:
    journey = scheduler.request_run(session, "journey.evaluate", delay=timedelta(0))
    playbooks = scheduler.request_run(session, "playbooks.evaluate", delay=timedelta(0))
    assert journey is not None
    assert playbooks is not None
    assert journey.singleton_key == playbooks.singleton_key == "journey+playbooks"
    names = ["journey.evaluate", "playbooks.evaluate"]
    claimed = queue.claim(session, "w1", names)
    assert claimed is not None
    assert claimed.id == journey.id
    assert queue.claim(session, "w2", names) is None  # the playbooks wait for the journey
    assert queue.complete(session, journey.id, {})
    after = queue.claim(session, "w2", names)
    assert after is not None
    assert after.id == playbooks.id


def test_the_database_refuses_a_second_running_job_of_a_singleton_key(
    session: Session,
) -> None:
    a = queue.enqueue(session, OK, {}, singleton_key="test.solo")
    b = queue.enqueue(session, OK, {}, singleton_key="test.solo")
    session.execute(update(Job).where(Job.id == a.id).values(status=JobStatus.RUNNING))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(Job).where(Job.id == b.id).values(status=JobStatus.RUNNING))
    # finished jobs and jobs without a key are not constrained
    session.execute(update(Job).where(Job.id == a.id).values(status=JobStatus.DONE))
    session.execute(update(Job).where(Job.id == b.id).values(status=JobStatus.RUNNING))
    c = queue.enqueue(session, OK, {})
    d = queue.enqueue(session, OK, {})
    session.execute(update(Job).where(Job.id.in_([c.id, d.id])).values(status=JobStatus.RUNNING))
    session.flush()


# --- outcomes recorded by the worker ------------------------------------------------------------


def test_a_successful_run_is_recorded_on_its_schedule(db: Database, settings: Settings) -> None:
    with db.sessions() as session, session.begin():
        hourly(session, payload={"n": 7})
        job = scheduler.request_run(session, "test.hourly", delay=timedelta(0))
        assert job is not None
    assert Worker(db, settings, names=[OK]).run_once()
    with db.sessions() as session:
        row = scheduler.get_schedule(session, SYSTEM, "test.hourly")
        assert row.last_status == RunStatus.DONE
        assert row.last_started_at is not None
        assert row.last_finished_at is not None
        assert row.last_started_at <= row.last_finished_at
        assert row.last_duration_seconds is not None
        assert 0 <= row.last_duration_seconds < 5
        assert (row.last_error, row.consecutive_failures) == ("", 0)
        assert queue.get_job(session, job.id).result == {"payload": {"n": 7}}


def test_failures_are_recorded_with_the_error_and_counted_until_a_success(
    db: Database, settings: Settings
) -> None:
    failures_left[0] = 2
    with db.sessions() as session, session.begin():
        scheduler.ensure_schedule(session, "test.boom", BOOM, Cadence.every(30))
        job = scheduler.request_run(session, "test.boom", delay=timedelta(0))
        assert job is not None
    worker = Worker(db, settings, names=[BOOM])
    assert worker.run_once()
    with db.sessions() as session, session.begin():
        row = scheduler.get_schedule(session, SYSTEM, "test.boom")
        assert row.last_status == RunStatus.RETRYING
        assert "the database of the moon is unreachable (attempt 1)" in row.last_error
        assert "Traceback" in row.last_error
        assert row.consecutive_failures == 1
        session.execute(update(Job).where(Job.id == job.id).values(run_after=utc_now()))
    assert worker.run_once()
    with db.sessions() as session, session.begin():
        row = scheduler.get_schedule(session, SYSTEM, "test.boom")
        assert row.last_status == RunStatus.RETRYING
        assert "(attempt 2)" in row.last_error
        assert row.consecutive_failures == 2
        session.execute(update(Job).where(Job.id == job.id).values(run_after=utc_now()))
    assert worker.run_once()  # the third attempt succeeds
    with db.sessions() as session:
        row = scheduler.get_schedule(session, SYSTEM, "test.boom")
        assert (row.last_status, row.last_error, row.consecutive_failures) == (
            RunStatus.DONE,
            "",
            0,
        )


def test_a_final_failure_is_recorded_as_failed(db: Database, settings: Settings) -> None:
    failures_left[0] = 5
    with db.sessions() as session, session.begin():
        scheduler.ensure_schedule(session, "test.boom", BOOM, Cadence.every(30))
        job = queue.enqueue(session, BOOM, {}, max_attempts=1, singleton_key=BOOM)
    assert Worker(db, settings, names=[BOOM]).run_once()
    with db.sessions() as session:
        row = scheduler.get_schedule(session, SYSTEM, "test.boom")
        assert (row.last_status, row.consecutive_failures) == (RunStatus.FAILED, 1)
        assert "RuntimeError: the database of the moon is unreachable" in row.last_error
        assert queue.get_job(session, job.id).status == JobStatus.FAILED
    failures_left[0] = 0


def test_a_run_whose_worker_died_is_settled_by_the_sweep(session: Session) -> None:
    hourly(session)
    scheduler.ensure_schedule(session, "test.boom", BOOM, Cadence.every(30))
    retried = queue.enqueue(session, OK, {}, singleton_key=OK)
    given_up = queue.enqueue(session, BOOM, {}, max_attempts=1, singleton_key=BOOM)
    for job in (retried, given_up):
        claimed = queue.claim(session, "killed-worker", [job.name])
        assert claimed is not None
        scheduler.record_started(session, job.name, {})
        claimed.heartbeat_at = utc_now() - timedelta(minutes=10)
    session.flush()
    assert scheduler.settle_lost_runs(session) == 0  # still running as far as anyone knows
    assert queue.requeue_stale(session, older_than=timedelta(minutes=5)) == 2
    assert scheduler.settle_lost_runs(session) == 2
    hourly_row = scheduler.get_schedule(session, SYSTEM, "test.hourly")
    boom_row = scheduler.get_schedule(session, SYSTEM, "test.boom")
    assert (hourly_row.last_status, hourly_row.consecutive_failures) == (RunStatus.RETRYING, 1)
    assert (boom_row.last_status, boom_row.consecutive_failures) == (RunStatus.FAILED, 1)
    assert boom_row.last_error == scheduler.LOST
    assert scheduler.settle_lost_runs(session) == 0


def test_runs_of_other_jobs_leave_schedules_alone(db: Database, settings: Settings) -> None:
    with db.sessions() as session, session.begin():
        hourly(session)
        queue.enqueue(session, BOOM, {})
    assert Worker(db, settings, names=[BOOM]).run_once()
    with db.sessions() as session:
        assert scheduler.get_schedule(session, SYSTEM, "test.hourly").last_status is None


# --- run now, pause, resume: permissions and audit ---------------------------------------------


def test_run_now_pause_and_resume_need_job_admin_and_are_audited(session: Session) -> None:
    hourly(session)
    manager = actor_for_user(make_user(session, Role.MANAGER))
    admin = actor_for_user(make_user(session, Role.ADMIN))
    assert [s.key for s in scheduler.list_schedules(session, manager)] == ["test.hourly"]
    with pytest.raises(Forbidden):
        scheduler.run_now(session, manager, "test.hourly")
    with pytest.raises(Forbidden):
        scheduler.set_enabled(session, manager, "test.hourly", False)
    csm = actor_for_user(make_user(session, Role.CSM))
    with pytest.raises(Forbidden):
        scheduler.list_schedules(session, csm)
    with pytest.raises(NotFound):
        scheduler.run_now(session, admin, "test.nothing")

    job = scheduler.run_now(session, admin, "test.hourly")
    assert job.run_after <= utc_now()
    assert scheduler.run_now(session, admin, "test.hourly").id == job.id  # no second run
    scheduler.set_enabled(session, admin, "test.hourly", False)
    scheduler.set_enabled(session, admin, "test.hourly", False)  # no change, no event
    scheduler.set_enabled(session, admin, "test.hourly", True)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "schedule", AuditEvent.actor_user_id == admin.user_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "schedule.run",
        "schedule.run",
        "schedule.pause",
        "schedule.resume",
    ]
    assert events[2].changes["enabled"] == [True, False]
    assert events[0].changes["job_id"] == [None, str(job.id)]


# --- races between connections -----------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return url


@pytest.fixture
def live_db(live_url: str) -> Iterator[Database]:
    database = Database.from_url(live_url)
    yield database
    with database.sessions() as session, session.begin():
        session.execute(delete(Schedule).where(Schedule.key.like("test.%")))
        session.execute(delete(Job).where(Job.name.like("test.scheduler.%")))
    database.engine.dispose()


def test_two_ticks_at_once_queue_each_due_schedule_once(live_url: str, live_db: Database) -> None:
    keys = [f"test.race-{n}" for n in range(20)]
    with live_db.sessions() as session, session.begin():
        for n, key in enumerate(keys):
            scheduler.ensure_schedule(
                session, key, OK, Cadence.every(60), payload={"n": n}, now=at(2026, 1, 1)
            )
    databases = [Database.from_url(live_url) for _ in range(2)]
    start = threading.Barrier(len(databases))
    queued: list[list[str]] = [[] for _ in databases]
    errors: list[BaseException] = []

    def tick(i: int) -> None:
        start.wait()
        try:
            for _ in range(3):
                with databases[i].sessions() as session, session.begin():
                    queued[i] += [str(job.id) for job in scheduler.tick(session)]
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(len(databases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for database in databases:
        database.engine.dispose()

    assert not errors
    with live_db.sessions() as session:
        jobs = jobs_named(session, OK)
        rows = session.scalars(select(Schedule).where(Schedule.key.in_(keys))).all()
    assert sorted(j.payload["n"] for j in jobs) == list(range(20))  # once each
    assert sorted(queued[0] + queued[1]) == sorted(str(j.id) for j in jobs)
    assert all(row.next_run_at > utc_now() for row in rows)


def test_a_concurrent_claim_of_the_same_singleton_key_backs_off(
    live_url: str, live_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_db.sessions() as session, session.begin():
        first = queue.enqueue(session, OK, {"n": 1}, singleton_key="test.solo").id
        queue.enqueue(session, OK, {"n": 2}, singleton_key="test.solo")
    other = Database.from_url(live_url)
    result: list[Job | None] = []
    attempts: list[str] = []
    build = queue._claim_statement

    def counted(*args: Any) -> Any:
        attempts.append(threading.current_thread().name)
        return build(*args)

    monkeypatch.setattr(queue, "_claim_statement", counted)
    try:
        with live_db.sessions() as holder, holder.begin():
            claimed = queue.claim(holder, "holder", [OK])
            assert claimed is not None
            assert claimed.id == first

            # Not committed yet: the second claimer must wait (PostgreSQL: on the unique
            # index; SQLite: on the write lock), then see the key taken.
            def contend() -> None:
                with other.sessions() as session, session.begin():
                    result.append(queue.claim(session, "contender", [OK]))

            thread = threading.Thread(target=contend, name="contender")
            thread.start()
            time.sleep(0.5)
            assert thread.is_alive(), "the second claim did not wait for the first"
        thread.join(30)
    finally:
        other.engine.dispose()
    assert result == [None]
    with live_db.sessions() as session:
        running = [j for j in jobs_named(session, OK) if j.status == JobStatus.RUNNING]
    assert [j.id for j in running] == [first]
    if live_db.engine.dialect.name == "postgresql":
        # the first try met the unique index (after waiting), the second saw the key taken
        assert attempts.count("contender") == 2
