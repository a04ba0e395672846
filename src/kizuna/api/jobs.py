"""/api/v1/schedules and /api/v1/jobs: the recurring jobs and the job runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.models.job import JobStatus
from kizuna.scheduler import service
from kizuna.scheduler.schemas import (
    JobRunDetail,
    JobRunOut,
    RunQueued,
    ScheduleOut,
    ScheduleUpdate,
)

router = APIRouter(tags=["jobs"])
JobReader = Annotated[Actor, Depends(need(Permission.JOB_READ))]
JobAdmin = Annotated[Actor, Depends(need(Permission.JOB_ADMIN))]


@router.get("/schedules", response_model=list[ScheduleOut], summary="List the schedules")
def list_schedules(actor: JobReader, session: DbSession) -> list[ScheduleOut]:
    """Every recurring job: cadence, next run (UTC), and the last run's status, duration
    and error."""
    with session.begin():
        return [ScheduleOut.of(s) for s in service.list_schedules(session, actor)]


@router.post(
    "/schedules/{key}/run",
    response_model=RunQueued,
    status_code=202,
    summary="Run a schedule's job now",
)
def run_schedule(key: str, actor: JobAdmin, session: DbSession) -> RunQueued:
    """Queue the job due now (a queued, unstarted run is brought forward instead of adding
    a second one). A worker runs it; follow it with `GET /jobs/{job_id}`."""
    with session.begin():
        job = service.run_now(session, actor, key)
        return RunQueued(job_id=job.id, run_after=job.run_after)


@router.patch("/schedules/{key}", response_model=ScheduleOut, summary="Pause or resume")
def update_schedule(
    key: str, body: ScheduleUpdate, actor: JobAdmin, session: DbSession
) -> ScheduleOut:
    """`{"enabled": false}` pauses the schedule; `true` resumes it at its next regular time."""
    with session.begin():
        return ScheduleOut.of(service.set_enabled(session, actor, key, body.enabled))


@router.get("/jobs", response_model=list[JobRunOut], summary="List recent job runs")
def list_jobs(
    actor: JobReader,
    session: DbSession,
    status: JobStatus | None = None,
    name: Annotated[str | None, Query(max_length=100, description="exact job name")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_RUNS)] = 50,
) -> list[JobRunOut]:
    """The newest jobs first (scheduled, on-event and one-off), with the tail of any error."""
    with session.begin():
        runs = service.list_runs(session, actor, status=status, name=name, limit=limit)
        return [JobRunOut.of(job) for job in runs]


@router.get("/jobs/{job_id}", response_model=JobRunDetail, summary="One job run")
def get_job(job_id: uuid.UUID, actor: JobReader, session: DbSession) -> JobRunDetail:
    """The job with its payload, result and the whole stored error (traceback)."""
    with session.begin():
        return JobRunDetail.of(service.get_run(session, actor, job_id))
