"""Renewals (更新) and mutual closing plans (MCP, seed 004 UPWARD ①).

A ``Renewal`` is one account × term end date: the subscription lines whose ``end_on`` is
that day, with the MRR at stake, the forecast category (suggested by the daily sync from
health, or set by a person) and, once the date has passed, the outcome read back from the
subscription lines. A ``ClosingPlan`` is the list of steps agreed with the customer for a
renewal, an expansion opportunity or an account; it can be shared read-only by a link
whose token is stored only as its SHA-256.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import str_enum


class RenewalForecast(StrEnum):
    COMMIT = "commit"
    LIKELY = "likely"
    AT_RISK = "at_risk"
    CHURN = "churn"


class RenewalOutcome(StrEnum):
    PENDING = "pending"
    RENEWED = "renewed"
    EXPANDED = "expanded"
    CONTRACTED = "contracted"
    CHURNED = "churned"


class ClosingPlanSide(StrEnum):
    OURS = "ours"
    CUSTOMER = "customer"


class ClosingStepStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class Renewal(IdMixin, TimestampMixin, Base):
    __tablename__ = "renewal"
    __table_args__ = (
        UniqueConstraint("account_id", "renews_on"),
        CheckConstraint("mrr_amount >= 0", name="mrr_non_negative"),
        CheckConstraint("forecast_mrr_amount >= 0", name="forecast_mrr_non_negative"),
        CheckConstraint(
            "actual_mrr_amount IS NULL OR actual_mrr_amount >= 0", name="actual_mrr_non_negative"
        ),
        Index("ix_renewal_outcome_renews_on", "outcome", "renews_on"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    # The term end date: the lines' ``end_on``, the first day they no longer count.
    renews_on: Mapped[date] = mapped_column(index=True)
    contract_ref: Mapped[str] = mapped_column(String(100), default="")
    # MRR of the lines ending that day (minor units of ``currency``).
    mrr_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    # The subscription lines at stake (ids as text), kept so that the outcome can be
    # settled even when a line's end date is later moved (an auto-renewal).
    line_ids: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    forecast: Mapped[RenewalForecast] = mapped_column(
        str_enum(RenewalForecast, "renewal_forecast"), default=RenewalForecast.LIKELY, index=True
    )
    # Expected MRR after the renewal (minor units of ``currency``).
    forecast_mrr_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    forecast_note: Mapped[str] = mapped_column(Text, default="")
    # Null: the forecast is the system's suggestion (the sync may still change it).
    forecast_set_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    forecast_set_at: Mapped[datetime | None]
    # What the sync suggests from health today, and why (codes with values).
    suggested_forecast: Mapped[RenewalForecast | None] = mapped_column(
        str_enum(RenewalForecast, "renewal_suggested_forecast")
    )
    suggestion_reasons: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    outcome: Mapped[RenewalOutcome] = mapped_column(
        str_enum(RenewalOutcome, "renewal_outcome"), default=RenewalOutcome.PENDING
    )
    actual_mrr_amount: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None]


class ClosingPlan(IdMixin, TimestampMixin, Base):
    __tablename__ = "closing_plan"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    renewal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("renewal.id", ondelete="SET NULL"), index=True
    )
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # The customer's outcome: what they want to have achieved (shared with them).
    goal: Mapped[str] = mapped_column(Text, default="")
    # Never shown on the share link or its PDF.
    internal_note: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    archived: Mapped[bool] = mapped_column(default=False)
    # The read-only share link: SHA-256 (hex) of its random token; null = not shared.
    share_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_language: Mapped[str] = mapped_column(String(8), default="ja")
    share_expires_at: Mapped[datetime | None]
    shared_at: Mapped[datetime | None]
    shared_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class ClosingPlanStep(IdMixin, TimestampMixin, Base):
    __tablename__ = "closing_plan_step"
    __table_args__ = (Index("ix_closing_plan_step_plan_position", "plan_id", "position"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("closing_plan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    side: Mapped[ClosingPlanSide] = mapped_column(
        str_enum(ClosingPlanSide, "closing_plan_side"), default=ClosingPlanSide.OURS
    )
    # Owner: one of our users, a customer contact, or a free name (first one set wins).
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    owner_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL")
    )
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None]
    status: Mapped[ClosingStepStatus] = mapped_column(
        str_enum(ClosingStepStatus, "closing_step_status"), default=ClosingStepStatus.PLANNED
    )
    done_on: Mapped[date | None]
    # Shown to the customer on the share link.
    note: Mapped[str] = mapped_column(Text, default="")
    # Ours only: never on the share link or its PDF.
    internal_note: Mapped[str] = mapped_column(Text, default="")
