"""The churn-risk model's job: retrain, and rescore when a new model is published."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.health import schedule
from kizuna.health.churn import service
from kizuna.jobs.registry import JobContext, handler
from kizuna.kit.clock import today


@handler(service.TRAIN_JOB)
def train_model(ctx: JobContext) -> dict[str, Any]:
    """Train (publish or refuse). A published model queues a rescore so every account gets
    its new risk. The weekly retraining is a schedule (``jobs/schedules.py``)."""
    horizon = int(ctx.payload.get("horizon_days", 90))
    zone = ctx.settings.default_timezone
    with ctx.database.sessions() as session, session.begin():
        model = service.train(
            session,
            Actor.system("health"),
            data_dir=ctx.settings.data_dir,
            zone=zone,
            today=today(zone),
            horizon_days=horizon,
        )
        if model.status == "published":
            schedule.request_rescore(session)
        return {
            "model": model.number,
            "status": model.status,
            "auc": model.metrics.get("auc"),
            "message": model.message,
        }
