"""API shapes of the churn-risk model and the accounts' risk."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChurnModelOut(BaseModel):
    """A trained model: published, refused (with the reason) or retired."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    status: str = Field(description="published | refused | retired")
    message: str = Field(description="why the model was refused (English); empty otherwise")
    horizon_days: int
    train_until: date
    trained_at: datetime
    observations: int
    positives: int
    metrics: dict[str, Any] = Field(
        description="held-out auc, top_decile_lift, brier, calibration (deciles), periods, "
        "train/heldout counts, importance (gain); refusal {code, …} when refused"
    )
    features: list[str]
    seconds: float


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon_days: int = Field(default=90, ge=7, le=365, description="label window in days")


class TrainQueued(BaseModel):
    job_id: uuid.UUID


class Reason(BaseModel):
    feature: str
    name: str = Field(description="the signal's name in the caller's language")
    unit: str = Field(description="the signal's unit: count, days, yen, ratio, flag, …")
    value: float | None
    contribution: float = Field(description="TreeSHAP contribution to the log-odds (> 0)")


class RiskOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    external_id: str | None
    probability: float
    scored_on: date
    model_number: int
    reasons: list[Reason]


class RiskPage(BaseModel):
    items: list[RiskOut]
    next_cursor: str | None


class BacktestRequest(BaseModel):
    """The calibration lab's back-test of one scorecard version."""

    model_config = ConfigDict(extra="forbid")

    months: int = Field(default=12, ge=1, le=60, description="how far back the as-of dates go")
    step_days: int = Field(default=28, ge=7, le=366, description="days between as-of dates")
    horizon_days: int = Field(default=90, ge=7, le=365, description="outcome window in days")


class BacktestOut(BaseModel):
    scorecard: str
    number: int
    status: str
    backtest: dict[str, Any] | None = Field(
        description="as_of dates, blanked signals, rows; per outcome (churn, downturn): auc, "
        "bottom_decile_lift, rows, positives, base_rate, bands {band: accounts, churned, rate}"
    )
