"""API shapes of hand-offs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from kizuna.kit.money import MAX_AMOUNT
from kizuna.models.handoff import HandoffStatus

_TEXT = 20_000
_NAME = 200


class KeyPerson(BaseModel):
    name: str = Field(min_length=1, max_length=_NAME)
    title: str = Field(default="", max_length=_NAME)
    role: str = Field(default="", max_length=_NAME, description="their part in the deal")
    contact_id: uuid.UUID | None = Field(default=None, description="a contact of the account")


class HandoffContent(BaseModel):
    """What sales writes down; every field optional here (submitting checks the required)."""

    mrr_amount: int = Field(default=0, ge=0, le=MAX_AMOUNT, description="minor units")
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="defaults to the account's currency"
    )
    purpose: str = Field(default="", max_length=_TEXT, description="purpose of adoption")
    success_criteria: str = Field(default="", max_length=_TEXT)
    promises: str = Field(
        default="", max_length=_TEXT, description="promises and expectations set in the sale"
    )
    decision_maker_contact_id: uuid.UUID | None = None
    decision_maker_name: str = Field(default="", max_length=_NAME)
    decision_maker_title: str = Field(default="", max_length=_NAME)
    key_people: list[KeyPerson] = Field(default_factory=list, max_length=50)
    expansion_departments: str = Field(default="", max_length=_TEXT)
    expansion_headcount: int | None = Field(default=None, ge=0, le=10_000_000)
    expansion_products: list[str] = Field(
        default_factory=list, max_length=50, description="product codes"
    )
    risks: str = Field(default="", max_length=_TEXT)
    sales_history: str = Field(
        default="", max_length=_TEXT, description="how the deal went: competitors, objections"
    )


class HandoffCreate(HandoffContent):
    """A won deal's hand-off. The account: ``account_id``, or ``account_name`` to create
    one. ``submit`` submits it at once (the required fields must then be filled)."""

    account_id: uuid.UUID | None = None
    account_name: str | None = Field(default=None, min_length=1, max_length=200)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    deal_name: str = Field(min_length=1, max_length=300)
    won_on: date
    sales_owner_id: uuid.UUID | None = Field(default=None, description="defaults to you")
    submit: bool = False


class HandoffUpdate(BaseModel):
    """Partial update while draft or returned: only the fields sent change."""

    deal_name: str | None = Field(default=None, min_length=1, max_length=300)
    won_on: date | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    sales_owner_id: uuid.UUID | None = None
    mrr_amount: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    purpose: str | None = Field(default=None, max_length=_TEXT)
    success_criteria: str | None = Field(default=None, max_length=_TEXT)
    promises: str | None = Field(default=None, max_length=_TEXT)
    decision_maker_contact_id: uuid.UUID | None = None
    decision_maker_name: str | None = Field(default=None, max_length=_NAME)
    decision_maker_title: str | None = Field(default=None, max_length=_NAME)
    key_people: list[KeyPerson] | None = Field(default=None, max_length=50)
    expansion_departments: str | None = Field(default=None, max_length=_TEXT)
    expansion_headcount: int | None = Field(default=None, ge=0, le=10_000_000)
    expansion_products: list[str] | None = Field(default=None, max_length=50)
    risks: str | None = Field(default=None, max_length=_TEXT)
    sales_history: str | None = Field(default=None, max_length=_TEXT)


class HandoffReturn(BaseModel):
    reason: str = Field(max_length=_TEXT, description="required: what sales should fix")


class Tab(StrEnum):
    REVIEW = "review"  # submitted, waiting for CS
    RETURNED = "returned"
    DRAFTS = "drafts"
    ACCEPTED = "accepted"
    ALL = "all"


TAB_STATUS: dict[Tab, HandoffStatus | None] = {
    Tab.REVIEW: HandoffStatus.SUBMITTED,
    Tab.RETURNED: HandoffStatus.RETURNED,
    Tab.DRAFTS: HandoffStatus.DRAFT,
    Tab.ACCEPTED: HandoffStatus.ACCEPTED,
    Tab.ALL: None,
}


class HandoffFilters(BaseModel):
    tab: Tab = Tab.ALL
    account_id: uuid.UUID | None = None
    sales_owner_id: uuid.UUID | None = None
    won_from: date | None = Field(default=None, description="won on or after")
    won_to: date | None = Field(default=None, description="won on or before")


class Transition(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID | None
    actor_name: str
    reason: str
    completeness: int
    occurred_at: datetime


class HandoffOut(HandoffContent):
    id: uuid.UUID
    external_id: str | None
    account_id: uuid.UUID
    account_name: str
    deal_name: str
    won_on: date
    currency: str | None
    sales_owner_id: uuid.UUID | None
    sales_owner_name: str | None
    decision_maker_contact_name: str | None
    status: HandoffStatus
    completeness: int = Field(description="percent of the content fields filled")
    filled: dict[str, bool]
    required_fields: list[str]
    missing_fields: list[str] = Field(description="required fields not filled yet")
    completeness_at_submission: int | None
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    submitted_by_id: uuid.UUID | None
    accepted_at: datetime | None
    accepted_by_id: uuid.UUID | None
    returned_at: datetime | None
    return_reason: str
    returns_count: int
    hours_to_accept_first: float | None
    hours_to_accept_last: float | None
    actions: list[str] = Field(description="what can be done next in this status")
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    history: list[Transition] = Field(default_factory=list)


class HandoffSettingsOut(BaseModel):
    fields: list[str] = Field(description="every field that can be required, in order")
    required_fields: list[str]
    updated_at: datetime | None


class HandoffSettingsIn(BaseModel):
    required_fields: list[str] = Field(max_length=20)


class MetricsOut(BaseModel):
    count: int
    submitted: int
    accepted: int
    waiting: int
    returned_once: int
    median_hours_to_accept: float | None
    median_hours_to_accept_last: float | None
    average_completeness: float | None
    share_returned: float | None


class OwnerMetrics(MetricsOut):
    sales_owner_id: uuid.UUID | None
    sales_owner_name: str | None


class MetricsReport(BaseModel):
    won_from: date | None
    won_to: date | None
    total: MetricsOut
    owners: list[OwnerMetrics]


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    submitted: int
    ids: list[uuid.UUID]
