"""/api/v1/pocs: the PoC tracker."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from kizuna.api.deps import DbSession, PipelineWriter, SalesReader
from kizuna.poc import service
from kizuna.poc.schemas import (
    FeedbackIn,
    PocAccountIn,
    PocAccountUpdate,
    PocCreate,
    PocFilters,
    PocList,
    PocOut,
    PocUpdate,
    ResultIn,
    Transition,
)

router = APIRouter(prefix="/pocs", tags=["pocs"])


@router.get("", response_model=PocList, summary="List PoCs")
def list_pocs(
    actor: SalesReader, session: DbSession, filters: Annotated[PocFilters, Depends()]
) -> PocList:
    """Open PoCs first; `by_status` and `by_owner` (PoCs per CSM) count every PoC of the
    product / account filters regardless of `status` and `owner_id`."""
    with session.begin():
        return service.list_pocs(session, actor, filters)


@router.post("", response_model=PocOut, status_code=201, summary="Create a PoC")
def create_poc(body: PocCreate, actor: PipelineWriter, session: DbSession) -> PocOut:
    """Starts `planned`; the owner (CSM) defaults to you."""
    with session.begin():
        poc = service.create_poc(session, actor, body)
        return service.get_poc(session, actor, poc.id)


@router.get("/{poc_id}", response_model=PocOut, summary="Get a PoC")
def get_poc(poc_id: uuid.UUID, actor: SalesReader, session: DbSession) -> PocOut:
    with session.begin():
        return service.get_poc(session, actor, poc_id)


@router.patch("/{poc_id}", response_model=PocOut, summary="Update a PoC")
def update_poc(
    poc_id: uuid.UUID, body: PocUpdate, actor: PipelineWriter, session: DbSession
) -> PocOut:
    with session.begin():
        service.update_poc(session, actor, poc_id, body)
        return service.get_poc(session, actor, poc_id)


@router.post("/{poc_id}/transition", response_model=PocOut, summary="Move a PoC along its flow")
def transition(
    poc_id: uuid.UUID, body: Transition, actor: PipelineWriter, session: DbSession
) -> PocOut:
    """planned → running → evaluating → decided; cancelled from any open state. 409
    `illegal_transition` otherwise. `decided` needs `decision` (adopt / extend / stop) and
    `note`; for `cancelled` the `note` is the reason."""
    with session.begin():
        service.transition(session, actor, poc_id, body)
        return service.get_poc(session, actor, poc_id)


@router.post("/{poc_id}/accounts", response_model=PocOut, status_code=201, summary="Add an account")
def add_account(
    poc_id: uuid.UUID, body: PocAccountIn, actor: PipelineWriter, session: DbSession
) -> PocOut:
    """A target account with why it was chosen and its participants (contacts of the
    account and/or names). 409 when it is already in, or the PoC is closed."""
    with session.begin():
        service.add_account(session, actor, poc_id, body)
        return service.get_poc(session, actor, poc_id)


@router.patch(
    "/{poc_id}/accounts/{account_id}", response_model=PocOut, summary="Update a target account"
)
def update_account(
    poc_id: uuid.UUID,
    account_id: uuid.UUID,
    body: PocAccountUpdate,
    actor: PipelineWriter,
    session: DbSession,
) -> PocOut:
    with session.begin():
        service.update_account(session, actor, poc_id, account_id, body)
        return service.get_poc(session, actor, poc_id)


@router.delete(
    "/{poc_id}/accounts/{account_id}", response_model=PocOut, summary="Remove a target account"
)
def remove_account(
    poc_id: uuid.UUID, account_id: uuid.UUID, actor: PipelineWriter, session: DbSession
) -> PocOut:
    with session.begin():
        service.remove_account(session, actor, poc_id, account_id)
        return service.get_poc(session, actor, poc_id)


@router.put(
    "/{poc_id}/accounts/{account_id}/results",
    response_model=PocOut,
    summary="Record measured results",
)
def record_result(
    poc_id: uuid.UUID,
    account_id: uuid.UUID,
    body: ResultIn,
    actor: PipelineWriter,
    session: DbSession,
) -> PocOut:
    """`results` by criterion key (merged; an empty text clears one) and `outcome` (met /
    partly / not_met). Once the PoC runs (409 `not_running` before)."""
    with session.begin():
        service.record_result(session, actor, poc_id, account_id, body)
        return service.get_poc(session, actor, poc_id)


@router.post("/{poc_id}/feedback", response_model=PocOut, status_code=201, summary="Add feedback")
def add_feedback(
    poc_id: uuid.UUID, body: FeedbackIn, actor: PipelineWriter, session: DbSession
) -> PocOut:
    """A product feedback item the PoC produced, with the day it was sent to product."""
    with session.begin():
        service.add_feedback(session, actor, poc_id, body)
        return service.get_poc(session, actor, poc_id)


@router.put("/{poc_id}/feedback/{feedback_id}", response_model=PocOut, summary="Edit feedback")
def update_feedback(
    poc_id: uuid.UUID,
    feedback_id: uuid.UUID,
    body: FeedbackIn,
    actor: PipelineWriter,
    session: DbSession,
) -> PocOut:
    with session.begin():
        service.update_feedback(session, actor, poc_id, feedback_id, body)
        return service.get_poc(session, actor, poc_id)


@router.delete("/{poc_id}/feedback/{feedback_id}", status_code=204, summary="Remove feedback")
def remove_feedback(
    poc_id: uuid.UUID, feedback_id: uuid.UUID, actor: PipelineWriter, session: DbSession
) -> Response:
    with session.begin():
        service.remove_feedback(session, actor, poc_id, feedback_id)
    return Response(status_code=204)
