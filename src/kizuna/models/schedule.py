"""Recurring jobs (the scheduler): one row per schedule, with the outcome of its last run.

A schedule says which job to queue (``job_name`` + ``payload``) and when: daily at a local
time, weekly on a weekday at a local time, or every N minutes. ``next_run_at`` is the next
instant it is due (aware UTC); the scheduler's tick advances it with a conditional
``UPDATE`` and queues the job in the same transaction. The ``last_*`` columns are written
by the worker when a run of the schedule's job starts and ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import str_enum


class CadenceKind(StrEnum):
    DAILY = "daily"  # every day at at_time (local time in zone)
    WEEKLY = "weekly"  # on weekday (0 = Monday) at at_time
    INTERVAL = "interval"  # every every_minutes minutes


class RunStatus(StrEnum):
    """The state of a schedule's last run, as the worker saw it."""

    RUNNING = "running"
    DONE = "done"
    RETRYING = "retrying"  # failed; the queue will try again after a backoff
    FAILED = "failed"  # failed for good
    CANCELLED = "cancelled"  # cancelled (or taken over) while running: outcome discarded


class Schedule(IdMixin, TimestampMixin, Base):
    __tablename__ = "schedule"

    key: Mapped[str] = mapped_column(String(100), unique=True)
    job_name: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cadence: Mapped[CadenceKind] = mapped_column(str_enum(CadenceKind, "schedule_cadence"))
    at_time: Mapped[time | None]  # daily and weekly: local wall-clock time
    weekday: Mapped[int | None] = mapped_column(Integer)  # weekly: 0 = Monday … 6 = Sunday
    every_minutes: Mapped[int | None] = mapped_column(Integer)  # interval
    zone: Mapped[str] = mapped_column(String(64))  # IANA zone of at_time, e.g. Asia/Tokyo
    enabled: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[datetime]
    last_job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    last_enqueued_at: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[RunStatus | None] = mapped_column(
        str_enum(RunStatus, "schedule_run_status")
    )
    last_duration_seconds: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str] = mapped_column(Text, default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
