"""The worker: claim a job, run its handler, record the outcome; repeat.

It runs embedded in the web process (a thread, ``settings.embedded_worker``) or as
``kizuna worker`` processes; on PostgreSQL any number of them may share the queue.

Each step is its own short transaction: claim (commit), run the handler (which opens its
own), then complete or fail (commit). While a handler runs, a heartbeat thread bumps the
job's ``heartbeat_at``; a worker that dies mid-job (``kill -9``) stops beating and another
worker's sweep (:func:`kizuna.queue.service.requeue_stale`) queues the job again.

The worker is also the scheduler: at start and every ``tick_interval`` seconds it calls
:func:`kizuna.scheduler.service.tick`, which queues the jobs of due schedules (once, however
many workers tick). Each run's start and outcome are recorded on its schedule in the same
transactions as the claim and the outcome.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs import handlers, registry
from kizuna.jobs.registry import JobContext
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import DomainError
from kizuna.models.job import JobStatus
from kizuna.models.schedule import RunStatus
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler

log = structlog.get_logger("kizuna.jobs")


@dataclass(frozen=True)
class ClaimedJob:
    """What the worker keeps of a claimed job once the claim is committed."""

    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


@dataclass(frozen=True)
class Outcome:
    """A handler's result, or the error to record and whether it may be retried."""

    result: dict[str, Any] | None = None
    error: str = ""
    retry: bool = False


class Worker:
    """Runs queued jobs whose name is in ``names`` (all jobs when None)."""

    stale_after = timedelta(minutes=5)  # a running job without a heartbeat this long is lost
    sweep_interval = 30.0  # seconds between requeue_stale sweeps
    heartbeat_interval = 30.0  # seconds between heartbeats while a handler runs
    error_backoff = 5.0  # seconds to wait after the queue itself failed (database down)

    def __init__(
        self,
        database: Database,
        settings: Settings,
        worker_id: str | None = None,
        names: Collection[str] | None = None,
        poll_interval: float = 0.5,
        tick_interval: float | None = 20.0,
    ) -> None:
        """``tick_interval``: seconds between scheduler ticks in :meth:`run_forever`
        (None: this worker never ticks, it only runs what others queue)."""
        handlers.load_all()
        self.database = database
        self.settings = settings
        self.worker_id = worker_id or default_worker_id()
        if isinstance(names, str):
            names = [names]
        self.names = frozenset(names) if names is not None else None
        self.poll_interval = poll_interval
        self.tick_interval = tick_interval

    def run_once(self) -> bool:
        """Claim one due job and run it to completion; False when there was none.

        Handler exceptions are recorded on the job (with the traceback): a DomainError is
        final, any other exception is retried with backoff until ``max_attempts``. A job
        whose name has no handler in this process fails at once. Errors of the queue
        itself (database unreachable, locked) propagate to the caller.
        """
        job = self._claim()
        if job is None:
            return False
        log.info(
            "job.claimed",
            job_id=str(job.id),
            job=job.name,
            attempt=job.attempt,
            worker=self.worker_id,
        )
        started = time.monotonic()
        with self._heartbeats(job.id):
            outcome = self._run(job)
        self._record(job, outcome, time.monotonic() - started)
        return True

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs until ``stop`` is set (the job in hand is finished first).

        Sleeps ``poll_interval`` when the queue is empty, sweeps for stale jobs every
        ``sweep_interval`` seconds and ticks the scheduler at start and every
        ``tick_interval`` seconds.
        """
        log.info("worker.started", worker=self.worker_id, names=sorted(self.names or []) or "all")
        next_sweep = next_tick = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_interval
            if self.tick_interval is not None and time.monotonic() >= next_tick:
                self.tick()
                next_tick = time.monotonic() + self.tick_interval
            try:
                worked = self.run_once()
            except Exception:
                log.exception("worker.error", worker=self.worker_id)
                stop.wait(self.error_backoff)
                continue
            if not worked:
                stop.wait(self.poll_interval)
        log.info("worker.stopped", worker=self.worker_id)

    def start_in_thread(self) -> tuple[threading.Thread, threading.Event]:
        """Run :meth:`run_forever` in a daemon thread; set the event to stop it, then join."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever,
            args=(stop,),
            name=f"kizuna-worker-{self.worker_id}",
            daemon=True,
        )
        thread.start()
        return thread, stop

    def tick(self) -> int:
        """Queue the jobs of due schedules now; returns how many (errors are logged)."""
        try:
            with self.database.sessions() as session, session.begin():
                queued = [(job.name, str(job.id)) for job in scheduler.tick(session)]
        except Exception:
            log.exception("scheduler.tick_error", worker=self.worker_id)
            return 0
        for name, job_id in queued:
            log.info("schedule.queued", job=name, job_id=job_id, worker=self.worker_id)
        return len(queued)

    def _claim(self) -> ClaimedJob | None:
        with self.database.sessions() as session, session.begin():
            job = queue.claim(session, self.worker_id, self.names)
            if job is None:
                return None
            claimed = ClaimedJob(
                job.id, job.name, dict(job.payload), job.attempts, job.max_attempts
            )
            scheduler.record_started(session, claimed.name, claimed.payload, job.started_at)
            return claimed

    def _run(self, job: ClaimedJob) -> Outcome:
        handler = registry.get_handler(job.name)
        if handler is None:
            known = ", ".join(registry.registered_names()) or "none"
            return Outcome(error=f"no handler registered for job {job.name!r} (known: {known})")
        context = JobContext(
            database=self.database,
            settings=self.settings,
            job_id=job.id,
            name=job.name,
            payload=job.payload,
            attempt=job.attempt,
        )
        try:
            result = handler(context)
        except DomainError:
            return Outcome(error=traceback.format_exc())
        except Exception:
            return Outcome(error=traceback.format_exc(), retry=True)
        return _checked(result)

    def _record(self, job: ClaimedJob, outcome: Outcome, seconds: float) -> None:
        fields = {"job_id": str(job.id), "job": job.name, "seconds": round(seconds, 3)}
        with self.database.sessions() as session, session.begin():
            if outcome.result is not None:
                kept = queue.complete(session, job.id, outcome.result, worker_id=self.worker_id)
                status = RunStatus.DONE
            else:
                kept = queue.fail(
                    session, job.id, outcome.error, retry=outcome.retry, worker_id=self.worker_id
                )
                requeued = kept and queue.get_job(session, job.id).status == JobStatus.QUEUED
                status = RunStatus.RETRYING if requeued else RunStatus.FAILED
            scheduler.record_outcome(
                session,
                job.name,
                job.payload,
                status if kept else RunStatus.CANCELLED,
                seconds=seconds,
                error=outcome.error,
                now=utc_now(),
            )
        if not kept:
            log.warning("job.outcome_discarded", reason="cancelled or taken over", **fields)
        elif outcome.result is not None:
            log.info("job.done", **fields)
        else:
            last_line = outcome.error.strip().splitlines()[-1] if outcome.error.strip() else ""
            retrying = outcome.retry and job.attempt < job.max_attempts
            log.warning("job.retry" if retrying else "job.failed", error=last_line, **fields)

    def _sweep(self) -> None:
        try:
            with self.database.sessions() as session, session.begin():
                count = queue.requeue_stale(session, older_than=self.stale_after)
                scheduler.settle_lost_runs(session)
        except Exception:
            log.exception("worker.sweep_error", worker=self.worker_id)
            return
        if count:
            log.warning("job.stale_recovered", count=count, worker=self.worker_id)

    @contextmanager
    def _heartbeats(self, job_id: uuid.UUID) -> Iterator[None]:
        """Beat for ``job_id`` every ``heartbeat_interval`` seconds until the block ends."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat_interval):
                try:
                    with self.database.sessions() as session, session.begin():
                        queue.heartbeat(session, job_id)
                except Exception:
                    log.exception("job.heartbeat_error", job_id=str(job_id))

        thread = threading.Thread(target=beat, name=f"kizuna-heartbeat-{job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


def default_worker_id() -> str:
    """``host:pid:random`` — unique per worker, readable in ``kizuna jobs list``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _checked(result: object) -> Outcome:
    if result is None:
        return Outcome(result={})
    if not isinstance(result, dict):
        return Outcome(error=f"handler returned {type(result).__name__}, expected a dict")
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        return Outcome(error=f"handler result is not JSON: {exc}")
    return Outcome(result=result)
