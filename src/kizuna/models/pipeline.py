"""Upsell leads and opportunities (C8 item 3).

A CSM passes a *lead* (product, estimated monthly amount, reason, evidence) to an AE or
a team; sales accepts it within an SLA (which creates an *opportunity*, credited to the
CSM) or rejects it with a reason. Opportunities are also created directly (sales,
marketing, partner sources) and move through stages; a won opportunity writes a
subscription line. ``amount`` is always the monthly recurring amount the deal adds, in
minor units of ``currency``.

``lead.opportunity_id`` and ``opportunity.lead_id`` point at each other; the former is
created after both tables exist (``use_alter``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.kit.clock import utc_now
from kizuna.models.enums import LeadSource, str_enum


class LeadStatus(StrEnum):
    PASSED = "passed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class OpportunityKind(StrEnum):
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"


class OpportunityStage(StrEnum):
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class CsMeasure(StrEnum):
    """What CS is measured on (seed 004): ヤプリ counts leads, UPWARD the created amount."""

    LEAD_COUNT = "lead_count"
    AMOUNT = "amount"


class Lead(IdMixin, TimestampMixin, Base):
    """An upsell lead passed by a CSM to an AE (``assignee_id``) or a team."""

    __tablename__ = "lead"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_lead_status_sla_due_at", "status", "sla_due_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    # Estimated monthly recurring amount, minor units.
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    # Ids (as strings) of the account's activities picked as evidence.
    activity_ids: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    passed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    passed_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    assignee_team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[LeadStatus] = mapped_column(
        str_enum(LeadStatus, "lead_status"), default=LeadStatus.PASSED, index=True
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    sla_due_at: Mapped[datetime]
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunity.id", ondelete="SET NULL", use_alter=True), index=True
    )


class Opportunity(IdMixin, TimestampMixin, Base):
    """A deal to expand an account; ``created_by_id`` is who gets the credit for creating
    it (the CSM who passed the lead), ``owner_id`` the AE working it."""

    __tablename__ = "opportunity"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_non_negative"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[OpportunityKind] = mapped_column(
        str_enum(OpportunityKind, "opportunity_kind"), default=OpportunityKind.UPSELL
    )
    stage: Mapped[OpportunityStage] = mapped_column(
        str_enum(OpportunityStage, "opportunity_stage"),
        default=OpportunityStage.QUALIFICATION,
        index=True,
    )
    # Monthly recurring amount the deal adds, minor units.
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    quantity: Mapped[int | None]
    # Expected close date while open; the actual one once won or lost.
    close_on: Mapped[date] = mapped_column(index=True)
    lead_source: Mapped[LeadSource] = mapped_column(str_enum(LeadSource, "lead_source"), index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    lost_reason: Mapped[str] = mapped_column(Text, default="")
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="SET NULL")
    )


class OpportunityStageChange(IdMixin, Base):
    """One stage move of an opportunity (the first row has no ``from_stage``)."""

    __tablename__ = "opportunity_stage_change"

    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[OpportunityStage | None] = mapped_column(
        str_enum(OpportunityStage, "opportunity_from_stage")
    )
    to_stage: Mapped[OpportunityStage] = mapped_column(
        str_enum(OpportunityStage, "opportunity_to_stage")
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class PipelineSettings(Base):
    """The single row of pipeline settings (``id`` is always 1)."""

    __tablename__ = "pipeline_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    cs_measure: Mapped[CsMeasure] = mapped_column(
        str_enum(CsMeasure, "cs_measure"), default=CsMeasure.LEAD_COUNT
    )
    lead_sla_hours: Mapped[int] = mapped_column(default=48)
    sla_business_days_only: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
