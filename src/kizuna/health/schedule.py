"""Queueing the ``health.rescore`` job on demand (after a scorecard is published, a usage
computation or a new churn model), at most once in the queue.

The daily 05:00 rescore and the weekly retraining are schedules (``jobs/schedules.py``,
run by the worker's scheduler tick); this module only asks for the extra runs events need.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kizuna.models.job import Job
from kizuna.scheduler import service as scheduler

RESCORE_JOB = "health.rescore"
COALESCE = timedelta(seconds=30)  # requests within this wait share one run


def request_rescore(session: Session) -> Job | None:
    """Queue a rescore soon, unless an unstarted one is already queued (None then)."""
    return scheduler.request_run(session, RESCORE_JOB, delay=COALESCE)
