"""/api/v1/opportunities"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kizuna.api.deps import DbSession, PipelineWriter, SalesReader
from kizuna.api.schemas import PageOut
from kizuna.kit.clock import today
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    OpportunityCreate,
    OpportunityDetail,
    OpportunityFilters,
    OpportunityLose,
    OpportunityOut,
    OpportunityStageMove,
    OpportunityUpdate,
    OpportunityWin,
    PipelineBoard,
)

router = APIRouter(prefix="/opportunities", tags=["opportunities"])


@router.get("", response_model=PageOut[OpportunityOut], summary="List opportunities")
def list_opportunities(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[OpportunityFilters, Depends()],
    sort: Annotated[
        str, Query(description="close_on, amount or created_at; '-' for descending")
    ] = "close_on",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[OpportunityOut]:
    with session.begin():
        page = service.list_opportunities(
            session, actor, filters, sort=sort, cursor=cursor, limit=limit
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.get("/board", response_model=PipelineBoard, summary="Pipeline by stage")
def board(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[OpportunityFilters, Depends()],
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "JPY",
) -> PipelineBoard:
    """Count and amount (MRR, in `currency`) per stage for the same filters as the list."""
    with session.begin():
        return service.board(session, actor, filters, currency=currency)


@router.post("", response_model=OpportunityDetail, status_code=201, summary="Create an opportunity")
def create_opportunity(
    body: OpportunityCreate, actor: PipelineWriter, session: DbSession
) -> OpportunityDetail:
    """Directly, from any `lead_source` (sales, marketing, partner, or cs without a lead;
    `created_by_id` names who is credited, default you). Open stages only."""
    with session.begin():
        opportunity = service.create_opportunity(session, actor, body, today=today(actor.timezone))
        return service.get_opportunity(session, actor, opportunity.id)


@router.get("/{opportunity_id}", response_model=OpportunityDetail, summary="Get an opportunity")
def get_opportunity(
    opportunity_id: uuid.UUID, actor: SalesReader, session: DbSession
) -> OpportunityDetail:
    """With its stage history."""
    with session.begin():
        return service.get_opportunity(session, actor, opportunity_id)


@router.patch(
    "/{opportunity_id}", response_model=OpportunityDetail, summary="Update an opportunity"
)
def update_opportunity(
    opportunity_id: uuid.UUID, body: OpportunityUpdate, actor: PipelineWriter, session: DbSession
) -> OpportunityDetail:
    """Name, product, kind, amount, quantity, close date, owner. 409 once won or lost."""
    with session.begin():
        service.update_opportunity(session, actor, opportunity_id, body)
        return service.get_opportunity(session, actor, opportunity_id)


@router.post("/{opportunity_id}/stage", response_model=OpportunityDetail, summary="Move to a stage")
def move_stage(
    opportunity_id: uuid.UUID,
    body: OpportunityStageMove,
    actor: PipelineWriter,
    session: DbSession,
) -> OpportunityDetail:
    """Between the open stages (qualification, proposal, negotiation); use `/won` and
    `/lost` to close. 409 once won or lost (they are final)."""
    with session.begin():
        service.move_stage(session, actor, opportunity_id, body.stage)
        return service.get_opportunity(session, actor, opportunity_id)


@router.post("/{opportunity_id}/won", response_model=OpportunityDetail, summary="Mark won")
def win_opportunity(
    opportunity_id: uuid.UUID, body: OpportunityWin, actor: PipelineWriter, session: DbSession
) -> OpportunityDetail:
    """Writes a subscription line for the product in the same transaction: MRR = the
    opportunity's amount, from `start_on` (default: the close date), co-terminous with the
    account's current contract (else 12 months); needs subscription:write as well."""
    with session.begin():
        service.win_opportunity(session, actor, opportunity_id, body, today=today(actor.timezone))
        return service.get_opportunity(session, actor, opportunity_id)


@router.post("/{opportunity_id}/lost", response_model=OpportunityDetail, summary="Mark lost")
def lose_opportunity(
    opportunity_id: uuid.UUID, body: OpportunityLose, actor: PipelineWriter, session: DbSession
) -> OpportunityDetail:
    """The reason is required."""
    with session.begin():
        service.lose_opportunity(session, actor, opportunity_id, body, today=today(actor.timezone))
        return service.get_opportunity(session, actor, opportunity_id)
