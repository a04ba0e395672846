"""``kizuna journey show | evaluate | stalled | export | import``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, fail, settings
from kizuna.journey import definition, service, views
from kizuna.kit.clock import today
from kizuna.kit.errors import DomainError
from kizuna.models.enums import Phase

app = typer.Typer(help="The success journey: phases, steps, evaluation.", no_args_is_help=True)
_SYSTEM = Actor.system("cli")


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=2)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print the journey as JSON.")) -> None:
    """The phases (target days) and their steps, with what completes each."""
    with database().sessions() as session, session.begin():
        journey = definition.get_journey(session, _SYSTEM)
    if as_json:
        print(journey.model_dump_json(indent=2))
        return
    for n, phase in enumerate(journey.phases, start=1):
        table = Table(
            "key", "step", "required", "completed by", title=(
                f"{n}. {phase.name} ({phase.name_en}) · target {phase.target_days} days"
            ), title_justify="left",
        )  # fmt: skip
        for step in phase.steps:
            how = [w for w, on in (("data", step.criteria), ("manual", step.manual)) if on]
            table.add_row(
                step.key, step.name, "yes" if step.required else "optional", " + ".join(how)
            )
        console.print(table)


@app.command("evaluate")
def evaluate(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Evaluate every account now: complete steps whose criteria hold, enter and advance
    phases (the daily job does the same at 04:30)."""
    s = settings()
    zone = s.default_timezone
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
        ) as bar,
        database().sessions() as session,
    ):
        task = bar.add_task("evaluating the journey…")
        try:
            with session.begin():
                result = service.evaluate_journey(
                    session, _SYSTEM, today=today(zone), zone=zone, data_dir=s.data_dir
                )
        except DomainError as exc:
            _fail(exc)
        bar.update(task, description="evaluated", completed=1, total=1)
    if as_json:
        print(result.model_dump_json())
        return
    console.print(
        f"[green]✓[/] {result.accounts:,} accounts in {result.seconds:.2f} s: "
        f"{result.steps_completed:,} steps completed, {result.entered:,} entered onboarding, "
        f"{result.phases_advanced:,} phase moves ({result.accounts_advanced:,} accounts)"
    )
    if result.history_opened:
        console.print(f"  {result.history_opened:,} open history rows created (estimated entry)")
    if result.skipped_steps:
        skipped = ", ".join(result.skipped_steps)
        console.print(f"[yellow]![/] criteria no longer valid, not evaluated: {skipped}")


@app.command("stalled")
def stalled(
    phase: str = typer.Option(
        "onboarding", "--phase", help="onboarding, adoption, expansion or any."
    ),
    include_on_track: bool = typer.Option(
        False, "--all", help="Also accounts within their phase's target."
    ),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="Print the accounts as JSON."),
) -> None:
    """Accounts longer in their phase than its target, the most days over first."""
    if phase != "any" and phase not in {p.value for p in Phase}:
        err_console.print("[red]✗[/] --phase: onboarding, adoption, expansion or any")
        raise typer.Exit(2)
    zone = settings().default_timezone
    with database().sessions() as session, session.begin():
        result = views.stalled(
            session,
            _SYSTEM,
            today=today(zone),
            zone=zone,
            phase=None if phase == "any" else Phase(phase),
            overdue_only=not include_on_track,
            page_size=limit,
        )
    if as_json:
        print(
            json.dumps([item.model_dump(mode="json") for item in result.items], ensure_ascii=False)
        )
        return
    table = Table("account", "phase", "entered", "days", "target", "over", "first open step")
    for item in result.items:
        table.add_row(
            item.name,
            item.phase.value,
            item.entered_on.isoformat() if item.entered_on else "—",
            "—" if item.days_in_phase is None else f"{item.days_in_phase:,}",
            f"{item.target_days:,}",
            "—" if item.days_over is None else f"{item.days_over:+,}",
            item.first_open_step_name or "—",
        )
    console.print(table)
    console.print(
        f"{result.total:,} accounts" + (f" (first {limit:,} shown)" if result.total > limit else "")
    )


@app.command("export")
def export(
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="YAML file (default: stdout)."
    ),
) -> None:
    """Write the journey (phases and steps with their criteria) as YAML."""
    with database().sessions() as session, session.begin():
        text = definition.export_yaml(session, _SYSTEM)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"[green]✓[/] journey written to {output}")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML file."),
) -> None:
    """Replace the journey with the file: validated as a whole, applied at once (steps
    matched by key; steps missing from the file are deleted with their completions)."""
    with database().sessions() as session:
        try:
            with session.begin():
                result = definition.import_yaml(session, _SYSTEM, file.read_text(encoding="utf-8"))
        except DomainError as exc:
            _fail(exc)
    console.print(
        f"[green]✓[/] journey imported: {result.steps_created} steps created, "
        f"{result.steps_updated} updated, {result.steps_deleted} deleted"
    )
