"""Tasks (C7): work routed to a person or a team queue, with a due date and an outcome.

Tasks are created by hand (``source = "manual"``) or by the playbook engine
(``source = "playbook"``, which inserts rows itself in bulk). The partial unique index
keeps at most one *open* task per account × playbook; done or cancelled ones don't block.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import str_enum


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


_OPEN_PLAYBOOK_TASK = text("status = 'open' AND playbook_id IS NOT NULL")


class Task(IdMixin, TimestampMixin, Base):
    __tablename__ = "task"
    __table_args__ = (
        # One open task per account × playbook: the playbook engine relies on it to dedupe.
        Index(
            "uq_task_open_playbook",
            "account_id",
            "playbook_id",
            unique=True,
            sqlite_where=_OPEN_PLAYBOOK_TASK,
            postgresql_where=_OPEN_PLAYBOOK_TASK,
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Checklist: [{"title": str, "done": bool}, ...]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN, index=True
    )
    priority: Mapped[TaskPriority] = mapped_column(
        str_enum(TaskPriority, "task_priority"), default=TaskPriority.NORMAL
    )
    due_on: Mapped[date | None] = mapped_column(index=True)
    snoozed_until: Mapped[date | None]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    playbook_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("playbook.id", ondelete="SET NULL"), index=True
    )
    playbook_version: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | playbook
    # "Why did this fire": trigger, each check with its actual value (playbook engine).
    why: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    activity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
