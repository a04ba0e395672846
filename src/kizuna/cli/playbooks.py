"""``kizuna playbooks list | show KEY | dry-run KEY | run [KEY…] | export | import FILE``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich import box
from rich.table import Column, Table
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, fail, settings
from kizuna.config import Settings
from kizuna.kit.clock import to_zone, today
from kizuna.kit.errors import DomainError
from kizuna.playbook import service
from kizuna.playbook.schemas import RunReport

playbooks_app = typer.Typer(
    help="Playbooks: list, show, dry-run, run, export and import (YAML).", no_args_is_help=True
)
_CLI = Actor.system("cli")
KEY = typer.Argument(..., help="The playbook's key (see `list`).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def register(app: typer.Typer) -> None:
    app.add_typer(playbooks_app, name="playbooks")


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=1)


def _when(value: object) -> str:
    if not isinstance(value, datetime):
        return "—"
    return to_zone(value, settings().default_timezone).strftime("%Y-%m-%d %H:%M")


@playbooks_app.command("list")
def list_playbooks(
    archived: bool = typer.Option(False, "--archived", help="Include archived playbooks."),
    as_json: bool = JSON,
) -> None:
    """Every playbook: status, trigger, team, firings in the last 7 / 30 days, open tasks."""
    with database().sessions() as session, session.begin():
        rows = service.list_playbooks(session, _CLI, include_archived=archived)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table(
        Column("key", no_wrap=True),
        Column("name"),
        Column("status", no_wrap=True),
        Column("version", justify="right"),
        Column("trigger", overflow="fold"),
        Column("team"),
        Column("7 d", justify="right"),
        Column("30 d", justify="right"),
        Column("open tasks", justify="right"),
        Column("last evaluated", no_wrap=True),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for r in rows:
        version = f"v{r.published_version}" if r.published_version else "—"
        if r.has_draft:
            version += f" (draft v{r.latest_version})"
        table.add_row(
            r.key, r.name, r.status.value, version, r.trigger_summary, r.team_name or "—",
            f"{r.fired_7d:,}", f"{r.fired_30d:,}", f"{r.open_tasks:,}",
            _when(r.last_evaluated_at),
        )  # fmt: skip
    console.print(table)


@playbooks_app.command("show")
def show(key: str = KEY, as_json: bool = JSON) -> None:
    """The definition (latest version), the versions, and the latest firings with why."""
    try:
        with database().sessions() as session, session.begin():
            detail = service.get_playbook(session, _CLI, key)
            firings = service.list_firings(session, _CLI, key=key, limit=10)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        data = detail.model_dump(mode="json")
        data["firings"] = [f.model_dump(mode="json") for f in firings]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{detail.name}[/] ({detail.key}) — {detail.status.value}")
    console.print(f"When: {detail.trigger_summary}   Team: {detail.team_name or '—'}")
    console.print_json(json.dumps(detail.definition, ensure_ascii=False))
    versions = Table("version", "status", "published", "by", "note", box=box.SIMPLE_HEAD)
    for v in detail.versions:
        versions.add_row(
            f"v{v.number}", v.status.value, _when(v.published_at), v.created_by_name or "—", v.note
        )
    console.print(versions)
    if firings:
        recent = Table("fired", "account", "why", box=box.SIMPLE_HEAD)
        for f in firings:
            recent.add_row(_when(f.fired_at), f.account_name, str(f.why.get("summary", "")))
        console.print(recent)


def _print_report(report: RunReport, *, limit: int) -> None:
    verb = "would fire" if report.dry_run else "fired"
    for p in report.playbooks:
        if p.error:
            console.print(f"[red]✗ {p.key}[/]: {p.error}")
            continue
        skipped = ", ".join(f"{k} {v:,}" for k, v in sorted(p.skipped.items()) if v)
        console.print(
            f"[bold]{p.key}[/] v{p.version} — {p.trigger_summary}: {verb} for "
            f"{p.fired_count:,} accounts, {p.tasks_created:,} tasks"
            + (f" (skipped: {skipped})" if skipped else "")
        )
        if not p.fired:
            continue
        table = Table("account", "why", "tasks → whom", "other", box=box.SIMPLE_HEAD)
        for f in p.fired[:limit]:
            checks = "; ".join(
                f"{c['fact']}={c['actual']}" for c in f.why.get("checks", []) if c.get("passed")
            )
            tasks = "; ".join(
                f"{t.title} → {t.assignee_email or t.team_name or '—'} ({t.due_on})"
                for t in f.tasks
            )
            table.add_row(f.account_name, checks or str(f.why.get("summary")), tasks,
                          "; ".join(f.notifications + f.updates))  # fmt: skip
        console.print(table)
        if p.fired_count > limit:
            console.print(f"… and {p.fired_count - limit:,} more")
    console.print(
        f"{len(report.playbooks)} playbooks over {report.accounts:,} accounts in "
        f"{report.duration_ms / 1000:,.2f} s: {report.fired:,} firings, "
        f"{report.tasks_created:,} tasks"
        + (" (dry run: nothing written)" if report.dry_run else "")
    )


@playbooks_app.command("dry-run")
def dry_run(
    key: str = KEY,
    published: bool = typer.Option(False, "--published", help="Use the published version."),
    limit: int = typer.Option(20, help="Accounts listed per playbook."),
    as_json: bool = JSON,
) -> None:
    """What the playbook (its draft when there is one) would do on today's data. Writes
    nothing."""
    _evaluate(
        lambda session, s, zone: service.dry_run(
            session,
            _CLI,
            key,
            use_draft=not published,
            today=today(zone),
            zone=zone,
            data_dir=s.data_dir,
        ),
        as_json=as_json,
        limit=limit,
    )


@playbooks_app.command("run")
def run(
    keys: list[str] = typer.Argument(None, help="Only these playbooks (default: every active)."),
    limit: int = typer.Option(10, help="Accounts listed per playbook."),
    as_json: bool = JSON,
) -> None:
    """Evaluate now and act: tasks, notifications (queued), field updates, phase changes."""
    _evaluate(
        lambda session, s, zone: service.run(
            session,
            _CLI,
            keys or None,
            today=today(zone),
            zone=zone,
            data_dir=s.data_dir,
            public_url=s.public_url,
            origin="cli",
        ),
        as_json=as_json,
        limit=limit,
    )


def _evaluate(
    evaluate: Callable[[Session, Settings, str], RunReport], *, as_json: bool, limit: int
) -> None:
    """Run ``evaluate(session, settings, zone)`` in one transaction (the default time
    zone), then print its report as JSON or tables."""
    s = settings()
    try:
        with database().sessions() as session, session.begin(), console.status("Evaluating…"):
            report = evaluate(session, s, s.default_timezone)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_report(report, limit=limit)


@playbooks_app.command("export")
def export(
    keys: list[str] = typer.Argument(None, help="Only these playbooks (default: all)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """The playbooks (latest versions) as YAML, for review or another Kizuna."""
    try:
        with database().sessions() as session, session.begin():
            text = service.export_yaml(session, _CLI, keys or None)
    except DomainError as exc:
        _fail(exc)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"[green]✓[/] wrote {output}")


@playbooks_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A YAML file."),
    publish: bool = typer.Option(False, "--publish", help="Publish the imported drafts."),
) -> None:
    """Create the playbooks of FILE, or put their definitions into drafts. All or nothing."""
    text = file.read_text(encoding="utf-8")
    try:
        with database().sessions() as session, session.begin():
            results = service.import_yaml(session, _CLI, text)
            if publish:
                for r in results:
                    if r.playbook.has_draft:
                        service.publish(session, _CLI, r.playbook.key, note="imported")
    except DomainError as exc:
        _fail(exc)
    for r in results:
        verb = "created" if r.created else "updated"
        console.print(
            f"[green]✓[/] {r.playbook.key} {verb}" + (" and published" if publish else "")
        )
