"""Job handlers by dotted name, and the context a handler runs with.

A handler is a thin function registered under a dotted name (``importing.run``)::

    @handler("queue.cleanup")
    def cleanup(ctx: JobContext) -> dict[str, Any]:
        with ctx.database.sessions() as session, session.begin():
            deleted = queue.delete_finished(session, older_than=...)
        return {"deleted": deleted}

It takes ids from ``ctx.payload``, opens its own sessions and transactions, calls one
service function and returns a small JSON result. A job can run more than once (retries,
a worker that died mid-way), so handlers must be idempotent.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.models.job import JobStatus
from kizuna.queue import service as queue

JobHandler = Callable[["JobContext"], dict[str, Any]]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_HANDLERS: dict[str, JobHandler] = {}


def handler(name: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of jobs named ``name``."""
    if not _NAME.match(name) or len(name) > 100:
        raise ValueError(f"job names are dotted lowercase, e.g. health.recompute_scores: {name!r}")

    def register(func: JobHandler) -> JobHandler:
        existing = _HANDLERS.get(name)
        if existing is not None and _qualname(existing) != _qualname(func):
            raise ValueError(f"job {name!r} already has a handler: {_qualname(existing)}")
        _HANDLERS[name] = func
        return func

    return register


def get_handler(name: str) -> JobHandler | None:
    return _HANDLERS.get(name)


def registered_names() -> list[str]:
    return sorted(_HANDLERS)


def _qualname(func: JobHandler) -> str:
    return f"{func.__module__}.{getattr(func, '__qualname__', repr(func))}"


class JobContext:
    """What a running handler gets: the database, its job's id and payload, settings."""

    progress_interval = 0.25  # seconds: at most ~4 progress writes a second

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        job_id: uuid.UUID,
        name: str,
        payload: dict[str, Any],
        attempt: int,
    ) -> None:
        self.database = database
        self.settings = settings
        self.job_id = job_id
        self.name = name
        self.payload = payload
        self.attempt = attempt  # 1 on the first run, 2 on the first retry, …
        self._last_progress: float | None = None

    def progress(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """Report progress (and a heartbeat), committed in its own short transaction.

        Throttled: calls less than ``progress_interval`` after the last write are dropped,
        except the final one (``done == total``), so a handler may call this for every row.
        """
        now = time.monotonic()
        final = total is not None and done >= total
        last = self._last_progress
        if not final and last is not None and now - last < self.progress_interval:
            return
        self._last_progress = now
        with self.database.sessions() as session, session.begin():
            queue.heartbeat(session, self.job_id, done=done, total=total, note=note)

    def cancelled(self) -> bool:
        """True when the job was cancelled (or taken away): a long handler may stop early."""
        with self.database.sessions() as session:
            job = queue.get_job(session, self.job_id)
            return job.status != JobStatus.RUNNING
