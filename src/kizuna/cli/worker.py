"""worker, and jobs list/enqueue: run and inspect the job queue (and run the schedules)."""

from __future__ import annotations

import json
import signal
import threading
import time
from types import FrameType

import typer
from rich import box
from rich.table import Column, Table
from sqlalchemy.exc import IntegrityError

from kizuna.cli.context import console, database, err_console, settings
from kizuna.jobs.runner import Worker
from kizuna.kit.clock import to_zone
from kizuna.logging import configure as configure_logging
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler

jobs_app = typer.Typer(help="Inspect and feed the job queue.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(jobs_app, name="jobs")


def worker(
    once: bool = typer.Option(False, "--once", help="Run at most one job, then exit."),
    name: list[str] = typer.Option(
        None, "--name", help="Only run jobs with this name (repeatable; default: all)."
    ),
    tick_interval: float = typer.Option(
        20.0,
        "--tick-interval",
        min=0,
        help="Seconds between scheduler ticks (queueing due schedules); 0: never tick.",
    ),
) -> None:
    """Run queued jobs and the schedules until stopped (Ctrl-C or SIGTERM finish the
    current job first).

    Start as many as you like on PostgreSQL: each due schedule is queued once and a
    recurring job never runs twice at the same time. With them, set
    KIZUNA_EMBEDDED_WORKER=false so the web process does not run its own.
    """
    s = settings()
    configure_logging(json=s.log_json)
    runner = Worker(database(), s, names=name or None, tick_interval=tick_interval or None)
    if not once:
        _ensure_schedules(s.default_timezone)
    if once:
        if not runner.run_once():
            console.print("no job was due")
        return
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signum, signal.SIG_DFL)  # a second signal stops at once
        err_console.print("stopping after the current job (signal again to abort)")

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    runner.run_forever(stop)


def _ensure_schedules(zone: str) -> None:
    """Register the default schedules; workers starting at the same moment on a fresh
    database may both try to create one (the loser sees it on the next try)."""
    from kizuna.jobs.schedules import ensure_default_schedules

    for attempt in range(3):
        try:
            with database().sessions() as session, session.begin():
                ensure_default_schedules(session, zone)
            return
        except IntegrityError:
            if attempt == 2:
                raise
            time.sleep(0.2)


@jobs_app.command("list")
def list_jobs(
    status: JobStatus = typer.Option(None, help="Only jobs in this status."),
    limit: int = typer.Option(30, min=1, max=1000, help="How many of the newest jobs."),
) -> None:
    """Show the most recent jobs, newest first."""
    s = settings()
    with database().sessions() as session:
        jobs = queue.list_jobs(session, status=status, limit=limit)
    table = Table(
        Column("id", no_wrap=True),
        Column("name", overflow="fold"),
        Column("status", no_wrap=True),
        Column("created", no_wrap=True),
        Column("progress / worker / error", overflow="fold", ratio=1),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for job in jobs:
        created = to_zone(job.created_at, s.default_timezone).strftime("%m-%d %H:%M")
        status_text = f"{job.status.value} {job.attempts}/{job.max_attempts}"
        job_id = str(job.id) if console.width >= 120 else f"…{str(job.id)[-12:]}"
        table.add_row(job_id, job.name, status_text, created, _detail(job))
    console.print(table)


@jobs_app.command("enqueue")
def enqueue(
    name: str = typer.Argument(..., help="Dotted job name, e.g. queue.cleanup."),
    payload: str = typer.Option("{}", help="JSON object, e.g. '{\"days\": 30}'."),
    priority: int = typer.Option(0, help="Higher runs first."),
) -> None:
    """Queue a job by hand (a worker picks it up)."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        err_console.print(f"[red]✗[/] payload is not JSON: {exc}")
        raise typer.Exit(1) from None
    if not isinstance(data, dict):
        err_console.print("[red]✗[/] payload must be a JSON object")
        raise typer.Exit(1)
    with database().sessions() as session, session.begin():
        singleton = scheduler.singleton_for(session, name)  # never beside a scheduled run
        job = queue.enqueue(session, name, data, priority=priority, singleton_key=singleton)
    console.print(f"[green]✓[/] queued {name} id={job.id}")


def _detail(job: Job) -> str:
    """The error of a failed (or retrying) job, else progress and the worker."""
    if job.status in (JobStatus.FAILED, JobStatus.QUEUED) and job.error:
        lines = job.error.strip().splitlines()
        return lines[-1] if lines else ""
    done = f"{job.progress_done}/{job.progress_total}" if job.progress_total else ""
    return " ".join(part for part in (done, job.progress_note, job.locked_by or "") if part)
