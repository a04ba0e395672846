"""Health jobs: rescore every account, and keep a daily rescore queued."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.health import schedule, service
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today


@handler(schedule.RESCORE_JOB)
def rescore(ctx: JobContext) -> dict[str, Any]:
    """Rescore in one transaction, then queue tomorrow's 05:00 run unless one is queued
    (so scores stay fresh daily, across restarts)."""
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        result = service.rescore_all(
            session,
            Actor.system("health"),
            data_dir=ctx.settings.data_dir,
            zone=zone,
            today=today(zone),
        )
    with ctx.database.sessions() as session, session.begin():
        schedule.schedule_daily(session, zone)
    return {
        "accounts": result.accounts,
        "bands": result.bands,
        "history_rows": result.history_rows,
        "churn_scored": result.churn_scored,
        "expansion_signals": result.expansion_signals,
        "seconds": round(result.seconds, 3),
    }
