"""API shapes of expansion potential, the white-space matrix and the totals."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.enums import ProductKind, Tier
from kizuna.models.potential import PotentialConfidence
from kizuna.potential.rules import CellState

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _month(value: Any) -> Any:
    """Accept ``2026-04`` as well as a date; either way the first day of the month."""
    if isinstance(value, str) and _MONTH.match(value.strip()):
        return f"{value.strip()}-01"
    return value


class PotentialFields(BaseModel):
    seats: int | None = Field(default=None, ge=0, le=10_000_000, description="potential seats")
    mrr_amount: int = Field(
        ge=0, le=MAX_AMOUNT, description="potential MRR in minor units of `currency`"
    )
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="defaults to the account's currency"
    )
    confidence: PotentialConfidence = Field(
        description="low (counts 20 %), medium (50 %), high (80 %) in weighted totals"
    )
    expected_on: date | None = Field(
        default=None, description="expected month (YYYY-MM or any day of it; stored as day 1)"
    )
    note: str = Field(default="", max_length=20_000, description="evidence in words")
    activity_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="activities of the account as evidence"
    )

    _expected = field_validator("expected_on", mode="before")(_month)


class PotentialCreate(PotentialFields):
    account_id: uuid.UUID
    product_id: uuid.UUID


class PotentialUpdate(BaseModel):
    """Partial update; ``activity_ids``, when sent, replaces the linked activities."""

    seats: int | None = Field(default=None, ge=0, le=10_000_000)
    mrr_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    confidence: PotentialConfidence | None = None
    expected_on: date | None = None
    note: str | None = Field(default=None, max_length=20_000)
    activity_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)

    _expected = field_validator("expected_on", mode="before")(_month)


class LinkedActivity(BaseModel):
    id: uuid.UUID
    kind: str
    subject: str
    occurred_at: datetime


class Evidence(BaseModel):
    """Live evidence, computed when shown (never stored)."""

    seat_activation: float | None = Field(
        description="active users of the last complete month ÷ licensed seats (account-wide)"
    )
    product_seats: int = Field(description="seats on the account's active lines of the product")
    owned: bool = Field(description="an active line of the product today")
    health_score: float | None
    health_band: str | None
    days_to_renewal: float | None


class PotentialOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    account_tier: Tier | None
    product_id: uuid.UUID
    product_code: str
    product_name: str
    product_name_en: str
    seats: int | None
    mrr_amount: int
    currency: str
    confidence: PotentialConfidence
    confidence_percent: int
    weighted_mrr_amount: int
    expected_on: date | None
    note: str
    activities: list[LinkedActivity]
    created_by_name: str | None
    updated_by_name: str | None
    created_at: datetime
    updated_at: datetime
    evidence: Evidence | None = None


class PotentialFilters(BaseModel):
    account_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    confidence: PotentialConfidence | None = None
    tier: Tier | None = None
    owner_id: uuid.UUID | None = Field(default=None, description="the account's CSM")


class TotalsBy(StrEnum):
    PRODUCT = "product"
    TIER = "tier"
    OWNER = "owner"


class TotalRow(BaseModel):
    key: str | None = Field(description="product code, tier or CSM user id; null: none")
    label: str
    label_en: str
    currency: str
    count: int
    seats: int
    mrr_amount: int
    weighted_mrr_amount: int


class Totals(BaseModel):
    by: TotalsBy
    rows: list[TotalRow]
    grand: list[TotalRow] = Field(description="all rows summed, one per currency")


class MatrixProduct(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_en: str
    kind: ProductKind


class MatrixCell(BaseModel):
    product_id: uuid.UUID
    state: CellState
    owned: bool
    potential_id: uuid.UUID | None = None
    mrr_amount: int | None = None
    currency: str | None = None
    seats: int | None = None
    confidence: PotentialConfidence | None = None
    expected_on: date | None = None


class MatrixRow(BaseModel):
    account_id: uuid.UUID
    account_name: str
    tier: Tier | None
    csm_name: str | None
    currency: str
    cells: list[MatrixCell]


class Matrix(BaseModel):
    products: list[MatrixProduct]
    rows: list[MatrixRow]
    total: int
    page: int
    pages: int


class MatrixFilters(BaseModel):
    tier: Tier | None = None
    owner_id: uuid.UUID | None = Field(default=None, description="the account's CSM")
    kind: ProductKind | None = Field(default=None, description="only products of this kind")
    with_potential: bool = Field(default=False, description="only accounts with potential")
    q: str | None = Field(default=None, max_length=200, description="account name contains")
