"""/api/v1/handoffs: the hand-off from sales to customer success at close."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile

from kizuna.api.deps import DbSession, PipelineWriter, SalesAdmin, SalesReader
from kizuna.api.schemas import PageOut
from kizuna.handoff import importer, service
from kizuna.handoff.schemas import (
    HandoffCreate,
    HandoffFilters,
    HandoffOut,
    HandoffReturn,
    HandoffSettingsIn,
    HandoffSettingsOut,
    HandoffUpdate,
    ImportResult,
    MetricsReport,
)

router = APIRouter(prefix="/handoffs", tags=["hand-offs"])

SORT_HELP = "won_on, submitted_at, created_at, completeness, mrr; prefix '-' for descending"


@router.get("", response_model=PageOut[HandoffOut], summary="List hand-offs")
def list_handoffs(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[HandoffFilters, Depends()],
    sort: Annotated[str, Query(description=SORT_HELP)] = "-won_on",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[HandoffOut]:
    """`tab`: review (submitted, waiting for CS), returned, drafts, accepted, all.
    `won_from` / `won_to` bound the won date (inclusive)."""
    with session.begin():
        page = service.list_handoffs(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=HandoffOut, status_code=201, summary="Create a hand-off")
def create_handoff(body: HandoffCreate, actor: PipelineWriter, session: DbSession) -> HandoffOut:
    """The whole record of a won deal. `account_id`, or `account_name` (an existing account
    of that exact name, else a new one). `submit: true` submits it at once: a required
    field left empty is then a 422 naming every missing field, and nothing is kept. An
    `external_id` already used is a 422 (re-send updates with PATCH, or use the import)."""
    with session.begin():
        handoff = service.create_handoff(session, actor, body)
        return service.get_handoff(session, actor, handoff.id)


@router.get("/settings", response_model=HandoffSettingsOut, summary="Required fields")
def get_settings(actor: SalesReader, session: DbSession) -> HandoffSettingsOut:
    with session.begin():
        return service.get_settings(session, actor)


@router.put("/settings", response_model=HandoffSettingsOut, summary="Set required fields")
def put_settings(
    body: HandoffSettingsIn, actor: SalesAdmin, session: DbSession
) -> HandoffSettingsOut:
    """Which fields must be filled to submit (`fields` of GET lists the keys)."""
    with session.begin():
        return service.put_settings(session, actor, body)


@router.get("/metrics", response_model=MetricsReport, summary="Hand-off measures")
def get_metrics(
    actor: SalesReader,
    session: DbSession,
    won_from: date | None = None,
    won_to: date | None = None,
    sales_owner_id: uuid.UUID | None = None,
) -> MetricsReport:
    """Over hand-offs won in the period: median time to accept (first and last
    submission, hours), average completeness at submission, share returned, per owner."""
    with session.begin():
        return service.metrics_report(
            session, actor, won_from=won_from, won_to=won_to, sales_owner_id=sales_owner_id
        )


@router.post("/import", response_model=ImportResult, summary="Import hand-offs from CSV")
def import_handoffs(
    file: Annotated[UploadFile, File(description="CSV with a header row, UTF-8 or Shift_JIS")],
    actor: PipelineWriter,
    session: DbSession,
) -> ImportResult:
    """All or nothing: any bad row and nothing is written; the 422 names every problem as
    `["row", n, column]` (the header is row 1). Rows are keyed by `external_id`."""
    data = file.file.read(importer.MAX_BYTES + 1)
    with session.begin():
        return importer.import_csv(session, actor, data)


@router.get("/{handoff_id}", response_model=HandoffOut, summary="Get a hand-off")
def get_handoff(handoff_id: uuid.UUID, actor: SalesReader, session: DbSession) -> HandoffOut:
    """With its history (who changed the status when, and why)."""
    with session.begin():
        return service.get_handoff(session, actor, handoff_id)


@router.patch("/{handoff_id}", response_model=HandoffOut, summary="Update a hand-off")
def update_handoff(
    handoff_id: uuid.UUID, body: HandoffUpdate, actor: PipelineWriter, session: DbSession
) -> HandoffOut:
    """Only while draft or returned (409 otherwise)."""
    with session.begin():
        service.update_handoff(session, actor, handoff_id, body)
        return service.get_handoff(session, actor, handoff_id)


@router.post("/{handoff_id}/submit", response_model=HandoffOut, summary="Submit to CS")
def submit_handoff(handoff_id: uuid.UUID, actor: PipelineWriter, session: DbSession) -> HandoffOut:
    """409 unless draft or returned; 422 naming every required field still empty."""
    with session.begin():
        service.submit_handoff(session, actor, handoff_id)
        return service.get_handoff(session, actor, handoff_id)


@router.post("/{handoff_id}/accept", response_model=HandoffOut, summary="Accept a hand-off")
def accept_handoff(handoff_id: uuid.UUID, actor: PipelineWriter, session: DbSession) -> HandoffOut:
    """Final. Copies purpose, success criteria and expansion room to the account (appended
    to text already there), sets the account's sales owner when it has none, publishes
    `handoff.accepted` (playbook trigger `handoff_received`). 409 unless submitted; 403
    for the person who submitted it."""
    with session.begin():
        service.accept_handoff(session, actor, handoff_id)
        return service.get_handoff(session, actor, handoff_id)


@router.post("/{handoff_id}/return", response_model=HandoffOut, summary="Return to sales")
def return_handoff(
    handoff_id: uuid.UUID, body: HandoffReturn, actor: PipelineWriter, session: DbSession
) -> HandoffOut:
    """Back to sales with a `reason` (required). 409 unless submitted; 403 for the person
    who submitted it."""
    with session.begin():
        service.return_handoff(session, actor, handoff_id, body.reason)
        return service.get_handoff(session, actor, handoff_id)
