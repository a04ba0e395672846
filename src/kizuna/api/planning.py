"""/api/v1/planning: the planning calculators (C12) and their prefill from actual data."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.planning import service
from kizuna.planning.schemas import (
    ImpactModelInput,
    ImpactModelResult,
    PilotPrefill,
    PilotRoiInput,
    PilotRoiResult,
    UnitEconomicsInput,
    UnitEconomicsPrefill,
    UnitEconomicsResult,
)

router = APIRouter(prefix="/planning", tags=["planning"])

RevenueReader = Annotated[Actor, Depends(need(Permission.REVENUE_READ))]
FROM_HELP = "first day of the period (YYYY-MM-DD); default: 12 months before `to`"
TO_HELP = "day after the period (YYYY-MM-DD); default: the first day of this month"


@router.post("/pilot-roi", response_model=PilotRoiResult, summary="Customer-sales pilot ROI")
def pilot_roi(body: PilotRoiInput, actor: RevenueReader) -> PilotRoiResult:
    """LTV created per month (new MRR ÷ monthly churn), ROI (LTV ÷ cost), payback and the
    month-by-month cumulative cost, LTV and billed revenue (seed 000)."""
    return service.calculate_pilot_roi(actor, body)


@router.post("/impact-model", response_model=ImpactModelResult, summary="CS revenue impact model")
def impact_model(body: ImpactModelInput, actor: RevenueReader) -> ImpactModelResult:
    """Revenue from new and existing customers per year, with and without CS, and the
    share CS creates (seed 003)."""
    return service.calculate_impact_model(actor, body)


@router.post("/unit-economics", response_model=UnitEconomicsResult, summary="LTV and CAC payback")
def unit_economics(body: UnitEconomicsInput, actor: RevenueReader) -> UnitEconomicsResult:
    """LTV (ARPA × margin ÷ churn), LTV/CAC, CAC payback months and the payback curve."""
    return service.calculate_unit_economics(actor, body)


@router.get(
    "/pilot-roi/prefill", response_model=PilotPrefill, summary="Pilot inputs from actual data"
)
def pilot_prefill(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    team_id: Annotated[uuid.UUID, Query(description="the team whose accounts are measured")],
    start: Annotated[date | None, Query(alias="from", description=FROM_HELP)] = None,
    end: Annotated[date | None, Query(alias="to", description=TO_HELP)] = None,
) -> PilotPrefill:
    """New + expansion MRR per team member per month on the accounts the team's members
    own as sales or AE owner, and the company's average monthly MRR churn, over
    [from, to)."""
    with session.begin():
        return service.pilot_prefill(
            session, actor, team_id, start=start, end=end, currency=_currency(request)
        )


@router.get(
    "/unit-economics/prefill",
    response_model=UnitEconomicsPrefill,
    summary="Unit-economics inputs from actual data",
)
def unit_economics_prefill(
    request: Request,
    actor: RevenueReader,
    session: DbSession,
    start: Annotated[date | None, Query(alias="from", description=FROM_HELP)] = None,
    end: Annotated[date | None, Query(alias="to", description=TO_HELP)] = None,
) -> UnitEconomicsPrefill:
    """ARPA (MRR ÷ active accounts on `to`) and the average monthly logo churn over
    [from, to)."""
    with session.begin():
        return service.unit_economics_prefill(
            session, actor, start=start, end=end, currency=_currency(request)
        )


def _currency(request: Request) -> str:
    """Figures are reported in the configured currency (``KIZUNA_DEFAULT_CURRENCY``)."""
    return str(request.app.state.settings.default_currency)
