"""/api/v1/sales/dashboard: the customer-sales dashboard's numbers as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from kizuna.api.deps import DbSession, SalesReader
from kizuna.kit.clock import today
from kizuna.sales import service
from kizuna.sales.schemas import SalesDashboard
from kizuna.target import service as targets

router = APIRouter(prefix="/sales", tags=["sales"])


@router.get("/dashboard", response_model=SalesDashboard, summary="Customer-sales dashboard")
def dashboard(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    period: Annotated[
        str,
        Query(
            description="this-month, this-quarter, this-year, 2026-Q3, 2026-FY, "
            "2026-04-01..2026-06-30 …"
        ),
    ] = "this-quarter",
) -> SalesDashboard:
    """Leads passed / accepted / converted with rates and the SLA rate; created and won
    amount by lead source vs target; open pipeline by stage; top CSMs by the KPI the
    setting chooses; accounts owned per customer-sales person (保有企業数); renewal
    forecast for the next 90 days and forecast vs actual of the last closed quarter.
    Amounts are minor units of `currency`; rates are ratios (0.123 = 12.3 %)."""
    settings = request.app.state.settings
    zone, reporting = str(settings.default_timezone), str(settings.default_currency)
    day = today(zone)
    with session.begin():
        span = targets.resolve_period(session, period, today=day)
        return service.dashboard(session, actor, span, zone=zone, reporting=reporting, today=day)
