"""/api/v1/segments — saved conditions naming a set of accounts (see docs/segments.md).

Private segments are visible to their owner only, shared ones to everybody who can read
accounts. Changing one needs ``segment:write`` and being the owner (administrators and
managers may also change shared ones). Membership is evaluated on read, as of today in
the caller's time zone.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from kizuna.api.deps import AccountReader, DbSession, need
from kizuna.api.schemas import PageOut
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import check_limit
from kizuna.kit.clock import today
from kizuna.segment import service
from kizuna.segment.evaluation import FactSource
from kizuna.segment.schemas import (
    MemberOut,
    PreviewIn,
    PreviewOut,
    SegmentIn,
    SegmentOut,
    SegmentUpdate,
)

router = APIRouter(prefix="/segments", tags=["segments"])
SegmentWriter = Annotated[Actor, Depends(need(Permission.SEGMENT_WRITE))]


def fact_source(request: Request, session: Session, actor: Actor) -> FactSource:
    return FactSource(
        session,
        today=today(actor.timezone),
        zone=actor.timezone,
        data_dir=request.app.state.settings.data_dir,
    )


@router.get("", response_model=PageOut[SegmentOut], summary="List segments")
def list_segments(
    request: Request,
    actor: AccountReader,
    session: DbSession,
    counts: Annotated[bool, Query(description="Also count each segment's members")] = False,
    include_archived: bool = False,
) -> PageOut[SegmentOut]:
    """The caller's own segments and every shared one, by name (one page)."""
    with session.begin():
        segments = service.list_segments(session, actor, include_archived=include_archived)
        numbers = (
            service.counts(actor, segments, source=fact_source(request, session, actor))
            if counts
            else None
        )
        return PageOut(items=service.to_out(session, actor, segments, numbers), next_cursor=None)


@router.post("", response_model=SegmentOut, status_code=201, summary="Create a segment")
def create_segment(
    request: Request, body: SegmentIn, actor: SegmentWriter, session: DbSession
) -> SegmentOut:
    """``Invalid`` names each bad part of ``definition`` by its path
    (``definition.all[1].value``)."""
    with session.begin():
        segment = service.create_segment(
            session, actor, body, source=fact_source(request, session, actor)
        )
        return service.to_out(session, actor, [segment])[0]


@router.post("/preview", response_model=PreviewOut, summary="Preview a definition")
def preview(
    request: Request, body: PreviewIn, actor: AccountReader, session: DbSession
) -> PreviewOut:
    """How many accounts a definition matches today, and the first 20 by name."""
    with session.begin():
        return service.preview(
            session, actor, body.definition, source=fact_source(request, session, actor)
        )


@router.get("/{segment_id}", response_model=SegmentOut, summary="Get a segment")
def get_segment(
    request: Request, segment_id: uuid.UUID, actor: AccountReader, session: DbSession
) -> SegmentOut:
    """With ``member_count`` (today)."""
    with session.begin():
        segment = service.get_segment(session, actor, segment_id)
        numbers = service.counts(actor, [segment], source=fact_source(request, session, actor))
        return service.to_out(session, actor, [segment], numbers)[0]


@router.patch("/{segment_id}", response_model=SegmentOut, summary="Change a segment")
def update_segment(
    request: Request,
    segment_id: uuid.UUID,
    body: SegmentUpdate,
    actor: SegmentWriter,
    session: DbSession,
) -> SegmentOut:
    with session.begin():
        segment = service.update_segment(
            session, actor, segment_id, body, source=fact_source(request, session, actor)
        )
        return service.to_out(session, actor, [segment])[0]


@router.delete("/{segment_id}", status_code=204, summary="Archive a segment")
def delete_segment(segment_id: uuid.UUID, actor: SegmentWriter, session: DbSession) -> Response:
    """Archives: the segment leaves lists and pickers; playbooks naming it keep working."""
    with session.begin():
        service.archive_segment(session, actor, segment_id)
    return Response(status_code=204)


@router.get(
    "/{segment_id}/members", response_model=PageOut[MemberOut], summary="List a segment's members"
)
def members(
    request: Request,
    segment_id: uuid.UUID,
    actor: AccountReader,
    session: DbSession,
    cursor: str | None = None,
    limit: int = 50,
) -> PageOut[MemberOut]:
    """Members today by name, keyset-paged (pass ``next_cursor`` back as ``cursor``)."""
    check_limit(limit)
    with session.begin():
        page = service.members_keyset(
            session,
            actor,
            segment_id,
            source=fact_source(request, session, actor),
            cursor=cursor,
            limit=limit,
        )
        return PageOut(items=page.items, next_cursor=page.next_cursor)
