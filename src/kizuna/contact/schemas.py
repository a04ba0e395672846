"""API shapes of contacts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kizuna.models.enums import ContactRole, Influence


class ContactCreate(BaseModel):
    account_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    name_kana: str = Field(default="", max_length=200)
    email: EmailStr | None = Field(default=None, description="stored lower-case")
    phone: str = Field(default="", max_length=50)
    title: str = Field(default="", max_length=200)
    department: str = Field(default="", max_length=200)
    influence: Influence | None = None
    roles: list[ContactRole] = Field(default_factory=list, description="buying-group roles")
    is_primary: bool = False
    is_active: bool = True
    email_opt_out: bool = False
    call_opt_out: bool = False
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(BaseModel):
    """Partial update: only the fields sent are changed; ``roles`` replaces the set."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_kana: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    influence: Influence | None = None
    roles: list[ContactRole] | None = None
    is_primary: bool | None = None
    is_active: bool | None = None
    email_opt_out: bool | None = None
    call_opt_out: bool | None = None
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    name_kana: str
    email: str | None
    phone: str
    title: str
    department: str
    influence: Influence | None
    roles: list[ContactRole]
    is_primary: bool
    is_active: bool
    email_opt_out: bool
    call_opt_out: bool
    external_id: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ContactFilters(BaseModel):
    """Filters shared by the API list and the contact pages."""

    account_id: uuid.UUID | None = None
    role: ContactRole | None = Field(default=None, description="holds this role")
    q: str | None = Field(default=None, description="name, kana or e-mail contains")
    is_active: bool | None = None
    email_opt_out: bool | None = None
