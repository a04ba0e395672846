"""/api/v1/closing-plans: mutual closing plans, their steps, share links and PDFs."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import DbSession, PipelineWriter, SalesReader
from kizuna.kit.clock import today
from kizuna.renewal import closing_plans as service
from kizuna.renewal.pdf import render_pdf
from kizuna.renewal.schemas import (
    PlanCreate,
    PlanFilters,
    PlanOut,
    PlanUpdate,
    ShareCreate,
    ShareOut,
    StepCreate,
    StepOrder,
    StepUpdate,
)

router = APIRouter(prefix="/closing-plans", tags=["closing plans"])


@router.get("", response_model=list[PlanOut], summary="List closing plans")
def list_plans(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[PlanFilters, Depends()],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[PlanOut]:
    """Most recently changed first; filters `account_id`, `renewal_id`, `opportunity_id`,
    `owner_id`, `archived`."""
    with session.begin():
        return service.list_plans(session, actor, filters, today=today(actor.timezone), limit=limit)


@router.post("", response_model=PlanOut, status_code=201, summary="Create a closing plan")
def create_plan(body: PlanCreate, actor: PipelineWriter, session: DbSession) -> PlanOut:
    """For a renewal (`renewal_id`), an expansion opportunity (`opportunity_id`) or the
    account alone; both must belong to `account_id`."""
    with session.begin():
        plan = service.create_plan(session, actor, body)
        return service.get_plan(session, actor, plan.id, today=today(actor.timezone))


@router.get("/{plan_id}", response_model=PlanOut, summary="Get a closing plan")
def get_plan(plan_id: uuid.UUID, actor: SalesReader, session: DbSession) -> PlanOut:
    with session.begin():
        return service.get_plan(session, actor, plan_id, today=today(actor.timezone))


@router.patch("/{plan_id}", response_model=PlanOut, summary="Update a closing plan")
def update_plan(
    plan_id: uuid.UUID, body: PlanUpdate, actor: PipelineWriter, session: DbSession
) -> PlanOut:
    with session.begin():
        service.update_plan(session, actor, plan_id, body)
        return service.get_plan(session, actor, plan_id, today=today(actor.timezone))


@router.delete("/{plan_id}", status_code=204, summary="Delete a closing plan")
def delete_plan(plan_id: uuid.UUID, actor: PipelineWriter, session: DbSession) -> Response:
    with session.begin():
        service.delete_plan(session, actor, plan_id)
    return Response(status_code=204)


@router.post("/{plan_id}/steps", response_model=PlanOut, status_code=201, summary="Add a step")
def add_step(
    plan_id: uuid.UUID, body: StepCreate, actor: PipelineWriter, session: DbSession
) -> PlanOut:
    """`position` (0-based) inserts it there; default: last. A done step gets today as its
    done date unless `done_on` is given."""
    day = today(actor.timezone)
    with session.begin():
        service.add_step(session, actor, plan_id, body, today=day)
        return service.get_plan(session, actor, plan_id, today=day)


@router.patch("/{plan_id}/steps/{step_id}", response_model=PlanOut, summary="Update a step")
def update_step(
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    body: StepUpdate,
    actor: PipelineWriter,
    session: DbSession,
) -> PlanOut:
    day = today(actor.timezone)
    with session.begin():
        service.update_step(session, actor, plan_id, step_id, body, today=day)
        return service.get_plan(session, actor, plan_id, today=day)


@router.delete("/{plan_id}/steps/{step_id}", status_code=204, summary="Delete a step")
def delete_step(
    plan_id: uuid.UUID, step_id: uuid.UUID, actor: PipelineWriter, session: DbSession
) -> Response:
    with session.begin():
        service.delete_step(session, actor, plan_id, step_id)
    return Response(status_code=204)


@router.put("/{plan_id}/steps/order", response_model=PlanOut, summary="Reorder the steps")
def reorder_steps(
    plan_id: uuid.UUID, body: StepOrder, actor: PipelineWriter, session: DbSession
) -> PlanOut:
    """`step_ids`: every step of the plan once, in the new order."""
    with session.begin():
        service.reorder_steps(session, actor, plan_id, body)
        return service.get_plan(session, actor, plan_id, today=today(actor.timezone))


@router.post("/{plan_id}/share", response_model=ShareOut, status_code=201, summary="Share")
def share(
    plan_id: uuid.UUID, body: ShareCreate, actor: PipelineWriter, session: DbSession
) -> ShareOut:
    """A read-only link `/mcp/{token}` (and its PDF) in `language`, working through
    `expires_on` when given. The token is shown only now; a new link replaces the old."""
    with session.begin():
        return service.share(session, actor, plan_id, body, zone=actor.timezone)


@router.delete("/{plan_id}/share", status_code=204, summary="Revoke the share link")
def revoke_share(plan_id: uuid.UUID, actor: PipelineWriter, session: DbSession) -> Response:
    with session.begin():
        service.revoke_share(session, actor, plan_id)
    return Response(status_code=204)


@router.get(
    "/{plan_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="The plan as a PDF",
)
def plan_pdf(
    plan_id: uuid.UUID,
    actor: SalesReader,
    session: DbSession,
    language: Literal["ja", "en"] | None = None,
) -> Response:
    """What the customer gets: no internal notes. `language` defaults to yours."""
    lang = language or (actor.locale if actor.locale in ("ja", "en") else "ja")
    with session.begin():
        plan = service.plan_for_pdf(session, actor, plan_id, lang, today=today(actor.timezone))
    return Response(
        render_pdf(plan),
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="closing-plan.pdf"'},
    )
