"""API shapes of scorecards, their versions and the scores."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import Phase, Tier

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
Band = Literal["green", "yellow", "red", "unknown"]


class AppliesTo(BaseModel):
    """Which accounts a scorecard scores: empty lists match every tier / phase."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[Tier] = Field(default_factory=list)
    phases: list[Phase] = Field(default_factory=list)


class ScorecardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN, description="slug, fixed once set")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    priority: int = Field(default=0, ge=0, le=1000, description="higher wins among matches")
    definition: dict[str, Any] = Field(description="groups, measures, bands, min_coverage")
    note: str = Field(default="", max_length=2000, description="what this version changes")


class ScorecardUpdate(BaseModel):
    """Partial update. A new ``definition`` goes into the draft version (a new one when the
    latest is published); names, ``applies_to`` and ``priority`` change in place."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    applies_to: AppliesTo | None = None
    priority: int | None = Field(default=None, ge=0, le=1000)
    definition: dict[str, Any] | None = None
    note: str | None = Field(default=None, max_length=2000)


class PublishRequest(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    status: str
    note: str
    created_at: datetime
    created_by_id: uuid.UUID | None
    created_by_name: str = ""
    published_at: datetime | None
    backtest: dict[str, Any] | None = None


class ScorecardOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    name_en: str
    description: str
    applies_to: AppliesTo
    priority: int
    is_default: bool
    published_version: int | None
    draft_version: int | None
    accounts: int = Field(default=0, description="accounts currently scored by it")


class ScorecardDetail(ScorecardOut):
    definition: dict[str, Any] = Field(description="the latest version's definition")
    versions: list[VersionOut]


class ImportResult(BaseModel):
    scorecard: ScorecardOut
    created: bool
    version: int


class SignalOut(BaseModel):
    key: str
    group: str
    name: str
    name_en: str
    unit: str
    higher_is_better: bool
    description: str
    description_en: str
    backtestable: bool


class ScoreOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    scorecard_key: str
    version: int
    scored_on: date
    score: float | None
    band: Band
    score_7d_ago: float | None
    change_7d: float | None


class ScoreDetail(ScoreOut):
    explanation: dict[str, Any]
    computed_at: datetime


class ScorePage(BaseModel):
    items: list[ScoreOut]
    next_cursor: str | None


class RescoreQueued(BaseModel):
    job_id: uuid.UUID | None = Field(description="null when a rescore was already queued")
