"""API shapes of activities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from kizuna.kit.clock import ensure_utc
from kizuna.models.enums import ActivityKind, InquiryStatus

_TEXT = 100_000

# Times must carry their zone (a naive time is ambiguous); they are kept in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(ensure_utc)]


class ActivityCreate(BaseModel):
    """A new activity; inquiry fields are only allowed on ``kind = inquiry``."""

    account_id: uuid.UUID
    kind: ActivityKind
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=_TEXT)
    occurred_at: UtcDatetime
    duration_minutes: int | None = Field(default=None, ge=0, le=100_000)
    is_pre_sale: bool = False
    author_id: uuid.UUID | None = Field(default=None, description="defaults to the caller")
    user_ids: list[uuid.UUID] = Field(default_factory=list, description="our participants")
    contact_ids: list[uuid.UUID] = Field(
        default_factory=list, description="the customer's participants (same account)"
    )
    inquiry_status: InquiryStatus | None = None
    opened_at: UtcDatetime | None = Field(default=None, description="defaults to occurred_at")
    first_response_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class ActivityUpdate(BaseModel):
    """Partial update; ``user_ids`` / ``contact_ids`` replace the participant sets."""

    kind: ActivityKind | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=_TEXT)
    occurred_at: UtcDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=100_000)
    is_pre_sale: bool | None = None
    author_id: uuid.UUID | None = None
    user_ids: list[uuid.UUID] | None = None
    contact_ids: list[uuid.UUID] | None = None
    inquiry_status: InquiryStatus | None = None
    opened_at: UtcDatetime | None = None
    first_response_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] | None = None


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str
    occurred_at: datetime
    duration_minutes: int | None
    is_pre_sale: bool
    author_id: uuid.UUID | None
    author_name: str | None
    user_ids: list[uuid.UUID]
    contact_ids: list[uuid.UUID]
    inquiry_status: InquiryStatus | None
    opened_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    response_minutes: int | None = Field(description="opened → first response, whole minutes")
    resolution_minutes: int | None = Field(description="opened → resolved, whole minutes")
    external_id: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ActivityFilters(BaseModel):
    """Filters shared by the API list and the timeline pages."""

    account_id: uuid.UUID | None = None
    kind: ActivityKind | None = None
    author_id: uuid.UUID | None = None
    occurred_from: UtcDatetime | None = Field(default=None, description="at or after (with zone)")
    occurred_to: UtcDatetime | None = Field(default=None, description="before (with zone)")
    is_pre_sale: bool | None = None
    inquiry_status: InquiryStatus | None = None
