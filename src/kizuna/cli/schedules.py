"""``kizuna schedules list | run KEY | pause KEY | resume KEY``: the recurring jobs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NoReturn

import typer
from rich import box
from rich.table import Column, Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, settings
from kizuna.kit.clock import to_zone
from kizuna.kit.errors import DomainError
from kizuna.scheduler import service
from kizuna.scheduler.schemas import ScheduleOut, error_tail

schedules_app = typer.Typer(
    help="Recurring jobs: list them, run one now, pause or resume.", no_args_is_help=True
)
_CLI = Actor.system("cli")
KEY = typer.Argument(..., help="The schedule's key, e.g. health.rescore (see `list`).")


def register(app: typer.Typer) -> None:
    app.add_typer(schedules_app, name="schedules")


def _fail(exc: DomainError) -> NoReturn:
    err_console.print(f"[red]✗[/] {exc.message}")
    raise typer.Exit(1)


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return to_zone(value, settings().default_timezone).strftime("%Y-%m-%d %H:%M")


@schedules_app.command("list")
def list_schedules(
    as_json: bool = typer.Option(False, "--json", help="Print the schedules as JSON."),
) -> None:
    """Every schedule: cadence, next run, and how the last run went (default time zone)."""
    with database().sessions() as session, session.begin():
        rows = [ScheduleOut.of(s) for s in service.list_schedules(session, _CLI)]
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    table = Table(
        Column("key", no_wrap=True),
        Column("cadence"),
        Column("next run", no_wrap=True),
        Column("last run", no_wrap=True),
        Column("status", no_wrap=True),
        Column("took", justify="right", no_wrap=True),
        Column("error", overflow="fold", ratio=1),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for row in rows:
        status = row.last_status or "never run"
        if row.consecutive_failures:
            status += f" ×{row.consecutive_failures}"
        took = "—" if row.last_duration_seconds is None else f"{row.last_duration_seconds:,.1f} s"
        table.add_row(
            row.key,
            f"{row.description} ({row.zone})" if row.at else row.description,
            _when(row.next_run_at) if row.enabled else "[yellow]paused[/]",
            _when(row.last_started_at),
            status,
            took,
            error_tail(row.last_error, 1),
        )
    console.print(table)


@schedules_app.command("run")
def run(key: str = KEY) -> None:
    """Queue the schedule's job now (a worker runs it; a queued run is brought forward)."""
    with database().sessions() as session:
        try:
            with session.begin():
                job = service.run_now(session, _CLI, key)
                job_id = job.id
        except DomainError as exc:
            _fail(exc)
    console.print(f"[green]✓[/] {key} queued (job {job_id}); a running worker picks it up")


@schedules_app.command("pause")
def pause(key: str = KEY) -> None:
    """Stop queueing the schedule's job (until `resume`)."""
    _set_enabled(key, enabled=False)


@schedules_app.command("resume")
def resume(key: str = KEY) -> None:
    """Queue the job again at its next regular time (runs missed while paused are skipped)."""
    _set_enabled(key, enabled=True)


def _set_enabled(key: str, *, enabled: bool) -> None:
    with database().sessions() as session:
        try:
            with session.begin():
                schedule = service.set_enabled(session, _CLI, key, enabled)
                next_run = schedule.next_run_at
        except DomainError as exc:
            _fail(exc)
    if enabled:
        console.print(f"[green]✓[/] {key} resumed; next run {_when(next_run)}")
    else:
        console.print(f"[green]✓[/] {key} paused")
