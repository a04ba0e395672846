"""API shapes of event sources, rejected events, recent events and usage groups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

GroupMatchName = Literal["external_id", "domain"]


class SourceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120, description="unique name, e.g. 'Web app'")
    description: str = Field(default="", max_length=1000)
    group_match: GroupMatchName = Field(
        default="external_id",
        description="how a groupId finds its account: 'external_id' (external id, then "
        "Kizuna id) or 'domain' (the same, then the account's domain)",
    )
    trait_mapping: dict[str, str] = Field(
        default_factory=dict,
        description='group trait → account field, e.g. {"employees": "employee_count", '
        '"plan": "custom:plan"}',
    )


class SourceUpdate(BaseModel):
    """Partial update: only the fields sent are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    enabled: bool | None = None
    group_match: GroupMatchName | None = None
    trait_mapping: dict[str, str] | None = None


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    write_key_hint: str = Field(description="the first characters of the write key")
    enabled: bool
    group_match: str
    trait_mapping: dict[str, Any]
    last_event_at: datetime | None
    key_rotated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SourceWithKey(SourceOut):
    """A source just created or re-keyed: ``write_key`` is shown this once only."""

    write_key: str


class RejectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    source_id: uuid.UUID | None
    received_at: datetime
    reason: str
    detail: str
    message_id: str | None
    body: str


class RecentEventOut(BaseModel):
    """A recently received event (a sample of each request), with the account it counts for."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    source_id: uuid.UUID
    received_at: datetime
    timestamp: datetime
    message_id: str
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    group_id: str | None
    account_id: uuid.UUID | None = None
    account_name: str | None = None
    body: str


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    group_id: str
    name: str
    account_id: uuid.UUID | None
    traits: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    users: int = 0


class GroupLink(BaseModel):
    account_id: uuid.UUID = Field(description="the account this group (and its users) count for")
