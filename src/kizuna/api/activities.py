"""/api/v1/activities"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.activity import service
from kizuna.activity.schemas import ActivityCreate, ActivityFilters, ActivityOut, ActivityUpdate
from kizuna.api.deps import AccountReader, ActivityWriter, DbSession
from kizuna.api.schemas import PageOut

router = APIRouter(prefix="/activities", tags=["activities"])

SORT_HELP = "occurred_at, created_at; prefix '-' for descending (default newest first)"


@router.get("", response_model=PageOut[ActivityOut], summary="List activities")
def list_activities(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[ActivityFilters, Depends()],
    sort: Annotated[str, Query(description=SORT_HELP)] = "-occurred_at",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[ActivityOut]:
    """Conversation history: meetings, calls, e-mails, inquiries, notes, QBRs, events."""
    with session.begin():
        page = service.list_activities(
            session, actor, filters, sort=sort, cursor=cursor, limit=limit
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=ActivityOut, status_code=201, summary="Record an activity")
def create_activity(body: ActivityCreate, actor: ActivityWriter, session: DbSession) -> ActivityOut:
    """Times must carry a zone. Inquiry fields are allowed on `kind = inquiry` only;
    `opened_at` defaults to `occurred_at` and status `resolved` stamps `resolved_at`."""
    with session.begin():
        activity = service.create_activity(session, actor, body)
        return service.get_activity(session, actor, activity.id)


@router.get("/{activity_id}", response_model=ActivityOut, summary="Get an activity")
def get_activity(activity_id: uuid.UUID, actor: AccountReader, session: DbSession) -> ActivityOut:
    with session.begin():
        return service.get_activity(session, actor, activity_id)


@router.patch("/{activity_id}", response_model=ActivityOut, summary="Update an activity")
def update_activity(
    activity_id: uuid.UUID, body: ActivityUpdate, actor: ActivityWriter, session: DbSession
) -> ActivityOut:
    """Change the fields sent; `user_ids` / `contact_ids`, when sent, replace the sets."""
    with session.begin():
        service.update_activity(session, actor, activity_id, body)
        return service.get_activity(session, actor, activity_id)


@router.delete("/{activity_id}", status_code=204, summary="Delete an activity")
def delete_activity(activity_id: uuid.UUID, actor: ActivityWriter, session: DbSession) -> Response:
    with session.begin():
        service.delete_activity(session, actor, activity_id)
    return Response(status_code=204)
