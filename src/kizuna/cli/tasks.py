"""``kizuna tasks list | complete ID | snooze ID``: the task cockpit from a terminal."""

from __future__ import annotations

import json
import uuid
from datetime import date

import typer
from rich import box
from rich.table import Column, Table

from kizuna.cli.context import acting_as, console, database, fail, settings, zone_of
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError
from kizuna.models.enums import ActivityKind
from kizuna.task import service
from kizuna.task.rules import Outcome
from kizuna.task.schemas import Scope, TaskComplete, TaskFilters, TaskOut, View

tasks_app = typer.Typer(
    help="Tasks: list them, complete one (optionally logging an activity), snooze one.",
    no_args_is_help=True,
)
TASK_ID = typer.Argument(..., help="The task's id (see `kizuna tasks list`).")


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")


def _due(task: TaskOut, day: date) -> str:
    if task.due_on is None:
        return "—"
    late = (day - task.due_on).days
    text = task.due_on.isoformat()
    if task.status.value == "open" and late > 0:
        return f"[red]{text} ({late} d late)[/]"
    if task.status.value == "open" and late == 0:
        return f"[yellow]{text} (today)[/]"
    return text


@tasks_app.command("list")
def list_tasks(
    mine: str | None = typer.Option(
        None, "--mine", metavar="EMAIL", help="Only this user's tasks (and their team's queue)."
    ),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their due date."),
    today_only: bool = typer.Option(
        False, "--today", help="Only tasks for today (due today or earlier, not snoozed)."
    ),
    done: bool = typer.Option(False, "--done", help="Closed tasks instead of open ones."),
    limit: int = typer.Option(200, min=1, max=10_000, help="At most this many tasks."),
    as_json: bool = typer.Option(False, "--json", help="Print the tasks as JSON."),
) -> None:
    """Open tasks, soonest due first (closed ones with --done, newest first). Dates are
    judged in the user's time zone with --mine, else in the default one."""
    view = View.OVERDUE if overdue else View.TODAY if today_only else View.OPEN
    if done:
        view = View.DONE
    with database().sessions() as session, session.begin():
        actor = acting_as(session, mine)
        zone = actor.timezone if mine else settings().default_timezone
        day = today_in(zone)
        filters = TaskFilters(scope=Scope.MINE if mine else Scope.ALL, view=view)
        rows: list[TaskOut] = []
        cursor = None
        try:
            while len(rows) < limit:
                page = service.list_tasks(
                    session,
                    actor,
                    filters,
                    today=day,
                    cursor=cursor,
                    limit=min(500, limit - len(rows)),
                )
                rows += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
        except DomainError as exc:
            fail(exc.message, code=1)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(
        Column("id", no_wrap=True, style="dim", min_width=36),
        Column("due", overflow="fold", min_width=10),
        Column("priority", no_wrap=True),
        Column("title", overflow="fold", ratio=2, min_width=16),
        Column("account", overflow="fold", ratio=1, min_width=10),
        Column("assignee", overflow="fold", min_width=8),
        Column("source", overflow="fold", min_width=6),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for r in rows:
        owner = r.assignee_name or (f"queue: {r.team_name}" if r.team_name else "—")
        source = r.playbook_name or r.source
        status = "" if r.status.value == "open" else f" [{r.status.value}: {r.outcome or ''}]"
        cells = (r.title + status, r.account_name, owner, source)
        table.add_row(str(r.id), _due(r, day), r.priority.value, *cells)
    console.print(table)
    console.print(f"{len(rows)} task(s)" + (" (more not shown)" if cursor else ""))


@tasks_app.command("complete")
def complete(
    task_id: uuid.UUID = TASK_ID,
    outcome: Outcome = typer.Option(..., "--outcome", help="How it ended."),
    note: str = typer.Option("", "--note", help="What happened."),
    log_activity: ActivityKind | None = typer.Option(
        None, "--log-activity", help="Also record an activity of this kind (now)."
    ),
    by: str | None = typer.Option(
        None, "--by", metavar="EMAIL", help="Complete as this user (the activity's author)."
    ),
) -> None:
    """Close a task with an outcome; with --log-activity also record a call, meeting,
    proposal… in the same transaction."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                data = TaskComplete(outcome=outcome, note=note, log_activity=log_activity)
                task = service.complete_task(session, actor, task_id, data)
                title, activity_id = task.title, task.activity_id
        except DomainError as exc:
            fail(exc.message, code=1)
    logged = f"; activity {activity_id} recorded" if activity_id else ""
    console.print(f"[green]✓[/] completed “{title}” ({outcome.value}){logged}")


@tasks_app.command("snooze")
def snooze(
    task_id: uuid.UUID = TASK_ID,
    until: str = typer.Option(..., "--until", metavar="YYYY-MM-DD", help="Hidden until then."),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Snooze as this user."),
) -> None:
    """Hide a task from Today until a later date."""
    try:
        day = date.fromisoformat(until)
    except ValueError:
        fail(f"--until must be a date (YYYY-MM-DD), not {until!r}", code=1)
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                task = service.snooze_task(session, actor, task_id, day, today=today_in(zone))
                title = task.title
        except DomainError as exc:
            fail(exc.message, code=1)
    console.print(f"[green]✓[/] “{title}” snoozed until {day.isoformat()}")
