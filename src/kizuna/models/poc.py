"""PoC tracker (C8, seed 004 UPWARD ③PoCの実施, ④トライアルやPoCの実施).

A PoC has a purpose ("what should it resolve"), success criteria, dates, an owner (the
CSM whose special mission it is), the target accounts the CSM chose (with participants,
the measured result per criterion and an outcome), a decision, and the product feedback
it produced. Status flow: planned → running → evaluating → decided; cancelled from any
open state (rules in ``kizuna.poc.rules``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import str_enum


class PocStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    EVALUATING = "evaluating"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class PocDecision(StrEnum):
    ADOPT = "adopt"
    EXTEND = "extend"
    STOP = "stop"


class PocOutcome(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not_met"


class Poc(IdMixin, TimestampMixin, Base):
    __tablename__ = "poc"

    name: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(Text, default="")
    # [{"key": "c1", "criterion": str, "target": str, "measure": str}, ...]; keys are
    # stable so that the accounts' results stay attached when criteria are edited.
    success_criteria: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    status: Mapped[PocStatus] = mapped_column(
        str_enum(PocStatus, "poc_status"), default=PocStatus.PLANNED, index=True
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    decision: Mapped[PocDecision | None] = mapped_column(str_enum(PocDecision, "poc_decision"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class PocAccount(IdMixin, TimestampMixin, Base):
    """A target account of a PoC, chosen by the CSM."""

    __tablename__ = "poc_account"
    __table_args__ = (UniqueConstraint("poc_id", "account_id"),)

    poc_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("poc.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    # [{"contact_id": "<uuid>" | None, "name": str}, ...]
    participants: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    # {"<criterion key>": "measured result", ...}
    results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[PocOutcome | None] = mapped_column(str_enum(PocOutcome, "poc_outcome"))
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class PocFeedback(IdMixin, TimestampMixin, Base):
    """A product feedback item a PoC produced, and when it was sent to the product team."""

    __tablename__ = "poc_feedback"

    poc_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("poc.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
