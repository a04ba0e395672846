"""The default schedules: every recurring job Kizuna runs, in one list.

Adding a recurring job is one entry in ``DEFAULT_SCHEDULES`` (its handler goes into a module
listed in ``jobs/handlers.py``). ``kizuna init``, ``kizuna demo`` and each ``kizuna worker``
at start call :func:`ensure_default_schedules`, which creates missing schedules and brings
existing ones in line with this list (keeping an operator's pause). Times are local to
``settings.default_timezone``. To run the job "on an event" as well, call
``kizuna.scheduler.service.request_run(session, key)`` where the event happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from kizuna.coverage.service import APPLY_JOB as COVERAGE_JOB
from kizuna.health.churn.service import TRAIN_JOB
from kizuna.health.schedule import RESCORE_JOB
from kizuna.journey.service import EVALUATE_JOB as JOURNEY_JOB
from kizuna.models.schedule import Schedule
from kizuna.playbook.schedule import EVALUATE_JOB as PLAYBOOK_JOB
from kizuna.renewal.service import SYNC_JOB as RENEWALS_JOB
from kizuna.scheduler.cadence import Cadence
from kizuna.scheduler.service import ensure_schedule

MONDAY = 0
CLEANUP_JOB = "queue.cleanup"


@dataclass(frozen=True)
class DefaultSchedule:
    key: str  # stable identifier (shown on /admin/jobs, used by `kizuna schedules run KEY`)
    job_name: str  # the @handler name
    cadence: Cadence
    payload: dict[str, Any] = field(default_factory=dict)


DEFAULT_SCHEDULES: tuple[DefaultSchedule, ...] = (
    # Weekly retraining first (Monday 04:00), so the 05:00 rescore uses the new model.
    DefaultSchedule(TRAIN_JOB, TRAIN_JOB, Cadence.weekly(MONDAY, time(4, 0)), {"horizon_days": 90}),
    DefaultSchedule(RESCORE_JOB, RESCORE_JOB, Cadence.daily(time(5, 0))),
    # Finished jobs older than 30 days are deleted (the schedules keep their last outcome).
    DefaultSchedule(CLEANUP_JOB, CLEANUP_JOB, Cadence.daily(time(3, 30)), {"days": 30}),
    # Tier rules, then assignment rules: before the journey and playbooks read tiers/owners.
    DefaultSchedule(COVERAGE_JOB, COVERAGE_JOB, Cadence.daily(time(4, 15))),
    # The success journey: complete steps from data, enter and advance phases.
    DefaultSchedule(JOURNEY_JOB, JOURNEY_JOB, Cadence.daily(time(4, 30))),
    # Renewals: one per account × term end date, suggested forecasts, settled outcomes.
    DefaultSchedule(RENEWALS_JOB, RENEWALS_JOB, Cadence.daily(time(4, 45))),
    # Playbooks: every hour (and soon after the domain events their triggers read).
    DefaultSchedule(PLAYBOOK_JOB, PLAYBOOK_JOB, Cadence.every(60)),
)


def ensure_default_schedules(session: Session, zone: str) -> list[Schedule]:
    """Create or update every schedule of ``DEFAULT_SCHEDULES`` (idempotent)."""
    return [
        ensure_schedule(
            session, entry.key, entry.job_name, entry.cadence, payload=entry.payload, zone=zone
        )
        for entry in DEFAULT_SCHEDULES
    ]
