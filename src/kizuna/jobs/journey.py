"""Journey job: evaluate every account's journey (daily by schedule, and on demand)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kizuna.auth.actor import Actor
from kizuna.jobs.registry import JobContext, handler
from kizuna.journey import service
from kizuna.kit.clock import today
from kizuna.playbook.schedule import request_evaluation


@handler(service.EVALUATE_JOB)
def evaluate(ctx: JobContext) -> dict[str, Any]:
    """Complete steps whose criteria pass, enter and advance phases, in one transaction.
    Runs daily at 04:30 local time (the ``journey.evaluate`` schedule). When anything
    moved, the playbooks are evaluated right after (a stalled phase, a step now done may
    fire one) instead of at the next hourly run."""
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        result = service.evaluate_journey(
            session,
            Actor.system("journey"),
            today=today(zone),
            zone=zone,
            data_dir=ctx.settings.data_dir,
        )
        moved = result.entered + result.steps_completed + result.phases_advanced
        if moved:
            request_evaluation(session, delay=timedelta(0))
    return {**result.model_dump(), "playbooks_requested": bool(moved)}
