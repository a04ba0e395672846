"""Housekeeping of the job queue itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.queue import service as queue


@handler("queue.cleanup")
def cleanup(ctx: JobContext) -> dict[str, Any]:
    """Delete done, failed and cancelled jobs older than ``payload["days"]`` (default 30)."""
    days = int(ctx.payload.get("days", 30))
    if days < 1:
        raise Invalid(FieldProblem(("payload", "days"), "too_small", "days must be at least 1"))
    with ctx.database.sessions() as session, session.begin():
        deleted = queue.delete_finished(session, older_than=timedelta(days=days))
    return {"deleted": deleted, "days": days}
