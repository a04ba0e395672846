"""API shapes of products."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.enums import ProductKind, ProductUnit

_TEXT = 20_000
CURRENCY_PATTERN = r"^[A-Z]{3}$"


class ProductCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="unique catalogue code")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: ProductKind
    unit: ProductUnit
    list_price_amount: int = Field(
        default=0, ge=0, le=MAX_AMOUNT, description="list price per unit per month, in minor units"
    )
    currency: str = Field(default="JPY", pattern=CURRENCY_PATTERN)
    description: str = Field(default="", max_length=_TEXT)
    is_active: bool = True
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class ProductUpdate(BaseModel):
    """Partial update: only the fields sent are changed."""

    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: ProductKind | None = None
    unit: ProductUnit | None = None
    list_price_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    description: str | None = Field(default=None, max_length=_TEXT)
    is_active: bool | None = None
    custom_fields: dict[str, Any] | None = None


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    name_en: str
    kind: ProductKind
    unit: ProductUnit
    list_price_amount: int
    currency: str
    description: str
    is_active: bool
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ProductFilters(BaseModel):
    """Filters shared by the API list and the catalogue page."""

    q: str | None = Field(default=None, description="code or name contains")
    kind: ProductKind | None = None
    unit: ProductUnit | None = None
    is_active: bool | None = None
