"""API shapes of audit events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import ActorKind


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    actor_kind: ActorKind
    actor_user_id: uuid.UUID | None
    actor_name: str = Field(description="the actor's name at the time (a user, job or source)")
    action: str = Field(description="dotted, e.g. account.update")
    object_type: str
    object_id: str
    summary: str
    changes: dict[str, Any] = Field(description="{field: [old, new]}")
    ip: str
