"""/api/v1/event-sources (write keys), /api/v1/event-rejections, /api/v1/recent-events and
/api/v1/usage-groups (groups waiting to be linked to an account)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.usage import debugger, sources
from kizuna.usage.source_schemas import (
    GroupLink,
    GroupOut,
    RecentEventOut,
    RejectionOut,
    SourceCreate,
    SourceOut,
    SourceUpdate,
    SourceWithKey,
)

router = APIRouter(tags=["event sources"])

UsageReader = Annotated[Actor, Depends(need(Permission.USAGE_READ))]
SourceAdmin = Annotated[Actor, Depends(need(Permission.SOURCE_ADMIN))]


@router.get("/event-sources", response_model=list[SourceOut], summary="List event sources")
def list_sources(actor: UsageReader, session: DbSession) -> list[SourceOut]:
    with session.begin():
        return [SourceOut.model_validate(s) for s in sources.list_sources(session, actor)]


@router.post(
    "/event-sources", response_model=SourceWithKey, status_code=201, summary="Create a source"
)
def create_source(body: SourceCreate, actor: SourceAdmin, session: DbSession) -> SourceWithKey:
    """Create a source; the response holds its write key, shown this once only."""
    with session.begin():
        source, key = sources.create_source(session, actor, body)
        return SourceWithKey(**SourceOut.model_validate(source).model_dump(), write_key=key)


@router.get("/event-sources/{source_id}", response_model=SourceOut, summary="Get a source")
def get_source(source_id: uuid.UUID, actor: UsageReader, session: DbSession) -> SourceOut:
    with session.begin():
        return SourceOut.model_validate(sources.get_source(session, actor, source_id))


@router.patch("/event-sources/{source_id}", response_model=SourceOut, summary="Update a source")
def update_source(
    source_id: uuid.UUID, body: SourceUpdate, actor: SourceAdmin, session: DbSession
) -> SourceOut:
    """Rename, describe, enable/disable, change group matching or the trait mapping."""
    with session.begin():
        return SourceOut.model_validate(sources.update_source(session, actor, source_id, body))


@router.post(
    "/event-sources/{source_id}/rotate-key",
    response_model=SourceWithKey,
    summary="Replace a source's write key",
)
def rotate_key(source_id: uuid.UUID, actor: SourceAdmin, session: DbSession) -> SourceWithKey:
    """A new write key (shown once); the old key stops working."""
    with session.begin():
        source, key = sources.rotate_key(session, actor, source_id)
        return SourceWithKey(**SourceOut.model_validate(source).model_dump(), write_key=key)


@router.delete("/event-sources/{source_id}", status_code=204, summary="Delete a source")
def delete_source(source_id: uuid.UUID, actor: SourceAdmin, session: DbSession) -> Response:
    """Delete a source; 409 `events_pending` while its events still wait in the inbox."""
    with session.begin():
        sources.delete_source(session, actor, source_id)
    return Response(status_code=204)


@router.get("/event-rejections", response_model=list[RejectionOut], summary="List refused events")
def list_rejections(
    actor: UsageReader,
    session: DbSession,
    source_id: uuid.UUID | None = None,
    reason: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RejectionOut]:
    """Newest first: the reason code, a detail naming the field, and the event (truncated)."""
    with session.begin():
        return debugger.rejections(session, actor, source_id=source_id, reason=reason, limit=limit)


@router.get("/recent-events", response_model=list[RecentEventOut], summary="Recent events")
def list_recent_events(
    actor: UsageReader,
    session: DbSession,
    source_id: uuid.UUID | None = None,
    after_seq: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RecentEventOut]:
    """A sample of recently received events (a few per request) with their account."""
    with session.begin():
        return debugger.recent_events(
            session, actor, source_id=source_id, after_seq=after_seq, limit=limit
        )


@router.get("/usage-groups", response_model=list[GroupOut], summary="List usage groups")
def list_groups(
    actor: UsageReader,
    session: DbSession,
    unmatched: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[GroupOut]:
    """Groups (Segment `groupId`s); by default those not matched to an account."""
    with session.begin():
        return debugger.groups(session, actor, unmatched_only=unmatched, limit=limit)


@router.post(
    "/usage-groups/{group_id}/link", response_model=GroupOut, summary="Link a group to an account"
)
def link_group(
    group_id: uuid.UUID, body: GroupLink, actor: SourceAdmin, session: DbSession
) -> GroupOut:
    """The group's events, and those of its users, count for the account from now on."""
    with session.begin():
        return debugger.link_group(session, actor, group_id, body.account_id)
