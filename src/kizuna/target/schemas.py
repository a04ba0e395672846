"""API shapes of targets, their split and attainment."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.enums import LeadSource
from kizuna.models.target import PeriodKind, SplitMode, TargetMetric

MAX_WEIGHT = Decimal("99999999")


class Level(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSON = "person"


class SettingsOut(BaseModel):
    fiscal_year_start_month: int = Field(description="1 = January … 12; 4 (April) by default")


class SettingsUpdate(BaseModel):
    fiscal_year_start_month: int = Field(ge=1, le=12)


class MemberShareIn(BaseModel):
    """A person's weight (e.g. FTE 0.5) and/or a fixed value; omitted weight = automatic."""

    user_id: uuid.UUID
    weight: Decimal | None = Field(default=None, ge=0, le=MAX_WEIGHT, decimal_places=4)
    override: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)


class TeamShareIn(BaseModel):
    """A team in the split. ``members`` omitted: every active member of the team, keeping
    the weights and overrides already set for them."""

    team_id: uuid.UUID
    weight: Decimal | None = Field(default=None, ge=0, le=MAX_WEIGHT, decimal_places=4)
    override: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    member_split: SplitMode | None = Field(
        default=None, description="evenly or weighted; omitted: as it was (evenly for a new team)"
    )
    members: list[MemberShareIn] | None = Field(default=None, max_length=500)


class SplitIn(BaseModel):
    """The whole split of a target: the teams listed replace the ones there were."""

    team_split: SplitMode | None = None
    teams: list[TeamShareIn] = Field(max_length=100)


class TargetCreate(BaseModel):
    period: str = Field(
        min_length=4, max_length=40, description="2026-07, 2026-Q3, 2026-H1 or 2026-FY"
    )
    lead_source: LeadSource = LeadSource.CS
    metric: TargetMetric = TargetMetric.CREATED_AMOUNT
    value: int = Field(ge=0, le=MAX_AMOUNT, description="minor units, or a count for lead_count")
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="amount metrics only; the reporting currency when omitted",
    )
    team_split: SplitMode = SplitMode.EVEN
    note: str = Field(default="", max_length=2000)
    teams: list[TeamShareIn] | None = Field(default=None, max_length=100)


class TargetUpdate(BaseModel):
    """Change the value (the split is recomputed, keeping manual weights and overrides)."""

    value: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    team_split: SplitMode | None = None
    note: str | None = Field(default=None, max_length=2000)


class MemberShareOut(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    weight: Decimal
    weight_manual: bool
    override: int | None
    value: int


class TeamShareOut(BaseModel):
    team_id: uuid.UUID
    name: str
    weight: Decimal = Field(description="the stored weight (used by the weighted split)")
    weight_manual: bool
    effective_weight: Decimal = Field(description="the weight the current split mode used")
    override: int | None
    value: int
    member_split: SplitMode
    members: list[MemberShareOut]
    remainder: int = Field(description="the team's value minus its members' parts")


class TargetOut(BaseModel):
    id: uuid.UUID
    period: str
    period_kind: PeriodKind
    starts_on: date
    ends_on: date
    lead_source: LeadSource
    metric: TargetMetric
    value: int
    currency: str | None
    team_split: SplitMode
    note: str
    teams: list[TeamShareOut]
    remainder: int = Field(description="the target minus the teams' parts")
    created_at: datetime
    updated_at: datetime


class Measures(BaseModel):
    """The three measures of one level over one period (amounts in the target currency)."""

    created_amount: int = 0
    won_amount: int = 0
    lead_count: int = 0


class LevelAttainment(BaseModel):
    level: Level
    id: uuid.UUID | None = None
    name: str
    team_id: uuid.UUID | None = None
    target: int | None = Field(description="None: not part of the split")
    actual: int = Field(description="the target's metric")
    percent: Decimal | None = Field(description="actual ÷ target (0.5 = 50 %)")
    expected: int | None = Field(description="target × elapsed share of the period")
    pace: Decimal | None = Field(description="actual ÷ expected (1 = on pace)")
    secondary: int = Field(description="the other measure (won for created, created else)")
    measures: Measures


class TargetAttainment(BaseModel):
    target: TargetOut
    secondary_metric: TargetMetric
    company: LevelAttainment
    teams: list[LevelAttainment]
    people: list[LevelAttainment]


class AttainmentReport(BaseModel):
    period: str
    starts_on: date
    ends_on: date
    today: date
    elapsed: Decimal = Field(description="share of the period passed (0…1)")
    targets: list[TargetAttainment]
