"""Survey answers: NPS (0–10) and CSAT (1–5)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.contact import Contact
from kizuna.models.enums import SurveyKind, str_enum


class SurveyResponse(IdMixin, TimestampMixin, Base):
    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'nps' AND score BETWEEN 0 AND 10)"
            " OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name="score_in_range",
        ),
        Index("ix_survey_response_account_responded", "account_id", "responded_on"),
    )

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    responded_on: Mapped[date]

    contact: Mapped[Contact | None] = relationship(lazy="raise")
