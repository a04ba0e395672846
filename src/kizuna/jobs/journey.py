"""Journey job: evaluate every account's journey (daily by schedule, and on demand)."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.facts.catalogue import FactsCache
from kizuna.jobs.registry import JobContext, handler
from kizuna.journey import service
from kizuna.kit.clock import today
from kizuna.playbook import service as playbooks
from kizuna.playbook.engine import facts_needed


@handler(service.EVALUATE_JOB)
def evaluate(ctx: JobContext) -> dict[str, Any]:
    """Complete steps whose criteria pass, enter and advance phases, in one transaction.
    Runs daily at 04:30 local time (the ``journey.evaluate`` schedule). When anything
    moved, the playbooks are evaluated right after, in the same transaction (a stalled
    phase, a step now done may fire one), reusing the facts the journey loaded; the two
    jobs share one singleton key, so no playbook evaluation runs beside this one."""
    zone = ctx.settings.default_timezone
    day = today(zone)
    with ctx.database.sessions() as session, session.begin():
        cache = FactsCache()
        cache.ahead = facts_needed(session, cache)
        result = service.evaluate_journey(
            session,
            Actor.system("journey"),
            today=day,
            zone=zone,
            data_dir=ctx.settings.data_dir,
            cache=cache,
        )
        moved = result.entered + result.steps_completed + result.phases_advanced
        report = None
        if moved:
            report = playbooks.run(
                session,
                Actor.system("playbooks"),
                today=day,
                zone=zone,
                data_dir=ctx.settings.data_dir,
                public_url=ctx.settings.public_url,
                origin="journey",
                cache=cache,
            )
    return {
        **result.model_dump(),
        "playbooks_run_id": str(report.run_id) if report is not None else None,
        "playbooks_fired": report.fired if report is not None else 0,
    }
