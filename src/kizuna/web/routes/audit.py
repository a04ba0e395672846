"""The audit log page (managers and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kizuna.audit import service as audit
from kizuna.web.deps import AuditReader, DbSession
from kizuna.web.render import render

router = APIRouter()


@router.get("/admin/audit")
def audit_log(
    request: Request,
    ctx: AuditReader,
    session: DbSession,
    object_type: str | None = None,
    object_id: str | None = None,
) -> Response:
    with session.begin():
        events = audit.list_events(
            session,
            ctx.actor,
            object_type=object_type or None,
            object_id=object_id or None,
            limit=200,
        )
        names = audit.actor_names(session, events)
        return render(
            request,
            ctx,
            "admin/audit.html",
            active="audit",
            events=events,
            names=names,
            object_type=object_type or "",
            object_id=object_id or "",
        )
