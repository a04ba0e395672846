"""The playbook evaluation job (hourly, and soon after the events playbooks react to)."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today
from kizuna.playbook import service
from kizuna.playbook.schedule import EVALUATE_JOB


@handler(EVALUATE_JOB)
def evaluate(ctx: JobContext) -> dict[str, Any]:
    """Evaluate every active playbook (or ``payload["keys"]``) in one transaction: tasks,
    firings, state and the queued notifications commit together or not at all."""
    zone = ctx.settings.default_timezone
    keys = ctx.payload.get("keys")
    with ctx.database.sessions() as session, session.begin():
        report = service.run(
            session,
            Actor.system("playbooks"),
            [str(k) for k in keys] if keys else None,
            today=today(zone),
            zone=zone,
            data_dir=ctx.settings.data_dir,
            public_url=ctx.settings.public_url,
            origin="schedule" if not keys else "job",
        )
    return {
        "run_id": str(report.run_id),
        "playbooks": len(report.playbooks),
        "accounts": report.accounts,
        "fired": report.fired,
        "tasks_created": report.tasks_created,
        "errors": [p.key for p in report.playbooks if p.error],
        "seconds": round(report.duration_ms / 1000, 3),
    }
