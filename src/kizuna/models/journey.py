"""The success journey (サクセスジャーニー, C5): phases with target durations, steps with
completion criteria, each account's step completions and phase history, and the
customer's own outcome goals.

The three phases are the fixed ``Phase`` values (their order is fixed); their names and
target durations are configurable. Steps belong to a phase and are fully configurable.
``account.phase`` stays the account's current phase; ``journey_phase_history`` records
when it entered and left each phase and who or what moved it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.kit.clock import utc_now


class JourneyPhase(Base):
    """A phase's display names and target duration (one row per ``Phase`` value)."""

    __tablename__ = "journey_phase"

    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    target_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class JourneyStep(IdMixin, TimestampMixin, Base):
    """One step of a phase. ``criteria`` is a condition over facts (``facts.conditions``);
    None means the step is completed by hand only (``manual`` must then be true)."""

    __tablename__ = "journey_step"
    __table_args__ = (Index("ix_journey_step_phase_position", "phase", "position"),)

    key: Mapped[str] = mapped_column(String(64), unique=True)
    phase: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=True)
    manual: Mapped[bool] = mapped_column(default=True)
    criteria: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)


class AccountJourneyStep(Base):
    """An account's state of one step. Completion is sticky: once ``done`` it stays done
    until someone un-checks it by hand (then ``reopened_at`` is set and only a manual check
    completes it again). ``evidence`` holds the checks that passed (``explain``)."""

    __tablename__ = "account_journey_step"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journey_step.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    done: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    completed_by_system: Mapped[str | None] = mapped_column(String(64))
    # {"checks": [{fact, op, value, actual, passed}], "note": "..."}
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reopened_at: Mapped[datetime | None]
    reopened_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class JourneyPhaseHistory(IdMixin, Base):
    """A stay of an account in a phase; the open row (``exited_at`` None) is the current one.

    ``moved_by_id`` is the user who moved it; ``moved_by_system`` names what did when no
    user did (``journey``, ``playbook:<key>``, ``import``, ``account``, ``estimate``)."""

    __tablename__ = "journey_phase_history"
    __table_args__ = (
        Index("ix_journey_phase_history_account_entered", "account_id", "entered_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(16))
    entered_at: Mapped[datetime]
    exited_at: Mapped[datetime | None] = mapped_column(index=True)
    moved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    moved_by_system: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")


class AccountGoal(IdMixin, TimestampMixin, Base):
    """A customer-outcome milestone (seed 002): the customer's own business result, e.g.
    "overtime hours −20% by March", shown beside the vendor-side phases."""

    __tablename__ = "account_goal"
    __table_args__ = (UniqueConstraint("account_id", "title"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(200), default="")
    target_value: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned|achieved|missed
    achieved_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
