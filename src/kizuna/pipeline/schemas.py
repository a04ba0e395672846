"""API shapes of leads, opportunities, the pipeline and its settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import CsMeasure, LeadStatus, OpportunityKind, OpportunityStage

_CURRENCY = r"^[A-Z]{3}$"


# ---------------------------------------------------------------------------- leads


class LeadCreate(BaseModel):
    """A lead passed by a CSM: to a person (an AE) or a team (e.g. the growth team)."""

    account_id: uuid.UUID
    product_id: uuid.UUID | None = None
    amount: int = Field(
        ge=0, le=MAX_AMOUNT, description="estimated monthly recurring amount (minor units)"
    )
    currency: str | None = Field(
        default=None, pattern=_CURRENCY, description="must be the account's; defaults to it"
    )
    reason: str = Field(min_length=1, max_length=20_000)
    evidence: str = Field(default="", max_length=20_000)
    activity_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="the account's activities as evidence"
    )
    assignee_id: uuid.UUID | None = Field(default=None, description="the AE")
    assignee_team_id: uuid.UUID | None = Field(default=None, description="e.g. the growth team")


class LeadAccept(BaseModel):
    """Accepting creates the opportunity (stage qualification, owner = the acceptor)."""

    close_on: date | None = Field(
        default=None, description="expected close date; defaults to 30 days from today"
    )
    name: str | None = Field(default=None, min_length=1, max_length=300)


class LeadReject(BaseModel):
    reason: str = Field(min_length=1, max_length=20_000)


class LeadView(StrEnum):
    MINE = "mine"  # passed by me
    INBOX = "inbox"  # assigned to me or to my team
    ALL = "all"


class LeadFilters(BaseModel):
    view: LeadView = LeadView.ALL
    status: LeadStatus | None = None
    account_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    passed_by_id: uuid.UUID | None = Field(default=None, description="the CSM")
    assignee_id: uuid.UUID | None = Field(default=None, description="the AE")
    overdue: bool | None = Field(default=None, description="still passed after its SLA")
    passed_from: date | None = Field(default=None, description="passed on or after (your zone)")
    passed_to: date | None = Field(default=None, description="passed on or before (your zone)")


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    product_id: uuid.UUID | None
    product_code: str | None
    product_name: str | None
    amount: int
    currency: str
    reason: str
    evidence: str
    activity_ids: list[str]
    passed_by_id: uuid.UUID | None
    passed_by_name: str | None
    passed_at: datetime
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    assignee_team_id: uuid.UUID | None
    assignee_team_name: str | None
    status: LeadStatus
    decided_by_id: uuid.UUID | None
    decided_by_name: str | None
    decided_at: datetime | None
    reject_reason: str
    sla_due_at: datetime
    overdue: bool = Field(description="still passed after sla_due_at")
    late_seconds: int = Field(description="how late an overdue lead is (0 otherwise)")
    within_sla: bool | None = Field(description="decided no later than sla_due_at (None: open)")
    opportunity_id: uuid.UUID | None
    opportunity_stage: OpportunityStage | None


class LeadCounts(BaseModel):
    """Leads passed in a period, by what became of them."""

    passed: int
    open: int
    overdue: int
    accepted: int
    rejected: int
    withdrawn: int
    converted: int = Field(description="accepted and their opportunity won")
    accepted_within_sla: int
    accepted_within_sla_rate: float | None = Field(
        description="accepted within the SLA ÷ accepted (None when nothing was accepted)"
    )


class CsmKpi(BaseModel):
    """One CSM's figures over a period: both views of the CS KPI (seed 004)."""

    user_id: uuid.UUID | None
    name: str
    leads_passed: int
    leads_accepted: int
    opportunities_created: int
    created_amount: int = Field(description="MRR of opportunities credited to the CSM")
    won_amount: int = Field(description="MRR of those won in the period")


class CsmKpiReport(BaseModel):
    measure: CsMeasure
    currency: str
    start: date
    end: date
    rows: list[CsmKpi]


# ---------------------------------------------------------------------------- opportunities


class OpportunityCreate(BaseModel):
    """An opportunity created directly (not from a lead)."""

    account_id: uuid.UUID
    name: str | None = Field(
        default=None, min_length=1, max_length=300, description="defaults to product + account"
    )
    product_id: uuid.UUID | None = None
    kind: OpportunityKind | None = Field(
        default=None, description="defaults to upsell when the account holds the product"
    )
    stage: OpportunityStage = OpportunityStage.QUALIFICATION
    amount: int = Field(ge=0, le=MAX_AMOUNT, description="monthly recurring amount, minor units")
    currency: str | None = Field(default=None, pattern=_CURRENCY)
    quantity: int | None = Field(default=None, ge=0, le=100_000_000)
    close_on: date
    lead_source: LeadSource
    owner_id: uuid.UUID | None = Field(default=None, description="the AE; defaults to you")
    created_by_id: uuid.UUID | None = Field(
        default=None, description="who is credited with creating it; defaults to you"
    )


class OpportunityUpdate(BaseModel):
    """Partial update of an open opportunity."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    product_id: uuid.UUID | None = None
    kind: OpportunityKind | None = None
    amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    quantity: int | None = Field(default=None, ge=0, le=100_000_000)
    close_on: date | None = None
    owner_id: uuid.UUID | None = None


class OpportunityStageMove(BaseModel):
    stage: OpportunityStage


class OpportunityWin(BaseModel):
    """Winning writes a subscription line for the product, in the same transaction."""

    start_on: date | None = Field(default=None, description="defaults to the close date")
    quantity: int | None = Field(
        default=None, ge=0, le=100_000_000, description="seats; defaults to the opportunity's"
    )
    closed_on: date | None = Field(default=None, description="actual close date; today")


class OpportunityLose(BaseModel):
    reason: str = Field(min_length=1, max_length=20_000)
    closed_on: date | None = Field(default=None, description="actual close date; today")


class OpportunityFilters(BaseModel):
    stage: OpportunityStage | None = None
    open_only: bool = False
    lead_source: LeadSource | None = None
    owner_id: uuid.UUID | None = None
    created_by_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    close_from: date | None = None
    close_to: date | None = None


class StageChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_stage: OpportunityStage | None
    to_stage: OpportunityStage
    amount: int
    changed_by_id: uuid.UUID | None
    changed_by_name: str | None
    changed_at: datetime


class OpportunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    name: str
    product_id: uuid.UUID | None
    product_code: str | None
    product_name: str | None
    kind: OpportunityKind
    stage: OpportunityStage
    amount: int
    currency: str
    quantity: int | None
    close_on: date
    lead_source: LeadSource
    lead_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_by_name: str | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    created_at: datetime
    won_at: datetime | None
    lost_at: datetime | None
    lost_reason: str
    subscription_id: uuid.UUID | None


class OpportunityDetail(OpportunityOut):
    history: list[StageChangeOut]


class StageColumn(BaseModel):
    stage: OpportunityStage
    count: int
    amount: int


class PipelineBoard(BaseModel):
    currency: str
    columns: list[StageColumn]


# ---------------------------------------------------------------------------- settings


class PipelineSettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cs_measure: CsMeasure
    lead_sla_hours: int
    sla_business_days_only: bool


class PipelineSettingsUpdate(BaseModel):
    cs_measure: CsMeasure | None = None
    lead_sla_hours: int | None = Field(default=None, ge=1, le=24 * 30)
    sla_business_days_only: bool | None = None
