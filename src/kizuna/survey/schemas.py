"""API shapes of survey answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import SurveyKind
from kizuna.survey.scoring import NpsCategory


class SurveyResponseCreate(BaseModel):
    account_id: uuid.UUID
    contact_id: uuid.UUID | None = Field(default=None, description="a contact of the account")
    kind: SurveyKind
    score: int = Field(description="NPS 0–10, CSAT 1–5")
    comment: str = Field(default="", max_length=20_000)
    responded_on: date | None = Field(default=None, description="defaults to today")
    external_id: str | None = Field(default=None, max_length=100)


class SurveyResponseUpdate(BaseModel):
    """Partial update: only the fields sent are changed."""

    contact_id: uuid.UUID | None = None
    kind: SurveyKind | None = None
    score: int | None = None
    comment: str | None = Field(default=None, max_length=20_000)
    responded_on: date | None = None
    external_id: str | None = Field(default=None, max_length=100)


class SurveyResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    contact_id: uuid.UUID | None
    contact_name: str | None
    kind: SurveyKind
    score: int
    category: NpsCategory | None = Field(description="NPS only: promoter, passive, detractor")
    comment: str
    responded_on: date
    external_id: str | None
    created_at: datetime
    updated_at: datetime


class SurveyResponseFilters(BaseModel):
    """Filters shared by the API list and the survey pages."""

    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    kind: SurveyKind | None = None
    responded_from: date | None = Field(default=None, description="on or after")
    responded_to: date | None = Field(default=None, description="on or before")
