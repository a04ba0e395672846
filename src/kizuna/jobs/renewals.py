"""Renewals job: sync renewals from the subscription lines (daily, and on demand)."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today
from kizuna.renewal import service


@handler(service.SYNC_JOB)
def sync(ctx: JobContext) -> dict[str, Any]:
    """One renewal per account × term end date in the next 180 days, suggested forecasts
    from health, outcomes of renewals whose date has come. Runs daily at 04:45 local time
    (the ``renewals.sync`` schedule, after the journey; it reads the health scores of the
    previous rescore). Renewals turning at risk publish ``renewal.at_risk`` and ask for a
    playbook evaluation."""
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        result = service.sync(
            session,
            today(zone),
            actor=Actor.system("renewals"),
            reporting=ctx.settings.default_currency,
        )
    return result.model_dump(mode="json")
