"""/api/v1/usage: metric definitions, account series, the overview, recomputation."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.usage import catalogue, service
from kizuna.usage.metric_schemas import (
    AccountUsageOut,
    ComputeQueued,
    ComputeRequest,
    Grain,
    MetricCreate,
    MetricOut,
    MetricUpdate,
    OverviewOut,
)
from kizuna.usage.values import ValueStore

router = APIRouter(tags=["usage"])
UsageReader = Annotated[Actor, Depends(need(Permission.USAGE_READ))]
MetricAdmin = Annotated[Actor, Depends(need(Permission.METRIC_ADMIN))]
METRIC_HELP = "metric keys (repeat the parameter); default: the featured metrics"


def _values(request: Request) -> ValueStore:
    return ValueStore.under(request.app.state.settings.data_dir)


@router.get("/usage/metrics", response_model=list[MetricOut], summary="List usage metrics")
def list_metrics(actor: UsageReader, session: DbSession) -> list[MetricOut]:
    """The metric catalogue, in display order."""
    with session.begin():
        return catalogue.list_metrics(session, actor)


@router.post(
    "/usage/metrics", response_model=MetricOut, status_code=201, summary="Create a usage metric"
)
def create_metric(body: MetricCreate, actor: MetricAdmin, session: DbSession) -> MetricOut:
    """Add a metric; its parameters are checked against its kind (problems name
    `params.<name>`). The values are computed by the next (queued) computation."""
    with session.begin():
        metric = catalogue.create_metric(session, actor, body)
        return catalogue.get_metric(session, actor, metric.id)


@router.get("/usage/metrics/{metric_id}", response_model=MetricOut, summary="Get a usage metric")
def get_metric(metric_id: uuid.UUID, actor: UsageReader, session: DbSession) -> MetricOut:
    with session.begin():
        return catalogue.get_metric(session, actor, metric_id)


@router.patch(
    "/usage/metrics/{metric_id}", response_model=MetricOut, summary="Update a usage metric"
)
def update_metric(
    metric_id: uuid.UUID, body: MetricUpdate, actor: MetricAdmin, session: DbSession
) -> MetricOut:
    """Change the fields sent (the key is fixed)."""
    with session.begin():
        catalogue.update_metric(session, actor, metric_id, body)
        return catalogue.get_metric(session, actor, metric_id)


@router.delete("/usage/metrics/{metric_id}", status_code=204, summary="Delete a usage metric")
def delete_metric(metric_id: uuid.UUID, actor: MetricAdmin, session: DbSession) -> Response:
    """Built-in metrics answer 409 `builtin` (disable them); metrics others derive from
    answer 409 `in_use`."""
    with session.begin():
        catalogue.delete_metric(session, actor, metric_id)
    return Response(status_code=204)


@router.get(
    "/accounts/{account_id}/usage",
    response_model=AccountUsageOut,
    summary="An account's usage metrics over time",
)
def account_usage(
    request: Request,
    account_id: uuid.UUID,
    actor: UsageReader,
    session: DbSession,
    metric: Annotated[list[str] | None, Query(description=METRIC_HELP)] = None,
    grain: Grain = "week",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> AccountUsageOut:
    """One value per period (day, ISO week from Monday, or month; Asia/Tokyo days)."""
    with session.begin():
        return service.account_usage(
            session,
            actor,
            _values(request),
            account_id,
            grain=grain,
            keys=metric,
            start=start,
            end=end,
        )


@router.get("/usage/overview", response_model=OverviewOut, summary="Usage across accounts")
def overview(
    request: Request,
    actor: UsageReader,
    session: DbSession,
    metric: Annotated[list[str] | None, Query(description=METRIC_HELP)] = None,
    grain: Grain = "week",
    sort: Annotated[str | None, Query(description="metric key or name; '-' = descending")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> OverviewOut:
    """The latest period's value per account (and the previous one), with a trend of the
    sort metric."""
    with session.begin():
        return service.overview(
            session,
            actor,
            _values(request),
            grain=grain,
            keys=metric,
            sort=sort,
            limit=limit,
            today=today(actor.timezone),
        )


@router.post(
    "/usage/compute", response_model=ComputeQueued, status_code=202, summary="Recompute metrics"
)
def compute(body: ComputeRequest, actor: MetricAdmin, session: DbSession) -> ComputeQueued:
    """Queue a computation of the catalogue (only what changed, unless `full`)."""
    with session.begin():
        job = service.queue_compute(session, actor, full=body.full)
        return ComputeQueued(job_id=job.id if job else None)
