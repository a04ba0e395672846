"""Jobs & schedules (/admin/jobs): the recurring jobs with their last run, and recent job runs.

Both tables refresh themselves (HTMX polling of their partials); "Run now" and
"Pause/Resume" need JOB_ADMIN and are CSRF-protected forms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kizuna.auth.permissions import Permission
from kizuna.kit.i18n import N_
from kizuna.models.job import Job, JobStatus
from kizuna.scheduler import service
from kizuna.scheduler.schemas import duration, error_tail
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.render import redirect, render

router = APIRouter()

JobReader = Annotated[PageContext, Depends(page(Permission.JOB_READ))]
JobAdmin = Annotated[PageContext, Depends(page(Permission.JOB_ADMIN))]

RECENT_RUNS = 100
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
_STATUS_COLOURS = {"done": "#15803d", "failed": "#d1495b", "cancelled": "#9ca3af"}


def _filters(request: Request) -> tuple[JobStatus | None, str]:
    raw_status = request.query_params.get("status") or ""
    status = JobStatus(raw_status) if raw_status in JobStatus._value2member_map_ else None
    name = (request.query_params.get("name") or "").strip()[:100]
    return status, name


def _runs_query(status: JobStatus | None, name: str) -> str:
    parts = [f"status={status.value}"] if status else []
    if name:
        parts.append(f"name={name}")
    return "&".join(parts)


def _chart(runs: list[Job]) -> dict[str, Any]:
    """Durations of the finished runs shown, oldest first, coloured by outcome."""
    finished = [job for job in reversed(runs) if duration(job) is not None]
    return {
        "started": [job.started_at.isoformat() if job.started_at else "" for job in finished],
        "names": [job.name for job in finished],
        "seconds": [duration(job) for job in finished],
        "colours": [_STATUS_COLOURS.get(job.status.value, "#3b3f9c") for job in finished],
    }


def _common(ctx: PageContext) -> dict[str, Any]:
    return {"weekdays": WEEKDAYS, "can_admin": ctx.actor.can(Permission.JOB_ADMIN)}


@router.get("/admin/jobs")
def jobs_page(request: Request, ctx: JobReader, session: DbSession) -> Response:
    status, name = _filters(request)
    with session.begin():
        runs = service.list_runs(session, ctx.actor, status=status, name=name, limit=RECENT_RUNS)
        return render(
            request,
            ctx,
            "jobs/index.html",
            active="jobs",
            schedules=service.list_schedules(session, ctx.actor),
            runs=runs,
            names=service.job_names(session, ctx.actor),
            statuses=list(JobStatus),
            status=status.value if status else "",
            name=name,
            runs_query=_runs_query(status, name),
            chart=_chart(runs),
            error_tail=error_tail,
            duration=duration,
            **_common(ctx),
        )


@router.get("/admin/jobs/schedules")
def schedules_partial(request: Request, ctx: JobReader, session: DbSession) -> Response:
    """The schedules table, re-fetched by the page every few seconds."""
    with session.begin():
        return render(
            request,
            ctx,
            "jobs/_schedules.html",
            schedules=service.list_schedules(session, ctx.actor),
            **_common(ctx),
        )


@router.get("/admin/jobs/runs")
def runs_partial(request: Request, ctx: JobReader, session: DbSession) -> Response:
    """The recent-runs table (with the page's filters), re-fetched every few seconds."""
    status, name = _filters(request)
    with session.begin():
        return render(
            request,
            ctx,
            "jobs/_runs.html",
            runs=service.list_runs(session, ctx.actor, status=status, name=name, limit=RECENT_RUNS),
            runs_query=_runs_query(status, name),
            error_tail=error_tail,
            duration=duration,
            **_common(ctx),
        )


@router.post("/admin/jobs/schedules/{key}/run")
def run_now(key: str, ctx: JobAdmin, session: DbSession) -> Response:
    with session.begin():
        service.run_now(session, ctx.actor, key)
    return redirect("/admin/jobs", flash=N_("Queued: a worker runs it within seconds."))


@router.post("/admin/jobs/schedules/{key}/pause")
def pause(key: str, ctx: JobAdmin, session: DbSession) -> Response:
    with session.begin():
        service.set_enabled(session, ctx.actor, key, False)
    return redirect("/admin/jobs", flash=N_("Schedule paused."))


@router.post("/admin/jobs/schedules/{key}/resume")
def resume(key: str, ctx: JobAdmin, session: DbSession) -> Response:
    with session.begin():
        service.set_enabled(session, ctx.actor, key, True)
    return redirect("/admin/jobs", flash=N_("Schedule resumed: it runs again at its next time."))
