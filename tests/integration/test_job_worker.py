"""The worker on SQLite and PostgreSQL: handlers, failures, progress, and two workers racing.

Tests that take ``db`` run inside the rolled-back test transaction. Tests that need real
commits seen by other connections (progress, concurrency, the embedded worker) take
``live_db``: the session-wide migrated database with its own engine; they delete their jobs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from typer.testing import CliRunner

from kizuna.app import create_app
from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs import runner as job_runner
from kizuna.jobs.registry import JobContext, handler
from kizuna.jobs.runner import Worker
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue

RECORD = "test.worker.record"
BOOM = "test.worker.boom"
INVALID = "test.worker.invalid"
NOT_A_DICT = "test.worker.not_a_dict"
SLOW = "test.worker.slow"

ran: list[tuple[uuid.UUID, str]] = []
ran_lock = threading.Lock()
gate = threading.Event()


@handler(RECORD)
def record(ctx: JobContext) -> dict[str, Any]:
    with ran_lock:
        ran.append((ctx.job_id, threading.current_thread().name))
    return {"n": ctx.payload.get("n")}


@handler(BOOM)
def boom(ctx: JobContext) -> dict[str, Any]:
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@handler(INVALID)
def invalid(ctx: JobContext) -> dict[str, Any]:
    raise Invalid.field("account_id", "no such account")


@handler(NOT_A_DICT)
def not_a_dict(ctx: JobContext) -> dict[str, Any]:
    return [1, 2]  # type: ignore[return-value]


@handler(SLOW)
def slow(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(3, 10, "three of ten")
    ctx.progress(4, 10, "dropped: too soon after the last write")
    assert gate.wait(30), "the test never opened the gate"
    ctx.progress(10, 10, "all ten")
    return {"cancelled_seen": ctx.cancelled()}


def wait_for(
    condition: Callable[[], bool], seconds: float = 20.0, state: Callable[[], object] = str
) -> None:
    """Poll until ``condition()``; the generous limit only matters on an overloaded machine."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {seconds} s: {state()}")
        time.sleep(0.01)


def progress_of(database: Database, job_id: uuid.UUID) -> Callable[[], object]:
    def state() -> object:
        job = job_in(database, job_id)
        return (job.status, job.locked_by, job.progress_done, job.progress_note, job.heartbeat_at)

    return state


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return url


@pytest.fixture
def live_db(live_url: str) -> Iterator[Database]:
    database = Database.from_url(live_url)
    ran.clear()
    gate.clear()
    yield database
    with database.sessions() as session, session.begin():
        session.execute(delete(Job).where(Job.name.like("test.worker.%")))
    database.engine.dispose()


def job_in(database: Database, job_id: uuid.UUID) -> Job:
    """The job as committed, read through a fresh session (another connection)."""
    with database.sessions() as session:
        return queue.get_job(session, job_id)


def enqueue_committed(database: Database, name: str, payload: dict[str, Any]) -> uuid.UUID:
    with database.sessions() as session, session.begin():
        return queue.enqueue(session, name, payload).id


# --- one worker, inside the test transaction ------------------------------------------------


def test_cleanup_handler_deletes_old_finished_jobs(db: Database, settings: Settings) -> None:
    old = utc_now() - timedelta(days=45)
    with db.sessions() as session, session.begin():
        doomed, kept = [], []
        for status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED):
            job = queue.enqueue(session, "test.worker.history", {})
            job.status, job.finished_at = status, old
            doomed.append(job.id)
        recent = queue.enqueue(session, "test.worker.history", {})
        recent.status, recent.finished_at = JobStatus.DONE, utc_now() - timedelta(days=2)
        waiting = queue.enqueue(session, "test.worker.history", {})
        waiting.created_at = old
        kept += [recent.id, waiting.id]
        cleanup = queue.enqueue(session, "queue.cleanup", {"days": 30})

    assert Worker(db, settings, names=["queue.cleanup"]).run_once()

    with db.sessions() as session:
        remaining = set(session.scalars(select(Job.id).where(Job.id.in_(doomed + kept))))
        assert remaining == set(kept)
        done = queue.get_job(session, cleanup.id)
        assert done.status == JobStatus.DONE
        assert done.result["deleted"] >= 3
        assert done.result["days"] == 30


def test_unknown_handler_fails_with_a_clear_error(db: Database, settings: Settings) -> None:
    with db.sessions() as session, session.begin():
        job = queue.enqueue(session, "test.worker.nobody_handles_this", {})

    assert Worker(db, settings, names=["test.worker.nobody_handles_this"]).run_once()

    with db.sessions() as session:
        failed = queue.get_job(session, job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.attempts == 1
    assert "no handler registered for job 'test.worker.nobody_handles_this'" in failed.error
    assert "queue.cleanup" in failed.error


def test_exceptions_are_recorded_with_traceback_and_retried(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session, session.begin():
        job = queue.enqueue(session, BOOM, {}, max_attempts=2)
    worker = Worker(db, settings, names=[BOOM])

    assert worker.run_once()
    with db.sessions() as session:
        retried = queue.get_job(session, job.id)
        assert retried.status == JobStatus.QUEUED
        assert retried.error.startswith("Traceback (most recent call last):")
        assert retried.error.strip().endswith("RuntimeError: boom on attempt 1")
        assert retried.run_after > utc_now()
        assert not worker.run_once()  # backing off
        retried.run_after = utc_now()
        session.commit()

    assert worker.run_once()
    with db.sessions() as session:
        failed = queue.get_job(session, job.id)
    assert (failed.status, failed.attempts) == (JobStatus.FAILED, 2)
    assert failed.error.strip().endswith("RuntimeError: boom on attempt 2")


@pytest.mark.parametrize(
    ("name", "message"),
    [(INVALID, "no such account"), (NOT_A_DICT, "handler returned list, expected a dict")],
)
def test_domain_errors_and_bad_results_fail_without_retry(
    db: Database, settings: Settings, name: str, message: str
) -> None:
    with db.sessions() as session, session.begin():
        job = queue.enqueue(session, name, {}, max_attempts=5)

    assert Worker(db, settings, names=[name]).run_once()

    with db.sessions() as session:
        failed = queue.get_job(session, job.id)
    assert (failed.status, failed.attempts) == (JobStatus.FAILED, 1)
    assert message in failed.error


# --- real commits, other connections ----------------------------------------------------------


def test_progress_is_visible_from_another_session(live_db: Database, settings: Settings) -> None:
    job_id = enqueue_committed(live_db, SLOW, {})
    thread = threading.Thread(target=Worker(live_db, settings, names=[SLOW]).run_once)
    thread.start()
    try:
        wait_for(
            lambda: job_in(live_db, job_id).progress_done == 3, state=progress_of(live_db, job_id)
        )
        running = job_in(live_db, job_id)
        assert running.status == JobStatus.RUNNING
        assert (running.progress_total, running.progress_note) == (10, "three of ten")
        assert running.heartbeat_at is not None
    finally:
        gate.set()
        thread.join(10)

    done = job_in(live_db, job_id)
    assert done.status == JobStatus.DONE
    assert (done.progress_done, done.progress_note) == (10, "all ten")
    assert done.result == {"cancelled_seen": False}


def test_a_job_cancelled_while_running_stays_cancelled(
    live_db: Database, settings: Settings
) -> None:
    job_id = enqueue_committed(live_db, SLOW, {})
    thread = threading.Thread(target=Worker(live_db, settings, names=[SLOW]).run_once)
    thread.start()
    try:
        wait_for(
            lambda: job_in(live_db, job_id).progress_done == 3, state=progress_of(live_db, job_id)
        )
        with live_db.sessions() as session, session.begin():
            queue.cancel(session, job_id)
    finally:
        gate.set()
        thread.join(10)

    cancelled = job_in(live_db, job_id)
    assert cancelled.status == JobStatus.CANCELLED
    assert cancelled.result == {}


def test_two_workers_never_run_the_same_job_twice(
    live_url: str, live_db: Database, settings: Settings
) -> None:
    with live_db.sessions() as session, session.begin():
        job_ids = {queue.enqueue(session, RECORD, {"n": n}).id for n in range(200)}
    databases = [Database.from_url(live_url) for _ in range(2)]  # own engines, own connections
    workers = [
        Worker(database, settings, worker_id=f"racer-{i}", names=[RECORD])
        for i, database in enumerate(databases)
    ]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def drain(worker: Worker) -> None:
        start.wait()
        try:
            while worker.run_once():
                pass
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(w,), name=w.worker_id) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for database in databases:
        database.engine.dispose()

    assert not errors
    runs = Counter(job_id for job_id, _ in ran)
    assert set(runs) == job_ids
    assert set(runs.values()) == {1}
    per_worker = Counter(worker for _, worker in ran)
    assert set(per_worker) == {"racer-0", "racer-1"}
    with live_db.sessions() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(job_ids))).all()
    assert {(j.status, j.attempts) for j in jobs} == {(JobStatus.DONE, 1)}
    assert Counter(j.locked_by for j in jobs) == per_worker


def test_run_forever_recovers_stale_jobs_and_stops(live_db: Database, settings: Settings) -> None:
    with live_db.sessions() as session, session.begin():
        orphan = queue.enqueue(session, RECORD, {"n": "orphan"})
        claimed = queue.claim(session, "killed-worker", [RECORD])
        assert claimed is not None
        claimed.heartbeat_at = utc_now() - timedelta(minutes=6)
    fresh = enqueue_committed(live_db, RECORD, {"n": "fresh"})

    thread, stop = Worker(live_db, settings, names=[RECORD], poll_interval=0.02).start_in_thread()
    try:
        wait_for(
            lambda: all(job_in(live_db, i).status == JobStatus.DONE for i in (orphan.id, fresh))
        )
    finally:
        stop.set()
        thread.join(5)

    assert not thread.is_alive()
    assert job_in(live_db, orphan.id).attempts == 2
    assert sorted(job_id for job_id, _ in ran) == sorted([orphan.id, fresh])


def test_the_web_process_runs_an_embedded_worker(
    live_url: str, live_db: Database, tmp_path: Path
) -> None:
    settings = Settings(environment="development", database_url=live_url, data_dir=tmp_path)
    web = create_app(settings, database=live_db)

    with TestClient(web):
        workers = [t for t in threading.enumerate() if t.name.startswith("kizuna-worker-")]
        assert len(workers) == 1
        job_id = enqueue_committed(live_db, RECORD, {"n": "web"})
        wait_for(lambda: job_in(live_db, job_id).status == JobStatus.DONE)

    workers[0].join(5)
    assert not workers[0].is_alive()


def test_no_embedded_worker_in_tests_or_when_disabled(live_db: Database, tmp_path: Path) -> None:
    for settings in (
        Settings(environment="test", data_dir=tmp_path),
        Settings(environment="development", embedded_worker=False, data_dir=tmp_path),
    ):
        with TestClient(create_app(settings, database=live_db)):
            assert not [t for t in threading.enumerate() if t.name.startswith("kizuna-worker-")]


# --- the command line -------------------------------------------------------------------------


def test_cli_enqueue_worker_once_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    # structlog caches a logger's output stream on first use; use it before CliRunner swaps
    # sys.stdout for a buffer it closes afterwards.
    job_runner.log.bind()
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["init"]).exit_code == 0
        queued = runner.invoke(
            cli_app, ["jobs", "enqueue", "queue.cleanup", "--payload", '{"days": 7}']
        )
        assert queued.exit_code == 0, queued.output
        assert "queued queue.cleanup" in queued.output

        assert runner.invoke(cli_app, ["worker", "--once"]).exit_code == 0
        idle = runner.invoke(cli_app, ["worker", "--once"])
        assert "no job was due" in idle.output

        listed = runner.invoke(cli_app, ["jobs", "list", "--status", "done"], terminal_width=200)
        assert listed.exit_code == 0, listed.output
        assert "queue.cleanup" in listed.output
        bad = runner.invoke(cli_app, ["jobs", "enqueue", "queue.cleanup", "--payload", "[1]"])
        assert bad.exit_code == 1
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()
