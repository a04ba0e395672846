"""/api/v1/targets: sales targets per period × lead source, their split and attainment.

Amounts are integer minor units of the reporting currency (``KIZUNA_DEFAULT_CURRENCY``);
lead-count targets are plain counts. Periods: ``2026-07`` (month), ``2026-Q3``,
``2026-H1``, ``2026-FY`` (fiscal, named by the year they start in; the fiscal year's
first month is a setting, April by default) or ``this-quarter`` / ``last-month`` ….
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kizuna.api.deps import DbSession, SalesAdmin, SalesReader
from kizuna.kit.clock import today
from kizuna.models.enums import LeadSource
from kizuna.models.target import TargetMetric
from kizuna.target import service
from kizuna.target.schemas import (
    AttainmentReport,
    SettingsOut,
    SettingsUpdate,
    SplitIn,
    TargetCreate,
    TargetOut,
    TargetUpdate,
)

router = APIRouter(prefix="/targets", tags=["sales"])

PeriodQuery = Annotated[
    str, Query(description="2026-Q3, 2026-07, 2026-H1, 2026-FY, this-quarter, last-month …")
]


def _company(request: Request) -> tuple[str, str]:
    """(company time zone, reporting currency)."""
    settings = request.app.state.settings
    return str(settings.default_timezone), str(settings.default_currency)


@router.get("/settings", response_model=SettingsOut, summary="Target settings")
def get_settings(actor: SalesReader, session: DbSession) -> SettingsOut:
    with session.begin():
        return service.get_settings(session, actor)


@router.put("/settings", response_model=SettingsOut, summary="Change the fiscal year's start")
def put_settings(actor: SalesAdmin, session: DbSession, data: SettingsUpdate) -> SettingsOut:
    """Targets keep their dates; only how their periods are labelled follows."""
    with session.begin():
        return service.update_settings(session, actor, data)


@router.get("/attainment", response_model=AttainmentReport, summary="Attainment of a period")
def attainment(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    period: PeriodQuery = "this-quarter",
    lead_source: LeadSource | None = None,
) -> AttainmentReport:
    """Every target of the period at company, team and person level: the target's metric
    (created amount — the KPI, won amount or lead count) against its target, the pace
    against the time elapsed, and the other measure beside it (won for created)."""
    zone, reporting = _company(request)
    day = today(zone)
    with session.begin():
        span = service.resolve_period(session, period, today=day)
        return service.attainment(
            session,
            actor,
            span,
            zone=zone,
            reporting=reporting,
            today=day,
            lead_source=lead_source,
        )


@router.get("", response_model=list[TargetOut], summary="List targets")
def list_targets(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    period: Annotated[str | None, Query(description="only this period")] = None,
    lead_source: LeadSource | None = None,
    metric: TargetMetric | None = None,
) -> list[TargetOut]:
    zone, _ = _company(request)
    with session.begin():
        span = service.resolve_period(session, period, today=today(zone)) if period else None
        return service.list_targets(
            session, actor, period=span, lead_source=lead_source, metric=metric
        )


@router.post("", response_model=TargetOut, status_code=201, summary="Set a target")
def create_target(
    request: Request, actor: SalesAdmin, session: DbSession, data: TargetCreate
) -> TargetOut:
    """One target per period × lead source × metric (409 when it exists); with `teams`
    it is split at once."""
    zone, reporting = _company(request)
    with session.begin():
        return service.create_target(session, actor, data, reporting=reporting, today=today(zone))


@router.get("/{target_id}", response_model=TargetOut, summary="A target and its split")
def get_target(actor: SalesReader, session: DbSession, target_id: uuid.UUID) -> TargetOut:
    with session.begin():
        return service.get_target(session, actor, target_id)


@router.patch("/{target_id}", response_model=TargetOut, summary="Change a target")
def update_target(
    actor: SalesAdmin, session: DbSession, target_id: uuid.UUID, data: TargetUpdate
) -> TargetOut:
    """The split is recomputed; manual weights and overrides are kept."""
    with session.begin():
        return service.update_target(session, actor, target_id, data)


@router.delete("/{target_id}", status_code=204, summary="Delete a target")
def delete_target(actor: SalesAdmin, session: DbSession, target_id: uuid.UUID) -> Response:
    with session.begin():
        service.delete_target(session, actor, target_id)
    return Response(status_code=204)


@router.put("/{target_id}/split", response_model=TargetOut, summary="Split a target")
def put_split(
    actor: SalesAdmin, session: DbSession, target_id: uuid.UUID, data: SplitIn
) -> TargetOut:
    """The teams listed replace the split's teams; each team's active members share its
    part (evenly or by weight). Parts are whole minor units that always add up to the
    parent (largest remainder, ties to the first by name); overrides are kept as sent
    and `remainder` shows what they leave unallocated (negative: over-allocated)."""
    with session.begin():
        return service.set_split(session, actor, target_id, data)


@router.post("/{target_id}/resplit", response_model=TargetOut, summary="Re-split a target")
def resplit(actor: SalesAdmin, session: DbSession, target_id: uuid.UUID) -> TargetOut:
    """After people joined or left a team: members follow the teams, manual weights and
    overrides stay."""
    with session.begin():
        return service.resplit(session, actor, target_id)
