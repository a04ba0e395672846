"""/api/v1/revenue (retention figures, KGI, cohorts, drill-down) and /api/v1/currency-rates.

Amounts are integer minor units of the reporting currency (``KIZUNA_DEFAULT_CURRENCY``,
JPY by default); rates are decimal ratios (0.0123 = 1.23 %), null when undefined.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.revenue import rates, service
from kizuna.revenue.schemas import (
    Basis,
    CohortTable,
    CurrentTotals,
    Cut,
    Drilldown,
    Figure,
    KgiSeries,
    MonthlySeries,
    RateCreate,
    RateOut,
    WindowReport,
)

router = APIRouter(tags=["revenue"])

RevenueReader = Annotated[Actor, Depends(need(Permission.REVENUE_READ))]
CurrencyAdmin = Annotated[Actor, Depends(need(Permission.CURRENCY_ADMIN))]
From = Annotated[date, Query(alias="from", description="s, a date (YYYY-MM-DD)")]
To = Annotated[date, Query(alias="to", description="e, a date after `from`")]
FromMonth = Annotated[date, Query(alias="from", description="first month (any day of it)")]
ToMonth = Annotated[date, Query(alias="to", description="last month (any day of it)")]
By = Annotated[Cut | None, Query(description="split the figures into groups")]


def reporting(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


@router.get("/revenue/window", response_model=WindowReport, summary="Retention over a window")
def window(
    request: Request, actor: RevenueReader, session: DbSession, start: From, end: To, by: By = None
) -> WindowReport:
    """Logo churn, NRR, GRR, MRR churn and their amounts over [from, to)."""
    with session.begin():
        return service.window_report(session, actor, start, end, by, currency=reporting(request))


@router.get("/revenue/monthly", response_model=MonthlySeries, summary="Monthly MRR and movements")
def monthly(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    start: FromMonth,
    end: ToMonth,
    by: By = None,
) -> MonthlySeries:
    """Per calendar month: MRR, ARR, active accounts, movements and that month's rates."""
    with session.begin():
        return service.monthly_series(session, actor, start, end, by, currency=reporting(request))


@router.get("/revenue/kgi", response_model=KgiSeries, summary="Churn KGI at quarter ends")
def kgi(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    quarters: Annotated[int, Query(ge=1, le=service.MAX_QUARTERS)] = 8,
) -> KgiSeries:
    """Trailing-12-month average monthly churn (logo and MRR) at each quarter end."""
    with session.begin():
        return service.kgi(session, actor, quarters, currency=reporting(request))


@router.get("/revenue/cohorts", response_model=CohortTable, summary="Cohort retention")
def cohort_table(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    start: FromMonth,
    end: ToMonth,
    basis: Basis = Basis.LOGO,
) -> CohortTable:
    """Retention of each sign-up cohort by month since start (logo or MRR)."""
    with session.begin():
        return service.cohorts(session, actor, start, end, basis, currency=reporting(request))


@router.get("/revenue/drilldown", response_model=Drilldown, summary="Accounts behind a figure")
def drilldown(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    figure: Figure,
    start: From,
    end: To,
    by: By = None,
    group: Annotated[str | None, Query(description="a group key of `by`")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Drilldown:
    """The accounts (largest first) and contract lines behind one figure of [from, to)."""
    with session.begin():
        return service.drilldown(
            session, actor, figure, start, end, by=by, group=group,
            currency=reporting(request), limit=limit,
        )  # fmt: skip


@router.get("/revenue/totals", response_model=CurrentTotals, summary="MRR, ARR and accounts now")
def totals(request: Request, actor: RevenueReader, session: DbSession) -> CurrentTotals:
    with session.begin():
        return service.current_totals(session, actor, currency=reporting(request))


class RateUpdate(BaseModel):
    rate: Decimal = Field(gt=0, max_digits=20, decimal_places=10)


@router.get("/currency-rates", response_model=list[RateOut], summary="List exchange rates")
def list_rates(
    actor: RevenueReader, session: DbSession, currency: str | None = None
) -> list[RateOut]:
    """Rates into the reporting currency, by currency, newest first."""
    with session.begin():
        return rates.list_rates(session, actor, currency=currency)


@router.post(
    "/currency-rates", response_model=RateOut, status_code=201, summary="Add an exchange rate"
)
def create_rate(
    request: Request, body: RateCreate, actor: CurrencyAdmin, session: DbSession
) -> RateOut:
    """One unit of `currency` in the reporting currency, valid from `valid_from` on."""
    with session.begin():
        return rates.create_rate(session, actor, body, reporting=reporting(request))


@router.get("/currency-rates/{rate_id}", response_model=RateOut, summary="Get an exchange rate")
def get_rate(rate_id: uuid.UUID, actor: RevenueReader, session: DbSession) -> RateOut:
    with session.begin():
        return rates.get_rate(session, actor, rate_id)


@router.patch(
    "/currency-rates/{rate_id}", response_model=RateOut, summary="Change an exchange rate"
)
def update_rate(
    rate_id: uuid.UUID, body: RateUpdate, actor: CurrencyAdmin, session: DbSession
) -> RateOut:
    with session.begin():
        return rates.update_rate(session, actor, rate_id, body.rate)


@router.delete("/currency-rates/{rate_id}", status_code=204, summary="Delete an exchange rate")
def delete_rate(rate_id: uuid.UUID, actor: CurrencyAdmin, session: DbSession) -> Response:
    with session.begin():
        rates.delete_rate(session, actor, rate_id)
    return Response(status_code=204)
