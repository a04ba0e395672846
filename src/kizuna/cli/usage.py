"""``kizuna events import`` and ``kizuna metrics compute | catalogue``: product usage."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal, NoReturn

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, fail, settings
from kizuna.kit.errors import DomainError
from kizuna.usage import catalogue, compute, importer, pipeline
from kizuna.usage.store import EventStore

_SYSTEM = Actor.system("cli")
SHOWN_PROBLEMS = 50

events_app = typer.Typer(help="Product-usage events: bulk import.", no_args_is_help=True)
catalogue_app = typer.Typer(help="The usage-metric catalogue as YAML.", no_args_is_help=True)


def register(metrics_app: typer.Typer) -> None:
    metrics_app.command("compute")(compute_metrics)
    metrics_app.add_typer(catalogue_app, name="catalogue")


@events_app.command("import")
def import_events(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or Parquet file."),
    source: str | None = typer.Option(
        None, "--source", help="Name of the event source the events came from."
    ),
    fmt: str | None = typer.Option(None, "--format", help="csv or parquet (default: by suffix)."),
    no_compute: bool = typer.Option(
        False, "--no-compute", help="Do not recompute the metrics afterwards."
    ),
) -> None:
    """Load historical events (columns message_id, type, event, user_id, group_id,
    timestamp, properties, … or Segment's camelCase names).

    Every row is checked first; a file with a bad row writes nothing (exit 1). Events
    already stored (same source and message id) are skipped.
    """
    if fmt not in (None, "csv", "parquet"):
        err_console.print("[red]✗[/] --format must be csv or parquet")
        raise typer.Exit(2)
    chosen: Literal["csv", "parquet"] | None = fmt  # type: ignore[assignment]
    store = EventStore.under(settings().data_dir)
    with database().sessions() as session:
        try:
            with _progress() as bar, session.begin():
                task = bar.add_task("reading", total=None)

                def report(stage: str, done: int, total: int | None) -> None:
                    bar.update(task, description=stage, completed=done, total=total)

                result = importer.import_events(
                    session, _SYSTEM, store, file, source=source, fmt=chosen, progress=report
                )
        except DomainError as exc:
            _fail(exc)
    _report_import(result)
    if result.bad_rows:
        raise typer.Exit(1)
    if result.stored and not no_compute:
        compute_metrics(full=False, since=None, engine=None)


def compute_metrics(
    full: bool = typer.Option(False, "--full", help="Recompute everything."),
    since: str | None = typer.Option(
        None, "--since", help="Recompute periods from this day (YYYY-MM-DD) at least."
    ),
    engine: str | None = typer.Option(
        None, "--engine", help="duckdb or pyspark (default: KIZUNA_ANALYTICS_ENGINE)."
    ),
) -> None:
    """Move the ingestion inbox into the event store, then compute the usage-metric
    catalogue (incrementally: only what changed)."""
    s = settings()
    try:
        since_day = date.fromisoformat(since) if since else None
    except ValueError:
        err_console.print(f"[red]✗[/] --since must be a date (YYYY-MM-DD): {since!r}")
        raise typer.Exit(2) from None
    if engine not in (None, "duckdb", "pyspark"):
        err_console.print("[red]✗[/] --engine must be duckdb or pyspark")
        raise typer.Exit(2)
    options = compute.Options(
        data_dir=s.data_dir,
        zone=s.default_timezone,
        engine=engine or s.analytics_engine,  # type: ignore[arg-type]
        spark_master=s.spark_master,
        full=full,
        since=since_day,
    )
    flushed = pipeline.flush_all(database(), EventStore.under(s.data_dir))
    if flushed.moved:
        console.print(f"  moved {flushed.moved:,} events from the inbox to the event store")
    with database().sessions() as session:
        try:
            with console.status("computing usage metrics…"):
                result = compute.run(session, _SYSTEM, options)
        except DomainError as exc:
            _fail(exc)
    how = "full" if result.full else f"incremental from {result.since}"
    console.print(
        f"[green]✓[/] {result.metrics} metrics, {result.values:,} values, "
        f"{result.accounts:,} accounts ({how}) in {result.seconds:.2f} s"
    )


@catalogue_app.command("export")
def export_catalogue(
    file: Path = typer.Argument(..., dir_okay=False, help="YAML file to write (- for stdout)."),
) -> None:
    """Write the metric catalogue as YAML."""
    with database().sessions() as session, session.begin():
        text = catalogue.export_catalogue(session, _SYSTEM)
    if str(file) == "-":
        print(text, end="")
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"[green]✓[/] catalogue written to {file}")


@catalogue_app.command("import")
def import_catalogue(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML catalogue."),
) -> None:
    """Create or update (by key) the metrics of a YAML catalogue; all or nothing."""
    with database().sessions() as session:
        try:
            with session.begin():
                counts = catalogue.import_catalogue(
                    session, _SYSTEM, file.read_text(encoding="utf-8")
                )
        except DomainError as exc:
            _fail(exc)
    console.print(
        f"[green]✓[/] created {counts['created']} · updated {counts['updated']} · "
        f"unchanged {counts['unchanged']}"
    )


def _report_import(result: importer.ImportResult) -> None:
    if result.bad_rows:
        table = Table("row", "field", "reason", title="rejected rows")
        for problem in result.problems[:SHOWN_PROBLEMS]:
            table.add_row(str(problem["row"]), str(problem["field"]), str(problem["message"]))
        console.print(table)
        console.print(
            f"[red]✗[/] {result.bad_rows:,} bad row(s) of {result.rows:,}: nothing was written"
        )
        return
    console.print(
        f"[green]✓[/] rows {result.rows:,} · stored {result.stored:,} · already stored "
        f"{result.duplicates:,} · identities {result.identities:,}"
    )
    if result.unmatched_groups:
        shown = ", ".join(result.unmatched_groups[:10])
        console.print(
            f"[yellow]![/] {len(result.unmatched_groups)} group(s) match no account "
            f"(link them in the event debugger): {shown}"
        )


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
    )
