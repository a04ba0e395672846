"""The event debugger: recent events as they arrive (HTMX polling) with the account each one
counts for, refused events with their reasons, and groups waiting to be linked."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.usage import debugger, sources
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.render import redirect, render

router = APIRouter()

UsageReader = Annotated[PageContext, Depends(page(Permission.USAGE_READ))]
SourceAdmin = Annotated[PageContext, Depends(page(Permission.SOURCE_ADMIN))]

RECENT = 50
REASONS = {
    "not_an_object": N_("Not a JSON object"),
    "missing_type": N_("Call type missing"),
    "invalid_type": N_("Unknown call type"),
    "event_too_large": N_("Event larger than 32 KB"),
    "missing_identity": N_("userId or anonymousId missing"),
    "invalid_field": N_("Field of the wrong type"),
    "missing_event": N_("Event name missing"),
    "missing_group_id": N_("groupId missing"),
    "missing_previous_id": N_("previousId missing"),
    "invalid_timestamp": N_("Unreadable time"),
    "trait_not_applied": N_("Trait not copied to the account"),
    "source_disabled": N_("Source disabled"),
    "invalid_json": N_("Not valid JSON"),
    "invalid_encoding": N_("Bad compressed data"),
    "unsupported_encoding": N_("Unsupported compression"),
    "request_too_large": N_("Request too large"),
    "too_many_events": N_("Too many events in a batch"),
    "invalid_batch": N_("Not a batch"),
}


def _source_filter(request: Request) -> uuid.UUID | None:
    raw = request.query_params.get("source_id") or ""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@router.get("/usage/debugger")
def debugger_page(request: Request, ctx: UsageReader, session: DbSession) -> Response:
    source_id = _source_filter(request)
    with session.begin():
        all_sources = sources.list_sources(session, ctx.actor)
        return render(
            request,
            ctx,
            "usage/debugger.html",
            active="usage",
            sources=all_sources,
            source_names={s.id: s.name for s in all_sources},
            source_id=source_id,
            events=debugger.recent_events(session, ctx.actor, source_id=source_id, limit=RECENT),
            rejections=debugger.rejections(session, ctx.actor, source_id=source_id, limit=50),
            groups=debugger.groups(session, ctx.actor, unmatched_only=True, limit=100),
            reasons=REASONS,
        )


@router.get("/usage/debugger/events")
def recent_events(request: Request, ctx: UsageReader, session: DbSession) -> Response:
    """The live table, re-fetched by the page every few seconds."""
    source_id = _source_filter(request)
    with session.begin():
        names = {s.id: s.name for s in sources.list_sources(session, ctx.actor)}
        return render(
            request,
            ctx,
            "usage/_recent_events.html",
            events=debugger.recent_events(session, ctx.actor, source_id=source_id, limit=RECENT),
            source_names=names,
            source_id=source_id,
        )


@router.post("/usage/debugger/groups/{group_id}/link")
async def link_group(
    request: Request, group_id: uuid.UUID, ctx: SourceAdmin, session: DbSession
) -> Response:
    form = await request.form()
    typed = str(form.get("account", ""))
    with session.begin():
        account_id = debugger.find_account(session, typed)
        if account_id is None:
            return redirect(
                "/usage/debugger#groups",
                flash=N_("No account with that external ID, Kizuna ID or exact name."),
                level="error",
            )
        try:
            debugger.link_group(session, ctx.actor, group_id, account_id)
        except Invalid:
            return redirect("/usage/debugger#groups", flash=N_("No such account."), level="error")
    return redirect("/usage/debugger#groups", flash=N_("Group linked to the account."))
