"""Hand-offs at close (C8 item 1, seed 002): what sales learnt, passed to customer success.

One record per won deal. Sales fills it (draft), submits it; CS accepts it (final: the
purpose, success criteria and expansion room are copied to the account and onboarding
starts through the ``handoff.accepted`` event) or returns it with a reason, after which
sales edits and submits again. Every status change is a :class:`HandoffTransition`.

``completeness`` (percent of the configurable content fields filled) is stored on every
save; ``completeness_at_submission`` at the last submission. Time to accept is measured
from ``first_submitted_at`` (first submission) and ``submitted_at`` (last submission).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.kit.clock import utc_now
from kizuna.models.enums import str_enum


class HandoffStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class Handoff(IdMixin, TimestampMixin, Base):
    __tablename__ = "handoff"
    __table_args__ = (
        Index("ix_handoff_status_submitted_at", "status", "submitted_at"),
        CheckConstraint("mrr_amount >= 0", name="mrr_not_negative"),
        CheckConstraint("completeness >= 0 AND completeness <= 100", name="completeness_range"),
    )

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    deal_name: Mapped[str] = mapped_column(String(300))
    won_on: Mapped[date] = mapped_column(index=True)
    mrr_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    sales_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    purpose: Mapped[str] = mapped_column(Text, default="")
    success_criteria: Mapped[str] = mapped_column(Text, default="")
    promises: Mapped[str] = mapped_column(Text, default="")
    # The decision maker: a contact of the account, or a name + title not yet a contact.
    decision_maker_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL")
    )
    decision_maker_name: Mapped[str] = mapped_column(String(200), default="")
    decision_maker_title: Mapped[str] = mapped_column(String(200), default="")
    # [{"name": str, "title": str, "role": str, "contact_id": str | None}, ...]
    key_people: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    # Expansion room inside the customer: departments (free text), headcount, product codes.
    expansion_departments: Mapped[str] = mapped_column(Text, default="")
    expansion_headcount: Mapped[int | None]
    expansion_products: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    risks: Mapped[str] = mapped_column(Text, default="")
    sales_history: Mapped[str] = mapped_column(Text, default="")

    status: Mapped[HandoffStatus] = mapped_column(
        str_enum(HandoffStatus, "handoff_status"), default=HandoffStatus.DRAFT, index=True
    )
    completeness: Mapped[int] = mapped_column(default=0)
    completeness_at_submission: Mapped[int | None]
    first_submitted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(index=True)
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str] = mapped_column(Text, default="")
    returns_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class HandoffTransition(IdMixin, Base):
    """One status change: who, when, from → to, and the reason (returns)."""

    __tablename__ = "handoff_transition"

    handoff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("handoff.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    completeness: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)


class HandoffSettings(Base):
    """The single row of hand-off settings (``id`` is always 1)."""

    __tablename__ = "handoff_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
    # Field keys (kizuna.handoff.fields.FIELDS) required to submit.
    required_fields: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
