"""The durable job queue: work that runs outside a request (imports, later schedules)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin
from kizuna.models.enums import str_enum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(IdMixin, Base):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_claim", "status", "run_after", "priority"),
        # At most one running job per singleton key: the database itself refuses a second
        # (see queue.service.claim), also with several workers on PostgreSQL.
        Index(
            "uq_job_singleton_running",
            "singleton_key",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    name: Mapped[str] = mapped_column(String(100))  # dotted handler name, e.g. importing.run
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    priority: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    # Jobs sharing a singleton key never run at the same time (recurring jobs use their name).
    singleton_key: Mapped[str | None] = mapped_column(String(100))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    progress_note: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
