"""Real `kizuna worker` processes: two of them against one PostgreSQL never run a singleton
job twice at once and queue a due schedule once; a schedule that fell due while no worker
ran is run (once) by the next worker that starts."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from worker_probe import CREATE, PROBE, launcher_command

from kizuna.db.migrate import upgrade
from kizuna.db.session import Database
from kizuna.kit.clock import utc_now
from kizuna.models.job import Job, JobStatus
from kizuna.models.schedule import RunStatus, Schedule
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler
from kizuna.scheduler.cadence import Cadence

SINGLETONS = 8
KEYS = ("test.probe.a", "test.probe.b")


def _start_worker(url: str, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": url,
        "KIZUNA_DATA_DIR": str(data_dir),
        "KIZUNA_ENVIRONMENT": "development",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            launcher_command("worker", "--tick-interval", "1"),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)  # finish the job in hand, then exit
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _wait_for(condition: Callable[[], bool], logs: list[Path], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)
            raise AssertionError(f"not reached in {seconds} s; worker output:\n{tails}")
        time.sleep(0.2)


def _probe_rows(database: Database) -> list[tuple[str, int, float, float]]:
    with database.sessions() as session:
        rows = session.execute(text("SELECT job_id, pid, started, ended FROM worker_probe")).all()
    return [(str(r[0]), int(r[1]), float(r[2]), float(r[3])) for r in rows]


def _prepare(url: str) -> Database:
    database = Database.from_url(url)
    with database.sessions() as session, session.begin():
        session.execute(text(CREATE))
    return database


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server (the workers commit, and register the
    default schedules, which must not leak into the other tests' database)."""
    base = make_url(postgres_url)
    name = f"kizuna_workers_{uuid.uuid4().hex[:8]}"
    admin = f"host={base.host} port={base.port} user={base.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.postgres
def test_two_worker_processes_never_overlap_a_singleton_and_tick_once(
    pg_url: str, tmp_path: Path
) -> None:
    database = _prepare(pg_url)
    with database.sessions() as session, session.begin():
        scheduler.ensure_schedule(
            session, "test.probe", PROBE, Cadence.every(60), payload={"n": "tick", "sleep": 0.3}
        )
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    workers = [_start_worker(pg_url, tmp_path, log) for log in logs]
    try:
        _wait_for(
            lambda: all("worker.started" in log.read_text(errors="replace") for log in logs), logs
        )
        with database.sessions() as session, session.begin():
            # Two singleton keys, so both workers are busy at once, but never with two jobs
            # of one key; and a schedule both workers see due at their next tick.
            for n in range(SINGLETONS):
                key = KEYS[n % len(KEYS)]
                queue.enqueue(session, PROBE, {"n": n, "sleep": 0.3}, singleton_key=key)
            session.execute(
                update(Schedule)
                .where(Schedule.key == "test.probe")
                .values(next_run_at=utc_now() - timedelta(hours=5))  # due, five slots missed
            )
        _wait_for(lambda: len(_probe_rows(database)) >= SINGLETONS + 1, logs)
        time.sleep(2.5)  # more ticks of both workers: nothing else may be queued
    finally:
        codes = [_stop(worker) for worker in workers]
    assert codes == [0, 0]

    rows = _probe_rows(database)
    assert len(rows) == SINGLETONS + 1  # each job once, the due schedule once
    assert len({job_id for job_id, *_ in rows}) == len(rows)
    with database.sessions() as session:
        probes = {str(job.id): job for job in session.scalars(select(Job).where(Job.name == PROBE))}
        schedule = session.scalars(select(Schedule).where(Schedule.key == "test.probe")).one()
    assert set(probes) == {job_id for job_id, *_ in rows}
    assert {(job.status, job.attempts) for job in probes.values()} == {(JobStatus.DONE, 1)}
    by_key: dict[str, list[tuple[float, float]]] = {}
    for job_id, _pid, started, ended in rows:
        by_key.setdefault(str(probes[job_id].singleton_key), []).append((started, ended))
    assert sorted(by_key) == sorted([*KEYS, PROBE])
    for key, intervals in by_key.items():
        intervals.sort()
        for (_, previous_end), (start, _) in itertools.pairwise(intervals):
            assert start >= previous_end, f"two runs of singleton key {key} overlapped"
    assert len({pid for _, pid, _, _ in rows}) == 2, "both workers should have run jobs"
    assert schedule.last_status == RunStatus.DONE
    assert schedule.last_duration_seconds is not None
    assert schedule.last_duration_seconds >= 0.3
    assert schedule.next_run_at > utc_now()
    database.engine.dispose()


def test_a_schedule_that_fell_due_while_no_worker_ran_runs_at_the_next_start(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    upgrade(url)
    database = _prepare(url)
    with database.sessions() as session, session.begin():
        scheduler.ensure_schedule(
            session, "test.probe", PROBE, Cadence.every(60), payload={"sleep": 0.1}
        )
    log = tmp_path / "worker.log"
    first = _start_worker(url, tmp_path, log)
    _wait_for(lambda: "worker.started" in log.read_text(errors="replace"), [log])
    time.sleep(1.5)  # it ticks: nothing is due yet
    assert _stop(first) == 0
    assert _probe_rows(database) == []

    with database.sessions() as session, session.begin():  # three hours pass, nobody runs
        session.execute(
            update(Schedule)
            .where(Schedule.key == "test.probe")
            .values(next_run_at=utc_now() - timedelta(hours=3))
        )
    second = _start_worker(url, tmp_path, log)
    try:
        _wait_for(lambda: len(_probe_rows(database)) >= 1, [log])
        time.sleep(2.5)
    finally:
        assert _stop(second) == 0
    assert len(_probe_rows(database)) == 1  # once, not once per missed hour
    with database.sessions() as session:
        schedule = session.scalars(select(Schedule).where(Schedule.key == "test.probe")).one()
    assert schedule.last_status == RunStatus.DONE
    assert schedule.next_run_at > utc_now()
    database.engine.dispose()
