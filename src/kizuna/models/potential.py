"""Expansion potential (C8, seed 004 UPWARD ①ポテンシャル情報の整理).

One row per account × product (options and add-ons included): how much more the account
could buy of it, how sure the CSM is, when, and why. The *live* evidence (seat
utilisation, health, days to renewal) is computed when shown, never stored.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import str_enum


class PotentialConfidence(StrEnum):
    """How likely the potential is to turn into business: low 20 %, medium 50 %, high 80 %."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# Weight of each confidence level in per cent (weighted totals use these).
CONFIDENCE_PERCENT: dict[PotentialConfidence, int] = {
    PotentialConfidence.LOW: 20,
    PotentialConfidence.MEDIUM: 50,
    PotentialConfidence.HIGH: 80,
}


expansion_potential_activity = Table(
    "expansion_potential_activity",
    Base.metadata,
    Column(
        "potential_id",
        ForeignKey("expansion_potential.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class ExpansionPotential(IdMixin, TimestampMixin, Base):
    __tablename__ = "expansion_potential"
    __table_args__ = (
        UniqueConstraint("account_id", "product_id"),
        CheckConstraint("mrr_amount >= 0", name="mrr_non_negative"),
        CheckConstraint("seats IS NULL OR seats >= 0", name="seats_non_negative"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    seats: Mapped[int | None]
    # Potential monthly recurring amount, in minor units of ``currency``.
    mrr_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    confidence: Mapped[PotentialConfidence] = mapped_column(
        str_enum(PotentialConfidence, "potential_confidence")
    )
    # The month the proposal is expected to land: always the first day of that month.
    expected_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
