"""The ``playbooks.evaluate`` job: hourly (``jobs/schedules.py``) and soon after the events
playbooks react to (``survey.answered``, ``handoff.accepted``).

Features below the playbook layer that publish such events ask for a run with
``scheduler.request_run(session, "playbooks.evaluate", delay=…)`` themselves (the survey
service does); requests coalesce with a queued run that has not started.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kizuna.models.job import Job
from kizuna.scheduler import service as scheduler

EVALUATE_JOB = "playbooks.evaluate"
COALESCE = timedelta(seconds=30)


def request_evaluation(session: Session, delay: timedelta = COALESCE) -> Job | None:
    """Queue an evaluation soon, unless an unstarted one is already queued (None then)."""
    return scheduler.request_run(session, EVALUATE_JOB, delay=delay)
