"""Coverage job: the tier rules, then the assignment rules, over every account (daily at
04:15 local time, before the journey and playbooks, which may filter on tier, touch model
and owners; and on demand with ``kizuna schedules run coverage.apply_tiers``)."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.coverage import service
from kizuna.coverage.schemas import ApplyIn
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today
from kizuna.segment.evaluation import FactSource


@handler(service.APPLY_JOB)
def apply_tiers(ctx: JobContext) -> dict[str, Any]:
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        source = FactSource(session, today=today(zone), zone=zone, data_dir=ctx.settings.data_dir)
        out = service.apply(
            session, Actor.system("coverage"), ApplyIn(dry_run=False), source=source
        )
    tiers, assignment = out.tiers, out.assignment
    return {
        "tier_rules": tiers.rules if tiers else 0,
        "tier_changes": len(tiers.changes) if tiers else 0,
        "assignment_rules": assignment.rules if assignment else 0,
        "owners_assigned": len(assignment.changes) if assignment else 0,
        "unassigned": len(assignment.unassigned) if assignment else 0,
    }
