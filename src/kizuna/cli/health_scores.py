"""``kizuna health score`` and ``kizuna health scorecards list | export | import | publish``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, fail, settings
from kizuna.health import scorecards, service
from kizuna.kit.clock import today
from kizuna.kit.errors import DomainError

app = typer.Typer(help="Health scores and scorecards.", no_args_is_help=True)
scorecards_app = typer.Typer(help="Scorecards: list, YAML, publish.", no_args_is_help=True)
app.add_typer(scorecards_app, name="scorecards")
_SYSTEM = Actor.system("cli")


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=2)


def run_score(backfill_days: int = 0, *, quiet: bool = False) -> service.RescoreResult:
    """Back-fill the history (weekly steps) when asked, then rescore today; one
    transaction for each step."""
    s = settings()
    day = today(s.default_timezone)
    zone = s.default_timezone
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
        ) as bar,
        database().sessions() as session,
    ):
        if backfill_days:
            task = bar.add_task(f"back-filling {backfill_days} days of history…")
            with session.begin():
                rows = service.backfill(
                    session, _SYSTEM, data_dir=s.data_dir, zone=zone, today=day, days=backfill_days
                )
            bar.update(task, description=f"back-filled {rows:,} history rows", completed=1, total=1)
        task = bar.add_task("scoring accounts…")
        with session.begin():
            result = service.rescore_all(
                session, _SYSTEM, data_dir=s.data_dir, zone=zone, today=day
            )
        bar.update(task, description=f"scored {result.accounts:,} accounts", completed=1, total=1)
    return result


@app.command("score")
def score(
    backfill_days: int = typer.Option(
        0,
        "--backfill-days",
        min=0,
        max=3650,
        help="Also compute the history of this many past days (weekly steps).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Score every paying customer with its scorecard (and refresh churn risk and
    expansion signals)."""
    try:
        result = run_score(backfill_days, quiet=as_json)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        print(
            json.dumps(
                {
                    "today": result.today.isoformat(),
                    "accounts": result.accounts,
                    "bands": result.bands,
                    "scorecards": result.scorecards,
                    "churn_scored": result.churn_scored,
                    "expansion_signals": result.expansion_signals,
                    "seconds": round(result.seconds, 3),
                }
            )
        )
        return
    bands = " · ".join(f"{band} {count:,}" for band, count in result.bands.items())
    console.print(
        f"[green]✓[/] {result.accounts:,} accounts scored ({bands or 'no published scorecard'})"
        f" in {result.seconds:.2f} s"
    )
    console.print(
        f"  churn risk {result.churn_scored:,} · expansion signals {result.expansion_signals:,}"
    )


@scorecards_app.command("list")
def list_scorecards() -> None:
    """Every scorecard with its published and draft versions."""
    with database().sessions() as session, session.begin():
        items = scorecards.list_scorecards(session, _SYSTEM)
    table = Table("key", "name", "applies to", "priority", "published", "draft", "accounts")
    for s in items:
        applies = (
            "default"
            if s.is_default
            else (", ".join([*s.applies_to.tiers, *s.applies_to.phases]) or "all")
        )
        table.add_row(
            s.key,
            s.name,
            applies,
            str(s.priority),
            f"v{s.published_version}" if s.published_version else "—",
            f"v{s.draft_version}" if s.draft_version else "—",
            f"{s.accounts:,}",
        )
    console.print(table)


@scorecards_app.command("export")
def export(
    key: str = typer.Argument(..., help="Scorecard key."),
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="YAML file (default: stdout)."
    ),
) -> None:
    """Write the scorecard and its latest definition as YAML."""
    with database().sessions() as session:
        try:
            with session.begin():
                text = scorecards.export_yaml(session, _SYSTEM, key)
        except DomainError as exc:
            _fail(exc)
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"[green]✓[/] {key} written to {output}")


@scorecards_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML file."),
) -> None:
    """Create the scorecard, or put the definition into its draft version."""
    with database().sessions() as session:
        try:
            with session.begin():
                result = scorecards.import_yaml(session, _SYSTEM, file.read_text(encoding="utf-8"))
        except DomainError as exc:
            _fail(exc)
    how = "created" if result.created else "updated"
    console.print(
        f"[green]✓[/] {result.scorecard.key} {how}: draft v{result.version} "
        f"(publish it with “kizuna health scorecards publish {result.scorecard.key}”)"
    )


@scorecards_app.command("publish")
def publish(
    key: str = typer.Argument(..., help="Scorecard key."),
    note: str | None = typer.Option(None, "--note", help="What this version changes."),
) -> None:
    """Publish the draft version (the published one is retired) and queue a rescore."""
    with database().sessions() as session:
        try:
            with session.begin():
                version = scorecards.publish(session, _SYSTEM, key, note=note)
        except DomainError as exc:
            _fail(exc)
    console.print(f"[green]✓[/] {key} v{version.number} published; a rescore is queued")
