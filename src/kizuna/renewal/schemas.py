"""Pydantic shapes of the renewals centre and of mutual closing plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.enums import Tier
from kizuna.models.renewal import (
    ClosingPlanSide,
    ClosingStepStatus,
    RenewalForecast,
    RenewalOutcome,
)

# --------------------------------------------------------------------------- renewals


class RenewalFilters(BaseModel):
    """Which renewals to list. ``days`` is the window ahead of today (30/60/90/180)."""

    days: int = Field(default=90, ge=1, le=180)
    owner_id: uuid.UUID | None = None
    tier: Tier | None = None
    forecast: RenewalForecast | None = None
    account_id: uuid.UUID | None = None


class RiskReasonOut(BaseModel):
    """Why a renewal may be at risk: a churn-risk reason (``source = churn``: the feature
    raising the risk) or a health measure pulling the score down (``source = health``)."""

    source: Literal["churn", "health"]
    key: str
    name: str
    name_en: str
    value: float | None
    unit: str = ""
    points: float | None = None  # health measures: 0–100
    contribution: float | None = None  # churn reasons: how much it raises the risk


class PlanBrief(BaseModel):
    id: uuid.UUID
    title: str
    progress: int  # percent of steps done
    steps_total: int
    steps_done: int
    overdue: int


class RenewalOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    tier: Tier | None
    renews_on: date
    days_left: int  # negative once the date has passed
    contract_ref: str
    mrr_amount: int
    currency: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    forecast: RenewalForecast
    forecast_mrr_amount: int
    forecast_note: str
    forecast_set_by_id: uuid.UUID | None
    forecast_set_by_name: str | None
    forecast_set_at: datetime | None
    suggested: bool  # True: the forecast is the system's suggestion
    suggested_forecast: RenewalForecast | None
    suggestion_reasons: list[dict[str, Any]]
    outcome: RenewalOutcome
    actual_mrr_amount: int | None
    closed_at: datetime | None
    health_score: float | None = None
    health_band: str | None = None
    churn_probability: float | None = None
    risk_reasons: list[RiskReasonOut] = Field(default_factory=list)
    closing_plans: list[PlanBrief] = Field(default_factory=list)


class ForecastSet(BaseModel):
    """A person's forecast. ``forecast: null`` hands the renewal back to the system's
    suggestion. ``forecast_mrr_amount`` defaults to the MRR at stake (0 for churn)."""

    forecast: RenewalForecast | None
    note: str = Field(default="", max_length=2000)
    forecast_mrr_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class SyncResult(BaseModel):
    today: date
    created: int = 0
    updated: int = 0
    removed: int = 0
    settled: int = 0
    events: int = 0  # renewal.at_risk published
    skipped: list[str] = Field(default_factory=list)  # "account/date: why"


class CategoryTotal(BaseModel):
    forecast: RenewalForecast
    count: int
    mrr_amount: int  # MRR at stake
    forecast_mrr_amount: int


class ForecastSummary(BaseModel):
    """Pending renewals in the next ``days`` days by forecast category (reporting
    currency)."""

    today: date
    days: int
    currency: str
    count: int
    mrr_amount: int
    forecast_mrr_amount: int
    categories: list[CategoryTotal]


class CategoryActual(BaseModel):
    forecast: RenewalForecast
    count: int
    mrr_amount: int  # at stake
    forecast_mrr_amount: int
    actual_mrr_amount: int
    outcomes: dict[str, int]  # outcome → count


class AccuracyOut(BaseModel):
    count: int
    hits: int
    hit_rate: float | None
    mrr_amount: int
    forecast_mrr_amount: int
    actual_mrr_amount: int
    mrr_accuracy: float | None  # 1 − |actual − forecast| / forecast


class PeriodActual(BaseModel):
    label: str  # 2026-04 or 2026-Q2
    start: date
    end: date  # exclusive
    categories: list[CategoryActual]
    accuracy: AccuracyOut


class ForecastVsActual(BaseModel):
    """Settled renewals dated in [start, end), per month or quarter of their date."""

    start: date
    end: date
    grain: Literal["month", "quarter"]
    currency: str
    periods: list[PeriodActual]
    total: PeriodActual


# ------------------------------------------------------------------------ closing plans


class PlanCreate(BaseModel):
    account_id: uuid.UUID
    renewal_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    title: str = Field(min_length=1, max_length=200)
    goal: str = Field(default="", max_length=5000)
    internal_note: str = Field(default="", max_length=5000)
    owner_id: uuid.UUID | None = None


class PlanUpdate(BaseModel):
    """Fields sent are changed; ``null`` clears the links and the owner."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    goal: str | None = Field(default=None, max_length=5000)
    internal_note: str | None = Field(default=None, max_length=5000)
    owner_id: uuid.UUID | None = None
    renewal_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    archived: bool | None = None


class StepCreate(BaseModel):
    """Owner: ``owner_user_id`` (one of us), ``owner_contact_id`` (a contact of the
    account) or ``owner_name`` (anyone else), at most one of them."""

    title: str = Field(min_length=1, max_length=300)
    side: ClosingPlanSide = ClosingPlanSide.OURS
    owner_user_id: uuid.UUID | None = None
    owner_contact_id: uuid.UUID | None = None
    owner_name: str = Field(default="", max_length=200)
    due_on: date | None = None
    status: ClosingStepStatus = ClosingStepStatus.PLANNED
    done_on: date | None = None
    note: str = Field(default="", max_length=5000)
    internal_note: str = Field(default="", max_length=5000)
    position: int | None = Field(default=None, ge=0)  # default: last


class StepUpdate(BaseModel):
    """Fields sent are changed (``null`` clears an owner, a date)."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    side: ClosingPlanSide | None = None
    owner_user_id: uuid.UUID | None = None
    owner_contact_id: uuid.UUID | None = None
    owner_name: str | None = Field(default=None, max_length=200)
    due_on: date | None = None
    status: ClosingStepStatus | None = None
    done_on: date | None = None
    note: str | None = Field(default=None, max_length=5000)
    internal_note: str | None = Field(default=None, max_length=5000)


class StepOrder(BaseModel):
    """Every step id of the plan, in the new order."""

    step_ids: list[uuid.UUID]


class StepOut(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    side: ClosingPlanSide
    owner_user_id: uuid.UUID | None
    owner_contact_id: uuid.UUID | None
    owner_name: str
    owner_display: str  # the user's, the contact's or the free name
    due_on: date | None
    status: ClosingStepStatus
    done_on: date | None
    note: str
    internal_note: str
    overdue: bool


class PlanOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    renewal_id: uuid.UUID | None
    renewal_renews_on: date | None
    opportunity_id: uuid.UUID | None
    opportunity_name: str | None
    title: str
    goal: str
    internal_note: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    archived: bool
    progress: int
    steps_total: int
    steps_done: int
    overdue: int
    shared: bool  # a share link is live (not revoked, not expired)
    share_language: str | None
    share_expires_at: datetime | None
    shared_at: datetime | None
    steps: list[StepOut]
    created_at: datetime
    updated_at: datetime


class PlanFilters(BaseModel):
    account_id: uuid.UUID | None = None
    renewal_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    archived: bool = False


class ShareCreate(BaseModel):
    """Make (or replace) the plan's read-only link; the old link stops working."""

    language: Literal["ja", "en"] = "ja"
    expires_on: date | None = None  # the link works through this day (your time zone)


class ShareOut(BaseModel):
    token: str  # shown once: only its SHA-256 is stored
    path: str  # /mcp/<token>
    pdf_path: str
    language: str
    expires_at: datetime | None


class PublicStep(BaseModel):
    title: str
    side: ClosingPlanSide
    owner: str
    due_on: date | None
    status: ClosingStepStatus
    done_on: date | None
    note: str
    overdue: bool


class PublicPlan(BaseModel):
    """What the customer sees: no internal notes, no ids."""

    title: str
    account_name: str
    goal: str
    language: str
    progress: int
    steps_total: int
    steps_done: int
    renews_on: date | None
    steps: list[PublicStep]
    updated_at: datetime
