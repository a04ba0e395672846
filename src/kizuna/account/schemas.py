"""API shapes of accounts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import Phase, Tier

_TEXT = 20_000


class AccountFields(BaseModel):
    """Fields shared by create and update (all optional on update)."""

    external_id: str | None = Field(default=None, max_length=100)
    name_kana: str = Field(default="", max_length=200)
    domain: str | None = Field(default=None, max_length=253)
    industry: str = Field(default="", max_length=100)
    employee_count: int | None = Field(default=None, ge=0, le=10_000_000)
    region: str = Field(default="", max_length=100)
    currency: str = Field(default="JPY", pattern=r"^[A-Z]{3}$")
    tier: Tier | None = None
    phase: Phase | None = None
    purpose_of_adoption: str = Field(default="", max_length=_TEXT)
    business_challenges: str = Field(default="", max_length=_TEXT)
    success_criteria: str = Field(default="", max_length=_TEXT)
    expansion_room: str = Field(default="", max_length=_TEXT)
    notes: str = Field(default="", max_length=_TEXT)
    csm_owner_id: uuid.UUID | None = None
    sales_owner_id: uuid.UUID | None = None
    ae_owner_id: uuid.UUID | None = None
    support_owner_id: uuid.UUID | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class AccountCreate(AccountFields):
    name: str = Field(min_length=1, max_length=200)


class AccountUpdate(BaseModel):
    """Partial update: only the fields sent are changed."""

    external_id: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_kana: str | None = Field(default=None, max_length=200)
    domain: str | None = Field(default=None, max_length=253)
    industry: str | None = Field(default=None, max_length=100)
    employee_count: int | None = Field(default=None, ge=0, le=10_000_000)
    region: str | None = Field(default=None, max_length=100)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    tier: Tier | None = None
    phase: Phase | None = None
    purpose_of_adoption: str | None = Field(default=None, max_length=_TEXT)
    business_challenges: str | None = Field(default=None, max_length=_TEXT)
    success_criteria: str | None = Field(default=None, max_length=_TEXT)
    expansion_room: str | None = Field(default=None, max_length=_TEXT)
    notes: str | None = Field(default=None, max_length=_TEXT)
    csm_owner_id: uuid.UUID | None = None
    sales_owner_id: uuid.UUID | None = None
    ae_owner_id: uuid.UUID | None = None
    support_owner_id: uuid.UUID | None = None
    custom_fields: dict[str, Any] | None = None


class AccountOut(AccountFields):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    mrr_amount: int = Field(description="current MRR in minor units of `currency`")
    next_renewal_on: date | None = Field(description="earliest end of a current contract line")
    created_at: datetime
    updated_at: datetime


class AccountFilters(BaseModel):
    """Filters shared by the API list and the Portfolio page."""

    q: str | None = Field(default=None, description="name, kana, domain or external id contains")
    owner_id: uuid.UUID | None = Field(default=None, description="any of the four owners")
    csm_owner_id: uuid.UUID | None = None
    tier: Tier | None = None
    phase: Phase | None = None
    industry: str | None = None
    region: str | None = None
    external_id: str | None = None
    active_only: bool = Field(default=False, description="only accounts with MRR today")
