"""Shapes of the journey: its definition, an account's journey, the board and the stalled
list, evaluation results, and customer goals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import Phase, Tier

STEP_KEY_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
GoalStatus = Literal["planned", "achieved", "missed"]


# -- definition ----------------------------------------------------------------------------


class PhaseUpdate(BaseModel):
    """A phase's names and target duration (its order is fixed)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    target_days: int | None = Field(default=None, ge=1, le=3650)


class StepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=STEP_KEY_PATTERN, description="slug, fixed once set")
    phase: Phase
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    required: bool = True
    manual: bool = Field(default=True, description="people may check the step by hand")
    criteria: dict[str, Any] | None = Field(
        default=None, description="a condition over facts; null: completed by hand only"
    )
    position: int | None = Field(
        default=None, ge=0, description="place within the phase (default: last)"
    )


class StepUpdate(BaseModel):
    """Partial update; ``criteria: null`` removes the criteria (manual only)."""

    model_config = ConfigDict(extra="forbid")

    phase: Phase | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    required: bool | None = None
    manual: bool | None = None
    criteria: dict[str, Any] | None = None
    position: int | None = Field(default=None, ge=0)


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    phase: Phase
    position: int
    name: str
    name_en: str
    description: str
    required: bool
    manual: bool
    criteria: dict[str, Any] | None


class PhaseOut(BaseModel):
    phase: Phase
    name: str
    name_en: str
    description: str
    target_days: int
    steps: list[StepOut]


class JourneyOut(BaseModel):
    """The whole journey: the three phases in order, each with its steps in order."""

    phases: list[PhaseOut]


class ImportResult(BaseModel):
    phases: int
    steps_created: int
    steps_updated: int
    steps_deleted: int


# -- evaluation ----------------------------------------------------------------------------


class EvaluationResult(BaseModel):
    accounts: int = Field(description="accounts considered")
    entered: int = Field(description="accounts that entered the journey (onboarding)")
    steps_completed: int
    phases_advanced: int = Field(description="phase moves (an account may move twice)")
    accounts_advanced: int
    history_opened: int = Field(description="open history rows created for existing phases")
    skipped_steps: list[str] = Field(
        default_factory=list, description="steps whose criteria no longer parse (not evaluated)"
    )
    seconds: float


# -- an account's journey ------------------------------------------------------------------


class CheckOut(BaseModel):
    fact: str
    fact_name: str
    fact_name_en: str
    unit: str
    op: str
    value: Any
    actual: Any
    passed: bool
    negated: bool = False  # the rule sits under a "not": passed means the rule is false


class AccountStepOut(BaseModel):
    key: str
    name: str
    name_en: str
    description: str
    required: bool
    manual: bool
    has_criteria: bool
    done: bool
    completed_at: datetime | None
    completed_by: str | None = Field(description="the user's name, or the system (journey)")
    completed_by_id: uuid.UUID | None
    reopened_at: datetime | None
    note: str = ""
    evidence: list[CheckOut] = Field(description="the checks that passed at completion")
    checks: list[CheckOut] = Field(description="the criteria against today's data")
    criteria_passed: bool | None = Field(description="None when the step has no criteria")


class AccountPhaseOut(BaseModel):
    phase: Phase
    name: str
    name_en: str
    target_days: int
    state: Literal["done", "current", "upcoming"]
    steps: list[AccountStepOut]
    required_done: int
    required_total: int


class HistoryOut(BaseModel):
    phase: Phase
    entered_at: datetime
    exited_at: datetime | None
    entered_on: date = Field(description="the local day of entry (the viewer's zone)")
    exited_on: date | None
    days: int
    target_days: int | None
    overdue: bool
    moved_by: str | None
    moved_by_id: uuid.UUID | None
    moved_by_system: str | None
    reason: str


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    metric: str = Field(default="", max_length=200)
    target_value: str = Field(default="", max_length=100)
    due_on: date | None = None
    status: GoalStatus = "planned"
    achieved_on: date | None = None
    note: str = Field(default="", max_length=2000)


class GoalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    metric: str | None = Field(default=None, max_length=200)
    target_value: str | None = Field(default=None, max_length=100)
    due_on: date | None = None
    status: GoalStatus | None = None
    achieved_on: date | None = None
    note: str | None = Field(default=None, max_length=2000)


class GoalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    metric: str
    target_value: str
    due_on: date | None
    status: GoalStatus
    achieved_on: date | None
    note: str
    overdue: bool = False


class AccountJourneyOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    phase: Phase | None
    phase_name: str | None
    phase_name_en: str | None
    entered_at: datetime | None
    entered_on: date | None
    days_in_phase: int | None
    target_days: int | None
    overdue: bool
    phases: list[AccountPhaseOut]
    history: list[HistoryOut]
    goals: list[GoalOut]


class StepCheck(BaseModel):
    """Check (``done: true``) or un-check a step by hand."""

    model_config = ConfigDict(extra="forbid")

    done: bool
    note: str = Field(default="", max_length=2000)


class PhaseMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: Phase
    reason: str = Field(min_length=1, max_length=2000)


# -- board and stalled ---------------------------------------------------------------------


class CardOut(BaseModel):
    account_id: uuid.UUID
    name: str
    tier: Tier | None
    csm_name: str | None
    phase: Phase
    entered_at: datetime | None
    entered_on: date | None
    days_in_phase: int | None
    target_days: int
    days_over: int | None
    overdue: bool
    steps_done: int
    steps_total: int
    first_open_step: str | None = Field(description="the first incomplete required step's key")
    first_open_step_name: str | None
    first_open_step_name_en: str | None


class ColumnOut(BaseModel):
    phase: Phase
    name: str
    name_en: str
    target_days: int
    count: int
    overdue: int
    cards: list[CardOut]


class BoardOut(BaseModel):
    columns: list[ColumnOut]
    limit: int


class StalledOut(BaseModel):
    items: list[CardOut]
    total: int
    page: int
    pages: int
