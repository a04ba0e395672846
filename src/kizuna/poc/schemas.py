"""API shapes of the PoC tracker."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from kizuna.models.poc import PocDecision, PocOutcome, PocStatus


class Criterion(BaseModel):
    """A success criterion. ``key`` is kept when criteria are edited (results hang off it);
    leave it out for a new criterion."""

    key: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,32}$")
    criterion: str = Field(min_length=1, max_length=500)
    target: str = Field(default="", max_length=500)
    measure: str = Field(default="", max_length=500, description="how it is measured")


class PocFields(BaseModel):
    purpose: str = Field(default="", max_length=20_000, description="what the PoC should resolve")
    product_id: uuid.UUID | None = None
    success_criteria: list[Criterion] = Field(default_factory=list, max_length=30)
    starts_on: date | None = None
    ends_on: date | None = None
    owner_id: uuid.UUID | None = Field(default=None, description="the CSM; defaults to you")

    @model_validator(mode="after")
    def _dates(self) -> PocFields:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class PocCreate(PocFields):
    name: str = Field(min_length=1, max_length=200)


class PocUpdate(BaseModel):
    """Partial update; ``success_criteria``, when sent, replaces the list (send ``key`` to
    keep a criterion and its results)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: str | None = Field(default=None, max_length=20_000)
    product_id: uuid.UUID | None = None
    success_criteria: list[Criterion] | None = Field(default=None, max_length=30)
    starts_on: date | None = None
    ends_on: date | None = None
    owner_id: uuid.UUID | None = None


class Transition(BaseModel):
    """Move to ``status``; ``decided`` needs ``decision`` and ``note``; ``cancelled`` takes
    the reason as ``note``."""

    status: PocStatus
    decision: PocDecision | None = None
    note: str = Field(default="", max_length=20_000)


class Participant(BaseModel):
    """A contact of the account (``contact_id``) or just a name."""

    contact_id: uuid.UUID | None = None
    name: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _someone(self) -> Participant:
        if self.contact_id is None and not self.name.strip():
            raise ValueError("give a contact or a name")
        return self


class PocAccountIn(BaseModel):
    account_id: uuid.UUID
    reason: str = Field(default="", max_length=20_000, description="why this account was chosen")
    participants: list[Participant] = Field(default_factory=list, max_length=50)


class PocAccountUpdate(BaseModel):
    reason: str | None = Field(default=None, max_length=20_000)
    participants: list[Participant] | None = Field(default=None, max_length=50)


class ResultIn(BaseModel):
    """Measured results by criterion key (merged into those recorded; an empty text clears
    one) and the account's outcome."""

    results: dict[str, str] = Field(default_factory=dict)
    outcome: PocOutcome | None = None


class FeedbackIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    sent_on: date | None = Field(default=None, description="when it was sent to product")


class ParticipantOut(BaseModel):
    contact_id: uuid.UUID | None
    name: str


class PocAccountOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    reason: str
    participants: list[ParticipantOut]
    results: dict[str, str]
    outcome: PocOutcome | None
    added_by_name: str | None
    created_at: datetime


class FeedbackOut(BaseModel):
    id: uuid.UUID
    text: str
    sent_on: date | None
    created_by_name: str | None
    created_at: datetime


class CriterionOut(BaseModel):
    key: str
    criterion: str
    target: str
    measure: str


class PocSummary(BaseModel):
    id: uuid.UUID
    name: str
    product_id: uuid.UUID | None
    product_name: str | None
    status: PocStatus
    starts_on: date | None
    ends_on: date | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    decision: PocDecision | None
    account_count: int
    feedback_count: int
    created_at: datetime
    updated_at: datetime


class PocOut(PocSummary):
    purpose: str
    success_criteria: list[CriterionOut]
    decision_note: str
    decided_at: datetime | None
    decided_by_name: str | None
    cancel_reason: str
    created_by_name: str | None
    accounts: list[PocAccountOut]
    feedback: list[FeedbackOut]
    next_statuses: list[PocStatus]


class PocFilters(BaseModel):
    status: PocStatus | None = None
    owner_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = Field(default=None, description="PoCs this account is in")


class OwnerCount(BaseModel):
    """PoCs per CSM (seed 004: a special mission reflected in evaluation)."""

    owner_id: uuid.UUID | None
    owner_name: str | None
    total: int
    open: int
    decided: int
    adopted: int
    cancelled: int


class PocList(BaseModel):
    items: list[PocSummary]
    by_status: dict[str, int]
    by_owner: list[OwnerCount]
