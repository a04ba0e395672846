"""/api/v1/survey-responses"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import AccountReader, DbSession, SurveyWriter
from kizuna.api.schemas import PageOut
from kizuna.survey import service
from kizuna.survey.schemas import (
    SurveyResponseCreate,
    SurveyResponseFilters,
    SurveyResponseOut,
    SurveyResponseUpdate,
)

router = APIRouter(prefix="/survey-responses", tags=["survey responses"])

SORT_HELP = "responded_on, score, created_at; prefix '-' for descending (default newest first)"


@router.get("", response_model=PageOut[SurveyResponseOut], summary="List survey answers")
def list_survey_responses(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[SurveyResponseFilters, Depends()],
    sort: Annotated[str, Query(description=SORT_HELP)] = "-responded_on",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[SurveyResponseOut]:
    """NPS and CSAT answers; NPS answers carry their `category`."""
    with session.begin():
        page = service.list_survey_responses(
            session, actor, filters, sort=sort, cursor=cursor, limit=limit
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post(
    "", response_model=SurveyResponseOut, status_code=201, summary="Record a survey answer"
)
def create_survey_response(
    body: SurveyResponseCreate, actor: SurveyWriter, session: DbSession
) -> SurveyResponseOut:
    """Scores: NPS 0–10, CSAT 1–5. `contact_id` must be a contact of the account."""
    with session.begin():
        response = service.create_survey_response(session, actor, body)
        return service.get_survey_response(session, actor, response.id)


@router.get("/{response_id}", response_model=SurveyResponseOut, summary="Get a survey answer")
def get_survey_response(
    response_id: uuid.UUID, actor: AccountReader, session: DbSession
) -> SurveyResponseOut:
    with session.begin():
        return service.get_survey_response(session, actor, response_id)


@router.patch("/{response_id}", response_model=SurveyResponseOut, summary="Update a survey answer")
def update_survey_response(
    response_id: uuid.UUID, body: SurveyResponseUpdate, actor: SurveyWriter, session: DbSession
) -> SurveyResponseOut:
    with session.begin():
        service.update_survey_response(session, actor, response_id, body)
        return service.get_survey_response(session, actor, response_id)


@router.delete("/{response_id}", status_code=204, summary="Delete a survey answer")
def delete_survey_response(
    response_id: uuid.UUID, actor: SurveyWriter, session: DbSession
) -> Response:
    with session.begin():
        service.delete_survey_response(session, actor, response_id)
    return Response(status_code=204)
