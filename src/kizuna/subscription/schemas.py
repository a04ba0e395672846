"""API shapes of subscription lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.kit.money import MAX_AMOUNT

_CURRENCY = r"^[A-Z]{3}$"


class SubscriptionCreate(BaseModel):
    """A new line. Send ``mrr_amount``, or ``unit_list_price_amount`` to derive it from."""

    account_id: uuid.UUID
    product_id: uuid.UUID
    contract_ref: str = Field(default="", max_length=100)
    quantity: int = Field(default=1, ge=0, le=100_000_000)
    mrr_amount: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT,
        description="monthly amount billed, net of discount (minor units)",
    )
    currency: str | None = Field(
        default=None, pattern=_CURRENCY, description="must be the account's; defaults to it"
    )
    unit_list_price_amount: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT,
        description="list price per unit per billing period (minor units)",
    )
    discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    start_on: date
    end_on: date | None = Field(default=None, description="exclusive; none = open-ended")
    term_months: int = Field(default=12, ge=1, le=120)
    billing_period_months: int = Field(default=1, description="1, 3, 6, 12, 24 or 36")
    auto_renew: bool = True
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class SubscriptionUpdate(BaseModel):
    """Partial update. Changing price inputs without ``mrr_amount`` re-derives the MRR."""

    product_id: uuid.UUID | None = None
    contract_ref: str | None = Field(default=None, max_length=100)
    quantity: int | None = Field(default=None, ge=0, le=100_000_000)
    mrr_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    currency: str | None = Field(default=None, pattern=_CURRENCY)
    unit_list_price_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    discount_percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    start_on: date | None = None
    end_on: date | None = None
    term_months: int | None = Field(default=None, ge=1, le=120)
    billing_period_months: int | None = None
    auto_renew: bool | None = None
    external_id: str | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    product_name: str
    contract_ref: str
    quantity: int
    mrr_amount: int
    currency: str
    unit_list_price_amount: int | None
    discount_percent: Decimal
    start_on: date
    end_on: date | None
    renewal_on: date = Field(description="end_on, or the next term anniversary if open-ended")
    term_months: int
    billing_period_months: int
    auto_renew: bool
    external_id: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SubscriptionFilters(BaseModel):
    """Filters shared by the API list and the contract pages."""

    account_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    active_on: date | None = Field(default=None, description="lines active on this date")
    ends_before: date | None = Field(default=None, description="lines ending before this date")
