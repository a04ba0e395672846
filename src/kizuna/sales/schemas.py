"""The customer-sales dashboard (/sales, /api/v1/sales/dashboard) as one JSON shape."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import CsMeasure, OpportunityStage
from kizuna.models.target import PeriodKind
from kizuna.pipeline.schemas import CsmKpi, LeadCounts
from kizuna.renewal.schemas import ForecastSummary, PeriodActual


class LeadBlock(BaseModel):
    """Leads passed in the period and what became of them (the leads page's counts)."""

    counts: LeadCounts
    acceptance_rate: Decimal | None = Field(description="accepted ÷ passed")
    conversion_rate: Decimal | None = Field(description="converted (won) ÷ passed")
    win_rate: Decimal | None = Field(description="converted ÷ accepted")


class SourceRow(BaseModel):
    """Created and won amount of one lead source vs its targets (None: no target)."""

    lead_source: LeadSource
    created_amount: int
    won_amount: int
    lead_count: int
    created_target: int | None
    won_target: int | None
    lead_target: int | None
    created_percent: Decimal | None
    won_percent: Decimal | None
    lead_percent: Decimal | None


class StageRow(BaseModel):
    stage: OpportunityStage
    count: int
    amount: int


class PipelineBlock(BaseModel):
    """Open opportunities now (not limited to the period), by stage."""

    stages: list[StageRow]
    count: int
    amount: int


class OwnerRow(BaseModel):
    """保有企業数 (seed 000, Tier 1/2 KPI): accounts a customer-sales person owns, their
    open pipeline now and what was won on them in the period."""

    user_id: uuid.UUID
    name: str
    team: str
    accounts: int
    tier1: int
    tier2: int
    tier3: int
    untiered: int
    pipeline_count: int
    pipeline_amount: int
    won_amount: int


class RenewalBlock(BaseModel):
    upcoming: ForecastSummary = Field(description="pending renewals of the next 90 days")
    last_quarter: str = Field(description="the last closed fiscal quarter, e.g. 2026-Q2")
    last_quarter_starts_on: date
    last_quarter_ends_on: date
    last_quarter_actual: PeriodActual


class SalesDashboard(BaseModel):
    period: str
    period_kind: PeriodKind | None = Field(description="None for a custom range")
    starts_on: date
    ends_on: date
    today: date
    elapsed: Decimal = Field(description="share of the period passed (0…1)")
    currency: str = Field(description="amounts are minor units of this currency")
    cs_measure: CsMeasure = Field(description="what CS is measured on (setting)")
    leads: LeadBlock
    sources: list[SourceRow]
    pipeline: PipelineBlock
    top_csms: list[CsmKpi] = Field(description="ordered by the cs_measure KPI, at most 10")
    owners: list[OwnerRow]
    renewals: RenewalBlock
