"""Segments, members, previews, the fact catalogue and tags: API/CLI shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kizuna.models.enums import Phase, Tier


class SegmentIn(BaseModel):
    """A new segment. ``definition`` is a condition (``docs/segments.md``); ``{}`` is every
    account."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    definition: dict[str, Any] = Field(default_factory=dict)
    shared: bool = False

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value


class SegmentUpdate(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    definition: dict[str, Any] | None = None
    shared: bool | None = None
    archived: bool | None = None

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value


class SegmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    definition: dict[str, Any]
    owner_id: uuid.UUID | None
    owner_name: str | None = None
    shared: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    can_edit: bool = False
    member_count: int | None = Field(
        default=None, description="Accounts matching today (lists: only with counts=true)"
    )


class MemberOut(BaseModel):
    """One member account as the members table shows it. MRR is today's, in minor units of
    the account's currency; health is the stored score (null when not scored)."""

    account_id: uuid.UUID
    name: str
    tier: Tier | None
    phase: Phase | None
    csm_owner_id: uuid.UUID | None
    csm_owner_name: str | None
    mrr_amount: int
    currency: str
    health_score: float | None
    health_band: str | None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] = Field(default_factory=dict)


class PreviewOut(BaseModel):
    count: int = Field(description="Accounts matching today")
    total: int = Field(description="All accounts")
    sample: list[MemberOut] = Field(description="The first 20 members by name")


class FactOut(BaseModel):
    """A fact a condition may name, with the operators its kind allows."""

    key: str
    kind: str
    name: str
    name_en: str
    group: str
    unit: str
    choices: list[str]
    ops: list[str]
    description: str
    description_en: str


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(max_length=100)


class AccountTagsOut(BaseModel):
    account_id: uuid.UUID
    tags: list[str]


class TagCount(BaseModel):
    tag: str
    accounts: int
