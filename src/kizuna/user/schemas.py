"""API shapes of users and teams. No shape ever carries a password hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kizuna.models.enums import Role, TeamKind

Locale = Literal["ja", "en"]


class UserCreate(BaseModel):
    email: EmailStr = Field(description="unique; stored lower-case")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=200, description="at least 10 characters")
    team_id: uuid.UUID | None = None
    locale: Locale = "ja"
    timezone: str = Field(default="Asia/Tokyo", max_length=64, description="IANA zone name")
    capacity_accounts: int | None = Field(default=None, ge=0, le=100_000)


class UserUpdate(BaseModel):
    """Partial update by an administrator."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    team_id: uuid.UUID | None = None
    locale: Locale | None = None
    timezone: str | None = Field(default=None, max_length=64)
    is_active: bool | None = None
    capacity_accounts: int | None = Field(default=None, ge=0, le=100_000)


class ProfileUpdate(BaseModel):
    """What users may change about themselves."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    locale: Locale | None = None
    timezone: str | None = Field(default=None, max_length=64)


class PasswordSet(BaseModel):
    password: str = Field(min_length=1, max_length=200, description="at least 10 characters")


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: Role
    team_id: uuid.UUID | None
    locale: str
    timezone: str
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    capacity_accounts: int | None
    created_at: datetime
    updated_at: datetime


class UserFilters(BaseModel):
    q: str | None = Field(default=None, description="name or e-mail contains")
    role: Role | None = None
    team_id: uuid.UUID | None = None
    is_active: bool | None = None


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    kind: TeamKind
    description: str = Field(default="", max_length=1000)


class TeamUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: TeamKind | None = None
    description: str | None = Field(default=None, max_length=1000)


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: TeamKind
    description: str
    member_count: int = 0
    created_at: datetime
    updated_at: datetime
