"""API shapes of custom field definitions."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import CustomFieldObject, CustomFieldType

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class CustomFieldCreate(BaseModel):
    object_type: CustomFieldObject
    key: str = Field(pattern=KEY_PATTERN, description="snake_case key used in custom_fields")
    label_ja: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    field_type: CustomFieldType
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    min_value: str | None = None
    max_value: str | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    help_text: str = Field(default="", max_length=500)
    position: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class CustomFieldUpdate(BaseModel):
    label_ja: str | None = Field(default=None, min_length=1, max_length=200)
    label_en: str | None = Field(default=None, min_length=1, max_length=200)
    required: bool | None = None
    choices: list[str] | None = None
    min_value: str | None = None
    max_value: str | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    help_text: str | None = Field(default=None, max_length=500)
    position: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    is_active: bool | None = None


class CustomFieldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_type: CustomFieldObject
    key: str
    label_ja: str
    label_en: str
    field_type: CustomFieldType
    required: bool
    choices: list[str]
    min_value: str | None
    max_value: str | None
    max_length: int | None
    help_text: str
    position: int
    is_active: bool
    created_at: datetime
    updated_at: datetime
