"""/api/v1/audit-events"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kizuna.api.deps import AuditReader, DbSession
from kizuna.api.schemas import PageOut
from kizuna.audit import service
from kizuna.audit.schemas import AuditEventOut

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("", response_model=PageOut[AuditEventOut], summary="Read the audit log")
def list_audit_events(
    actor: AuditReader,
    session: DbSession,
    object_type: Annotated[str | None, Query(description="e.g. account, contact")] = None,
    object_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PageOut[AuditEventOut]:
    """Who changed what and when, newest first, with `{field: [old, new]}` changes."""
    with session.begin():
        events = service.list_events(
            session, actor, object_type=object_type, object_id=object_id, limit=limit
        )
        return PageOut(items=[AuditEventOut.model_validate(e) for e in events], next_cursor=None)
