"""Usage jobs: move the ingestion inbox into the event store; recompute the metrics."""

from __future__ import annotations

from typing import Any

from kizuna.auth.actor import Actor
from kizuna.health import schedule
from kizuna.jobs.registry import JobContext, handler
from kizuna.usage import compute, pipeline
from kizuna.usage.store import EventStore

MAX_BATCHES = 200  # per job run (10 M events); a fuller inbox is finished by the next run


@handler(pipeline.FLUSH_JOB)
def flush_inbox(ctx: JobContext) -> dict[str, Any]:
    """Flush the inbox in batches, each its own transaction under the store's lock; then
    queue a metric computation when anything new was stored, and another flush after any
    run that moved events (the next run that finds the inbox empty ends the chain)."""
    store = EventStore.under(ctx.settings.data_dir)
    result = pipeline.flush_all(ctx.database, store, max_batches=MAX_BATCHES)
    if result.moved:
        with ctx.database.sessions() as session, session.begin():
            pipeline.request_flush(session)  # more may have arrived (or the cap was hit)
            if result.stored:
                pipeline.request_compute(session)
    return {"moved": result.moved, "stored": result.stored}


@handler(pipeline.COMPUTE_JOB)
def compute_metrics(ctx: JobContext) -> dict[str, Any]:
    """Recompute what changed (everything with ``payload["full"]``)."""
    options = compute.Options(
        data_dir=ctx.settings.data_dir,
        zone=ctx.settings.default_timezone,
        engine=ctx.settings.analytics_engine,
        spark_master=ctx.settings.spark_master,
        full=bool(ctx.payload.get("full", False)),
    )
    with ctx.database.sessions() as session:
        result = compute.run(session, Actor.system("usage"), options)
    with ctx.database.sessions() as session, session.begin():
        schedule.request_rescore(session)  # health scores read the new values
    return {
        "metrics": result.metrics,
        "values": result.values,
        "full": result.full,
        "seconds": round(result.seconds, 3),
    }
