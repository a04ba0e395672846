"""API shapes of usage metrics: definitions, series, the overview, computations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Grain = Literal["day", "week", "month"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
_WEEK_AND_MONTH: list[Grain] = ["week", "month"]


class MetricCreate(BaseModel):
    key: str = Field(pattern=KEY_PATTERN, description="slug, e.g. weekly_logins (fixed once set)")
    name: str = Field(min_length=1, max_length=200, description="display name (Japanese)")
    name_en: str = Field(default="", max_length=200)
    kind: str = Field(
        description="count, sum, active_users, active_days, feature_breadth, "
        "days_since_last, tenure_scaled, ratio, pct_change, per_seat"
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="events (list), property, numerator, denominator, metric, periods, "
        "window_days — as the kind needs",
    )
    grains: list[Grain] = Field(default_factory=lambda: _WEEK_AND_MONTH.copy(), min_length=1)
    description: str = Field(default="", max_length=2000)
    enabled: bool = True
    featured: bool = False
    position: int = Field(default=100, ge=0, le=10_000)


class MetricUpdate(BaseModel):
    """Partial update: only the fields sent are changed (the key is fixed)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: str | None = None
    params: dict[str, Any] | None = None
    grains: list[Grain] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = None
    featured: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    name: str
    name_en: str
    kind: str
    params: dict[str, Any]
    grains: list[Grain]
    description: str
    enabled: bool
    builtin: bool
    featured: bool
    position: int
    created_at: datetime
    updated_at: datetime


class SeriesPoint(BaseModel):
    period: date
    value: float | None


class MetricSeries(BaseModel):
    key: str
    name: str
    name_en: str
    kind: str
    points: list[SeriesPoint]


class AccountUsageOut(BaseModel):
    account_id: uuid.UUID
    grain: Grain
    computed_at: datetime | None
    metrics: list[MetricSeries]


class OverviewRow(BaseModel):
    account_id: uuid.UUID
    account_name: str
    values: dict[str, float | None]
    previous: dict[str, float | None]
    trend: list[float | None] = Field(default_factory=list, description="sort metric, oldest first")


class OverviewOut(BaseModel):
    grain: Grain
    metrics: list[MetricOut]
    sort: str
    items: list[OverviewRow]
    computed_at: datetime | None


class ComputeRequest(BaseModel):
    full: bool = Field(default=False, description="recompute everything, not only what changed")


class ComputeQueued(BaseModel):
    job_id: uuid.UUID | None = Field(description="null when a computation was already queued")
