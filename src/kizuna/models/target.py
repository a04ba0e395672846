"""Sales targets (C8 item 4, seed 004 UPWARD).

A *target* is a value for one period (month, fiscal quarter, fiscal half, fiscal year) ×
lead source × metric (created amount — the KPI, won amount — the check, or lead count —
the ヤプリ way). It is split to teams (``SalesTargetTeam``) and each team's part to its
members (``SalesTargetMember``), evenly or by weight; the split is integer arithmetic that
always sums exactly to the parent (``kizuna.target.split``).

The period is stored as dates (``starts_on``…``ends_on``, inclusive) so attainment queries
never depend on the fiscal-year setting; the label (``2026-Q3``) is derived from the dates
and the setting when shown.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.kit.clock import utc_now
from kizuna.models.enums import LeadSource, str_enum


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"  # the fiscal year


class TargetMetric(StrEnum):
    CREATED_AMOUNT = "created_amount"  # 商談創出金額: the KPI (seed 004 UPWARD)
    WON_AMOUNT = "won_amount"  # 受注金額: the check
    LEAD_COUNT = "lead_count"  # アップセルリードのパス数 (seed 004 ヤプリ)


class SplitMode(StrEnum):
    EVEN = "even"
    WEIGHTED = "weighted"  # by the stored weights (FTE, or set by hand)
    HEADCOUNT = "headcount"  # teams only: weight = active members


class TargetSettings(Base):
    """The single row of target settings (``id`` is always 1)."""

    __tablename__ = "target_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    # Japanese companies mostly start the fiscal year in April.
    fiscal_year_start_month: Mapped[int] = mapped_column(default=4)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class SalesTarget(IdMixin, TimestampMixin, Base):
    __tablename__ = "sales_target"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="period_order"),
        Index(
            "uq_sales_target_period_source_metric",
            "period_kind",
            "starts_on",
            "lead_source",
            "metric",
            unique=True,
        ),
    )

    period_kind: Mapped[PeriodKind] = mapped_column(str_enum(PeriodKind, "target_period_kind"))
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date]
    lead_source: Mapped[LeadSource] = mapped_column(str_enum(LeadSource, "lead_source"))
    metric: Mapped[TargetMetric] = mapped_column(
        str_enum(TargetMetric, "target_metric"), default=TargetMetric.CREATED_AMOUNT
    )
    # Minor units of ``currency`` for amounts; a plain count for lead_count (currency None).
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    team_split: Mapped[SplitMode] = mapped_column(
        str_enum(SplitMode, "target_split"), default=SplitMode.EVEN
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class SalesTargetTeam(IdMixin, TimestampMixin, Base):
    """A team's part of a target. ``value`` is what the split gave it (or the override)."""

    __tablename__ = "sales_target_team"
    __table_args__ = (UniqueConstraint("target_id", "team_id"),)

    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales_target.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), index=True
    )
    weight: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(1))
    weight_manual: Mapped[bool] = mapped_column(default=False)
    override_value: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    member_split: Mapped[SplitMode] = mapped_column(
        str_enum(SplitMode, "target_split"), default=SplitMode.EVEN
    )


class SalesTargetMember(IdMixin, TimestampMixin, Base):
    """A person's part of their team's part."""

    __tablename__ = "sales_target_member"
    __table_args__ = (UniqueConstraint("target_id", "user_id"),)

    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales_target.id", ondelete="CASCADE"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    weight: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(1))
    weight_manual: Mapped[bool] = mapped_column(default=False)
    override_value: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
