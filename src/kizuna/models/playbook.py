"""Playbooks (C7): when / who / what / how rules, their versions, and what they did.

A ``Playbook`` is the stable identity (key, name, team it routes to, status); its rules are
in ``PlaybookVersion.definition`` (validated by ``playbook/definition.py``). Editing a
published playbook makes a draft version n+1; publishing it retires the old one.

The engine keeps, per playbook, the accounts for which the trigger condition held at the
last evaluation (``PlaybookMatchSet``; absent = false or unknown), so condition triggers fire
on the edge only. ``PlaybookFiring`` is one firing for one account (with the why),
``PlaybookRun`` one evaluation, ``PlaybookSnooze`` "don't fire for this account until".
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.kit.clock import utc_now
from kizuna.models.enums import str_enum


class PlaybookStatus(StrEnum):
    DRAFT = "draft"  # never published
    ACTIVE = "active"  # published and evaluated
    PAUSED = "paused"  # published but not evaluated
    ARCHIVED = "archived"  # kept for history only


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Playbook(IdMixin, TimestampMixin, Base):
    __tablename__ = "playbook"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PlaybookStatus] = mapped_column(
        str_enum(PlaybookStatus, "playbook_status"), default=PlaybookStatus.DRAFT
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    # Engine bookkeeping: which version's trigger the stored matches belong to, when the
    # playbook was last evaluated, and up to when domain events have been read.
    state_version: Mapped[int | None] = mapped_column(Integer)
    evaluated_at: Mapped[datetime | None]
    evaluated_on: Mapped[date | None]
    events_until: Mapped[datetime | None]


class PlaybookVersion(IdMixin, TimestampMixin, Base):
    __tablename__ = "playbook_version"
    __table_args__ = (UniqueConstraint("playbook_id", "number"),)

    playbook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus, "playbook_version_status"), default=VersionStatus.DRAFT
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]


class PlaybookMatchSet(Base):
    """The accounts for which the trigger condition held at the last evaluation: their
    16-byte ids, concatenated. One row per playbook rather than one per playbook ×
    account: a first evaluation of 50 playbooks over 10 k accounts wrote ~90 k match rows,
    a large part of its time. Ids of deleted accounts are ignored when read."""

    __tablename__ = "playbook_match_set"

    playbook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), primary_key=True
    )
    accounts: Mapped[bytes] = mapped_column(LargeBinary)
    count: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class PlaybookSnooze(Base):
    """Don't fire this playbook for this account before ``until`` (a local date)."""

    __tablename__ = "playbook_snooze"

    playbook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playbook.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PlaybookRun(IdMixin, Base):
    """One evaluation (all active playbooks, or the ones asked for)."""

    __tablename__ = "playbook_run"

    started_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    origin: Mapped[str] = mapped_column(String(32), default="schedule")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    playbooks: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    tasks_created: Mapped[int] = mapped_column(Integer, default=0)
    # {playbook id: {"fired": n, "skipped_open": n, ...}} and [{"playbook": key, "error": …}]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)


class PlaybookFiring(IdMixin, Base):
    """The playbook fired for an account: why, and what its actions did."""

    __tablename__ = "playbook_firing"
    __table_args__ = (
        Index("ix_playbook_firing_playbook_account", "playbook_id", "account_id", "fired_at"),
    )

    playbook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("playbook_run.id", ondelete="SET NULL"), index=True
    )
    fired_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    why: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(default=dict)
