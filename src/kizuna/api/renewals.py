"""/api/v1/renewals: the renewals centre (upcoming renewals, forecasts, forecast vs actual)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from kizuna.api.deps import DbSession, PipelineWriter, SalesReader
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.enums import Tier
from kizuna.renewal import service
from kizuna.renewal.schemas import (
    ForecastSet,
    ForecastSummary,
    ForecastVsActual,
    RenewalFilters,
    RenewalOut,
    SyncResult,
)

router = APIRouter(prefix="/renewals", tags=["renewals"])


class RenewalPage(BaseModel):
    items: list[RenewalOut]
    total: int
    page: int
    pages: int


def _reporting(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


@router.get("", response_model=RenewalPage, summary="List upcoming renewals")
def list_renewals(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[RenewalFilters, Depends()],
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RenewalPage:
    """Renewals dated today … today + `days` (your time zone), soonest first, with the
    account's health, the top risk reasons and the closing plans' progress. Filters:
    `owner_id`, `tier`, `forecast`, `account_id`."""
    with session.begin():
        result = service.list_renewals(
            session, actor, filters, today=today(actor.timezone), page=page, page_size=limit
        )
    return RenewalPage(items=result.items, total=result.total, page=result.page, pages=result.pages)


@router.get("/summary", response_model=ForecastSummary, summary="Forecast by category")
def summary(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    days: Annotated[int, Query(ge=1, le=180)] = 90,
    owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
) -> ForecastSummary:
    """Pending renewals of the next `days` days per forecast category: count, MRR at stake
    and forecast MRR, in the reporting currency."""
    with session.begin():
        return service.forecast_summary(
            session,
            today=today(actor.timezone),
            days=days,
            reporting=_reporting(request),
            owner_id=owner_id,
            tier=tier,
        )


@router.get("/forecast-vs-actual", response_model=ForecastVsActual, summary="Forecast vs actual")
def forecast_vs_actual(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    start: date,
    end: date,
    grain: Literal["month", "quarter"] = "month",
    owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
) -> ForecastVsActual:
    """Settled renewals dated in [`start`, `end`) per month or quarter: the forecast they
    had (category, MRR) against the outcome, with the accuracy (hit rate of the category,
    1 − |actual − forecast| / forecast for the MRR)."""
    if end <= start or (end - start).days > 3 * 366:
        raise Invalid(
            FieldProblem(("query", "end"), "bad_range", "end must follow start, within 3 years")
        )
    with session.begin():
        return service.forecast_vs_actual(
            session,
            start,
            end,
            grain=grain,
            reporting=_reporting(request),
            owner_id=owner_id,
            tier=tier,
        )


@router.post("/sync", response_model=SyncResult, summary="Sync renewals now")
def sync(request: Request, actor: PipelineWriter, session: DbSession) -> SyncResult:
    """What the daily `renewals.sync` job does (04:45): create and update renewals from the
    subscription lines, suggest forecasts, settle outcomes. Idempotent."""
    with session.begin():
        return service.sync_now(
            session, actor, today=today(actor.timezone), reporting=_reporting(request)
        )


@router.get("/{renewal_id}", response_model=RenewalOut, summary="Get a renewal")
def get_renewal(renewal_id: uuid.UUID, actor: SalesReader, session: DbSession) -> RenewalOut:
    with session.begin():
        return service.get_renewal(session, actor, renewal_id, today=today(actor.timezone))


@router.put("/{renewal_id}/forecast", response_model=RenewalOut, summary="Set the forecast")
def set_forecast(
    renewal_id: uuid.UUID, body: ForecastSet, actor: PipelineWriter, session: DbSession
) -> RenewalOut:
    """A person's forecast category with a note (and the expected MRR, default: the MRR at
    stake, 0 for churn). `forecast: null` returns to the system's suggestion. Becoming
    `at_risk` or `churn` publishes `renewal.at_risk`. 409 once the renewal date has come."""
    day = today(actor.timezone)
    with session.begin():
        service.set_forecast(session, actor, renewal_id, body, today=day)
        return service.get_renewal(session, actor, renewal_id, today=day)
