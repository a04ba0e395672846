"""/api/v1/journey and /api/v1/accounts/{id}/journey: the success journey's definition
(phases, steps, YAML), evaluation, the board and stalled lists, an account's journey
(manual checks, phase moves) and the customer's goals."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.journey import definition, goals, service, views
from kizuna.journey.schemas import (
    AccountJourneyOut,
    BoardOut,
    EvaluationResult,
    GoalIn,
    GoalOut,
    GoalUpdate,
    ImportResult,
    JourneyOut,
    PhaseMove,
    PhaseUpdate,
    StalledOut,
    StepCheck,
    StepCreate,
    StepOut,
    StepUpdate,
)
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.enums import Phase, Tier

router = APIRouter(tags=["journey"])
Reader = Annotated[Actor, Depends(need(Permission.ACCOUNT_READ))]
Writer = Annotated[Actor, Depends(need(Permission.ACCOUNT_WRITE))]
Admin = Annotated[Actor, Depends(need(Permission.JOURNEY_ADMIN))]


class EvaluateRequest(BaseModel):
    account_ids: list[uuid.UUID] | None = Field(
        default=None, description="only these accounts (default: every account)"
    )


# -- definition ----------------------------------------------------------------------------


@router.get("/journey", response_model=JourneyOut, summary="The journey")
def get_journey(actor: Reader, session: DbSession) -> JourneyOut:
    """The three phases in order (names, target days), each with its steps in order."""
    with session.begin():
        return definition.get_journey(session, actor)


@router.put("/journey/phases/{phase}", response_model=JourneyOut, summary="Update a phase")
def update_phase(phase: str, body: PhaseUpdate, actor: Admin, session: DbSession) -> JourneyOut:
    """Names and target duration (days) of `onboarding`, `adoption` or `expansion`."""
    with session.begin():
        definition.update_phase(session, actor, phase, body)
        return definition.get_journey(session, actor)


@router.post("/journey/steps", response_model=StepOut, status_code=201, summary="Add a step")
def create_step(body: StepCreate, actor: Admin, session: DbSession) -> StepOut:
    """`criteria` is a condition over facts (see `GET /facts`); problems name their path
    (`criteria.all[1].value`). A step without criteria must allow manual checks."""
    with session.begin():
        return StepOut.model_validate(definition.create_step(session, actor, body))


@router.patch("/journey/steps/{key}", response_model=StepOut, summary="Update a step")
def update_step(key: str, body: StepUpdate, actor: Admin, session: DbSession) -> StepOut:
    """Partial; `position` reorders within the phase; `criteria: null` removes criteria."""
    with session.begin():
        return StepOut.model_validate(definition.update_step(session, actor, key, body))


@router.delete("/journey/steps/{key}", status_code=204, summary="Delete a step")
def delete_step(key: str, actor: Admin, session: DbSession) -> Response:
    """Deletes every account's completion of the step too."""
    with session.begin():
        definition.delete_step(session, actor, key)
    return Response(status_code=204)


@router.get("/journey/yaml", summary="Export the journey as YAML")
def export_journey(actor: Reader, session: DbSession) -> Response:
    with session.begin():
        text = definition.export_yaml(session, actor)
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": 'attachment; filename="journey.yaml"'},
    )


@router.post("/journey/import", response_model=ImportResult, summary="Import the journey")
async def import_journey(request: Request, actor: Admin, session: DbSession) -> ImportResult:
    """Body: the YAML `GET /journey/yaml` returns. Replaces the journey (steps matched by
    key; steps not in the document are deleted) or changes nothing when anything is wrong."""
    raw = await request.body()
    if len(raw) > definition.MAX_YAML_BYTES:
        raise Invalid(FieldProblem(("body",), "too_large", "the YAML document is too large"))
    with session.begin():
        return definition.import_yaml(session, actor, raw.decode("utf-8", errors="replace"))


@router.post("/journey/evaluate", response_model=EvaluationResult, summary="Evaluate now")
def evaluate(
    request: Request, actor: Admin, session: DbSession, body: EvaluateRequest | None = None
) -> EvaluationResult:
    """Run the evaluation now (the daily job does the same at 04:30)."""
    settings = request.app.state.settings
    zone = settings.default_timezone
    with session.begin():
        return service.evaluate_journey(
            session,
            actor,
            today=today(zone),
            zone=zone,
            data_dir=settings.data_dir,
            account_ids=body.account_ids if body else None,
        )


# -- board and stalled ---------------------------------------------------------------------


@router.get("/journey/board", response_model=BoardOut, summary="The journey board")
def get_board(
    actor: Reader,
    session: DbSession,
    csm_owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    overdue_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = views.BOARD_LIMIT,
) -> BoardOut:
    """Counts per phase and each phase's `limit` most overdue accounts."""
    with session.begin():
        return views.board(
            session,
            actor,
            today=today(actor.timezone),
            zone=actor.timezone,
            csm_owner_id=csm_owner_id,
            tier=tier,
            overdue_only=overdue_only,
            limit=limit,
        )


@router.get("/journey/stalled", response_model=StalledOut, summary="Stalled accounts")
def get_stalled(
    actor: Reader,
    session: DbSession,
    phase: Phase | Literal["any"] = Phase.ONBOARDING,
    overdue_only: bool = True,
    csm_owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    sort: views.StalledSort = "over",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = views.PAGE_SIZE,
) -> StalledOut:
    """Accounts past their phase's target (`phase=any` for every phase), most days over
    target first, with the first incomplete required step."""
    with session.begin():
        return views.stalled(
            session,
            actor,
            today=today(actor.timezone),
            zone=actor.timezone,
            phase=None if phase == "any" else Phase(phase),
            overdue_only=overdue_only,
            csm_owner_id=csm_owner_id,
            tier=tier,
            sort=sort,
            page=page,
            page_size=page_size,
        )


# -- one account ---------------------------------------------------------------------------


def _account_journey(
    request: Request, session: DbSession, actor: Actor, account_id: uuid.UUID, *, live: bool
) -> AccountJourneyOut:
    return views.account_journey(
        session,
        actor,
        account_id,
        today=today(actor.timezone),
        zone=actor.timezone,
        data_dir=request.app.state.settings.data_dir,
        live=live,
    )


@router.get(
    "/accounts/{account_id}/journey",
    response_model=AccountJourneyOut,
    summary="An account's journey",
)
def get_account_journey(
    request: Request, account_id: uuid.UUID, actor: Reader, session: DbSession, live: bool = True
) -> AccountJourneyOut:
    """Phase, days in phase against the target, every step (state, who completed it and
    when, the evidence), each criterion against today's data (`live=false` skips it), the
    phase history with durations and the customer's goals."""
    with session.begin():
        return _account_journey(request, session, actor, account_id, live=live)


@router.post(
    "/accounts/{account_id}/journey/steps/{key}",
    response_model=AccountJourneyOut,
    summary="Check or un-check a step",
)
def check_step(
    request: Request,
    account_id: uuid.UUID,
    key: str,
    body: StepCheck,
    actor: Writer,
    session: DbSession,
) -> AccountJourneyOut:
    """`done: true` completes the step by hand (409 `not_manual` for data-only steps) and
    advances the phase when that completes it; `done: false` reopens it. Audited."""
    with session.begin():
        service.check_step(session, actor, account_id, key, done=body.done, note=body.note)
        return _account_journey(request, session, actor, account_id, live=False)


@router.post(
    "/accounts/{account_id}/journey/phase",
    response_model=AccountJourneyOut,
    summary="Move the account to a phase",
)
def move_phase(
    request: Request, account_id: uuid.UUID, body: PhaseMove, actor: Writer, session: DbSession
) -> AccountJourneyOut:
    """Any direction, with a reason (audited; the history records who moved it)."""
    with session.begin():
        service.move_phase(session, actor, account_id, body.phase, reason=body.reason)
        return _account_journey(request, session, actor, account_id, live=False)


@router.get("/accounts/{account_id}/goals", response_model=list[GoalOut], summary="Customer goals")
def list_goals(account_id: uuid.UUID, actor: Reader, session: DbSession) -> list[GoalOut]:
    with session.begin():
        return goals.list_goals(session, actor, account_id)


@router.post(
    "/accounts/{account_id}/goals",
    response_model=GoalOut,
    status_code=201,
    summary="Add a customer goal",
)
def create_goal(account_id: uuid.UUID, body: GoalIn, actor: Writer, session: DbSession) -> GoalOut:
    with session.begin():
        return GoalOut.model_validate(goals.create_goal(session, actor, account_id, body))


@router.patch(
    "/accounts/{account_id}/goals/{goal_id}", response_model=GoalOut, summary="Update a goal"
)
def update_goal(
    account_id: uuid.UUID, goal_id: uuid.UUID, body: GoalUpdate, actor: Writer, session: DbSession
) -> GoalOut:
    """`status: achieved` sets `achieved_on` to today unless given."""
    with session.begin():
        return GoalOut.model_validate(goals.update_goal(session, actor, account_id, goal_id, body))


@router.delete("/accounts/{account_id}/goals/{goal_id}", status_code=204, summary="Delete a goal")
def delete_goal(
    account_id: uuid.UUID, goal_id: uuid.UUID, actor: Writer, session: DbSession
) -> Response:
    with session.begin():
        goals.delete_goal(session, actor, account_id, goal_id)
    return Response(status_code=204)
