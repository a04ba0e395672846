"""A job handler for the worker-process tests: it records when it ran, in which process.

Imported by the `kizuna worker` processes the tests start (through ``launcher_command``),
so it registers its handler next to the real ones.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from kizuna.jobs.registry import JobContext, handler

PROBE = "test.probe.record"
CREATE = (
    "CREATE TABLE IF NOT EXISTS worker_probe (job_id VARCHAR(40) NOT NULL, "
    "pid INTEGER NOT NULL, started REAL NOT NULL, ended REAL NOT NULL)"
)


@handler(PROBE)
def record(ctx: JobContext) -> dict[str, Any]:
    """Sleep ``payload["sleep"]`` seconds and record the wall-clock interval it ran in."""
    started = time.time()
    time.sleep(float(ctx.payload.get("sleep", 0.3)))
    ended = time.time()
    with ctx.database.sessions() as session, session.begin():
        session.execute(
            text("INSERT INTO worker_probe (job_id, pid, started, ended) VALUES (:j, :p, :s, :e)"),
            {"j": str(ctx.job_id), "p": os.getpid(), "s": started, "e": ended},
        )
    return {"pid": os.getpid()}


def launcher_command(*args: str) -> list[str]:
    """``kizuna <args>`` in a new Python process that has this handler registered too."""
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import worker_probe; "
        "from kizuna.cli.main import app; app(prog_name='kizuna')"
    )
    return [sys.executable, "-c", code, *args]
