"""Health jobs: rescore every account (daily by schedule, and on demand)."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.health import schedule, service
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today


@handler(schedule.RESCORE_JOB)
def rescore(ctx: JobContext) -> dict[str, Any]:
    """Rescore every account in one transaction. Runs daily at 05:00 local time (the
    ``health.rescore`` schedule) and after events (``schedule.request_rescore``)."""
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        result = service.rescore_all(
            session,
            Actor.system("health"),
            data_dir=ctx.settings.data_dir,
            zone=zone,
            today=today(zone),
        )
    return {
        "accounts": result.accounts,
        "bands": result.bands,
        "history_rows": result.history_rows,
        "churn_scored": result.churn_scored,
        "expansion_signals": result.expansion_signals,
        "seconds": round(result.seconds, 3),
    }
