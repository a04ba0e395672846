"""API shapes of schedules and job runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.job import Job
from kizuna.models.schedule import Schedule
from kizuna.scheduler.cadence import describe
from kizuna.scheduler.service import cadence_of

ERROR_TAIL_LINES = 3


class ScheduleOut(BaseModel):
    """A recurring job: what runs, when, and how its last run went."""

    key: str
    job_name: str
    payload: dict[str, Any]
    cadence: str = Field(description="daily | weekly | interval")
    at: str | None = Field(description="daily/weekly: local time HH:MM in `zone`")
    weekday: int | None = Field(description="weekly: 0 = Monday … 6 = Sunday")
    every_minutes: int | None = Field(description="interval: minutes between runs")
    zone: str
    description: str = Field(description="the cadence in English words")
    enabled: bool
    next_run_at: datetime = Field(description="when the tick queues the next run (UTC)")
    last_job_id: uuid.UUID | None = Field(description="the job most recently queued for it")
    last_enqueued_at: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None = Field(description="running | done | retrying | failed | cancelled")
    last_duration_seconds: float | None
    last_error: str = Field(description="the last failure's traceback tail; empty after a success")
    consecutive_failures: int

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleOut:
        cadence = cadence_of(schedule)
        return cls(
            key=schedule.key,
            job_name=schedule.job_name,
            payload=schedule.payload,
            cadence=schedule.cadence.value,
            at=schedule.at_time.strftime("%H:%M") if schedule.at_time else None,
            weekday=schedule.weekday,
            every_minutes=schedule.every_minutes,
            zone=schedule.zone,
            description=describe(cadence),
            enabled=schedule.enabled,
            next_run_at=schedule.next_run_at,
            last_job_id=schedule.last_job_id,
            last_enqueued_at=schedule.last_enqueued_at,
            last_started_at=schedule.last_started_at,
            last_finished_at=schedule.last_finished_at,
            last_status=schedule.last_status.value if schedule.last_status else None,
            last_duration_seconds=schedule.last_duration_seconds,
            last_error=schedule.last_error,
            consecutive_failures=schedule.consecutive_failures,
        )


class ScheduleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="false pauses the schedule, true resumes it")


class RunQueued(BaseModel):
    job_id: uuid.UUID
    run_after: datetime


class JobRunOut(BaseModel):
    """One job run (any job, scheduled or not)."""

    id: uuid.UUID
    name: str
    status: str = Field(description="queued | running | done | failed | cancelled")
    attempts: int
    max_attempts: int
    singleton_key: str | None
    run_after: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None = Field(description="finished − started, when both are set")
    worker: str | None = Field(description="host:pid:random of the worker that ran it")
    progress_done: int
    progress_total: int | None
    progress_note: str
    error_tail: str = Field(description="the last lines of the error")

    @classmethod
    def of(cls, job: Job) -> JobRunOut:
        return cls(**_run_fields(job))


class JobRunDetail(JobRunOut):
    """A job run with its payload, result and whole stored error."""

    payload: dict[str, Any]
    result: dict[str, Any]
    error: str

    @classmethod
    def of(cls, job: Job) -> JobRunDetail:
        return cls(**_run_fields(job), payload=job.payload, result=job.result, error=job.error)


def duration(job: Job) -> float | None:
    if job.started_at is None or job.finished_at is None:
        return None
    return round((job.finished_at - job.started_at).total_seconds(), 3)


def error_tail(error: str, lines: int = ERROR_TAIL_LINES) -> str:
    return "\n".join(error.strip().splitlines()[-lines:])


def _run_fields(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "status": job.status.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "singleton_key": job.singleton_key,
        "run_after": job.run_after,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "duration_seconds": duration(job),
        "worker": job.locked_by,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "progress_note": job.progress_note,
        "error_tail": error_tail(job.error),
    }
