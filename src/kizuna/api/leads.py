"""/api/v1/leads and /api/v1/pipeline/settings"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kizuna.api.deps import DbSession, PipelineWriter, SalesAdmin, SalesReader
from kizuna.api.schemas import PageOut
from kizuna.kit.clock import today
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    CsmKpiReport,
    LeadAccept,
    LeadCounts,
    LeadCreate,
    LeadFilters,
    LeadOut,
    LeadReject,
    OpportunityDetail,
    PipelineSettingsOut,
    PipelineSettingsUpdate,
)

router = APIRouter(tags=["leads"])


@router.get("/leads", response_model=PageOut[LeadOut], summary="List upsell leads")
def list_leads(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[LeadFilters, Depends()],
    sort: Annotated[
        str, Query(description="passed_at, sla_due_at or amount; '-' for descending")
    ] = "-passed_at",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[LeadOut]:
    """`view`: mine (passed by you), inbox (assigned to you or your team), all. `overdue`:
    still passed after the SLA. `passed_from`/`passed_to` are days in your time zone."""
    with session.begin():
        page = service.list_leads(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.get("/leads/counts", response_model=LeadCounts, summary="Count leads by outcome")
def count_leads(
    actor: SalesReader, session: DbSession, filters: Annotated[LeadFilters, Depends()]
) -> LeadCounts:
    """Passed, open, overdue, accepted, rejected, withdrawn, converted (opportunity won) and
    the accepted-within-SLA rate, for the same filters as the list (`status` ignored)."""
    with session.begin():
        return service.count_leads(session, actor, filters)


@router.get("/leads/kpi", response_model=CsmKpiReport, summary="The CS KPI per CSM")
def csm_kpi(
    actor: SalesReader,
    session: DbSession,
    start: Annotated[date, Query(description="first day (your time zone)")],
    end: Annotated[date, Query(description="last day, inclusive")],
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "JPY",
) -> CsmKpiReport:
    """Both views of seed 004: leads passed / accepted per CSM (ヤプリ) and created / won
    amount of the CS-source opportunities credited to them (UPWARD); `measure` says which
    one the settings make the KPI (rows are ordered by it)."""
    with session.begin():
        return service.csm_kpis(session, actor, start, end, currency=currency)


@router.post("/leads", response_model=LeadOut, status_code=201, summary="Pass a lead")
def pass_lead(body: LeadCreate, actor: PipelineWriter, session: DbSession) -> LeadOut:
    """A CSM passes an upsell lead to an AE (`assignee_id`) or a team (`assignee_team_id`).
    The SLA clock starts now; publishes `lead.passed`."""
    with session.begin():
        lead = service.pass_lead(session, actor, body)
        return service.get_lead(session, actor, lead.id)


@router.get("/leads/{lead_id}", response_model=LeadOut, summary="Get a lead")
def get_lead(lead_id: uuid.UUID, actor: SalesReader, session: DbSession) -> LeadOut:
    with session.begin():
        return service.get_lead(session, actor, lead_id)


@router.post("/leads/{lead_id}/accept", response_model=OpportunityDetail, summary="Accept a lead")
def accept_lead(
    lead_id: uuid.UUID, body: LeadAccept, actor: PipelineWriter, session: DbSession
) -> OpportunityDetail:
    """Creates the opportunity (stage qualification, source CS, credited to the CSM, owned
    by you) and returns it; publishes `lead.accepted`. 403 unless you are the assignee, in
    its team, or a sales administrator; 409 unless the lead is passed."""
    with session.begin():
        opportunity = service.accept_lead(
            session, actor, lead_id, body, today=today(actor.timezone)
        )
        return service.get_opportunity(session, actor, opportunity.id)


@router.post("/leads/{lead_id}/reject", response_model=LeadOut, summary="Reject a lead")
def reject_lead(
    lead_id: uuid.UUID, body: LeadReject, actor: PipelineWriter, session: DbSession
) -> LeadOut:
    """The reason is required. 409 unless the lead is passed."""
    with session.begin():
        service.reject_lead(session, actor, lead_id, body)
        return service.get_lead(session, actor, lead_id)


@router.post("/leads/{lead_id}/withdraw", response_model=LeadOut, summary="Withdraw a lead")
def withdraw_lead(lead_id: uuid.UUID, actor: PipelineWriter, session: DbSession) -> LeadOut:
    """By the CSM who passed it, while it is passed."""
    with session.begin():
        service.withdraw_lead(session, actor, lead_id)
        return service.get_lead(session, actor, lead_id)


@router.get("/pipeline/settings", response_model=PipelineSettingsOut, summary="Pipeline settings")
def get_settings(actor: SalesReader, session: DbSession) -> PipelineSettingsOut:
    with session.begin():
        return service.get_settings(session, actor)


@router.patch(
    "/pipeline/settings", response_model=PipelineSettingsOut, summary="Change pipeline settings"
)
def update_settings(
    body: PipelineSettingsUpdate, actor: SalesAdmin, session: DbSession
) -> PipelineSettingsOut:
    """`cs_measure` (lead_count: ヤプリ, amount: UPWARD), `lead_sla_hours`,
    `sla_business_days_only` (weekends do not count). New SLAs apply to leads passed
    afterwards."""
    with session.begin():
        return service.update_settings(session, actor, body)
