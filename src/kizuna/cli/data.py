"""import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, settings
from kizuna.exporting import service as exporting
from kizuna.importing import service as importing
from kizuna.importing.engine import Progress as ImportProgress
from kizuna.importing.mapping import Mapping, dump_mapping, load_mapping
from kizuna.kit.errors import DomainError, Invalid
from kizuna.models.importing import ImportKind, ImportRun, SavedMapping

_SYSTEM = Actor.system("cli")
SHOWN_PROBLEMS = 50


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
    app.command("export")(export)


def import_file(
    kind: ImportKind = typer.Argument(..., help="What the file holds."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, XLSX or Parquet."),
    mapping: str | None = typer.Option(
        None,
        "--mapping",
        "-m",
        help="A mapping YAML file, or the name of a mapping saved in the web UI. "
        "Without it, columns are matched automatically (and presets detected).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row; write nothing."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the good rows and list the skipped bad ones."
    ),
    write_mapping: Path | None = typer.Option(
        None, "--write-mapping", help="Save the mapping used as YAML (edit it, pass it back)."
    ),
) -> None:
    """Import a file: every row is checked first; one import is one transaction.

    Exit code 0 when every row was imported (or would be, with --dry-run), 1 when rows
    were rejected (nothing is written unless --skip-invalid), 2 when the file or the
    mapping cannot be used.
    """
    workspace = importing.Workspace(settings().data_dir)
    with database().sessions() as session:
        try:
            chosen = _mapping(session, kind, mapping)
            with session.begin():
                run = importing.create_run(
                    session,
                    _SYSTEM,
                    workspace,
                    kind=kind,
                    filename=file.name,
                    upload=file,
                    mapping=chosen,
                    skip_invalid=skip_invalid,
                    dry_run=dry_run,
                )
            _show_mapping(importing.mapping_of(run), write_mapping)
            with _progress() as bar, session.begin():
                task = bar.add_task("checking", total=None)
                run = importing.execute_run(
                    session, _SYSTEM, workspace, run.id, progress=_reporter(bar, task)
                )
        except Invalid as exc:
            for problem in exc.problems:
                err_console.print(f"[red]✗[/] {'.'.join(map(str, problem.loc))}: {problem.message}")
            raise typer.Exit(2) from None
        except DomainError as exc:
            err_console.print(f"[red]✗[/] {exc.message}")
            raise typer.Exit(2) from None
    _report(run, workspace)
    if run.invalid_rows:
        raise typer.Exit(1)


def export(
    kind: str = typer.Argument(
        ...,
        help="accounts, contacts, products, subscriptions, "
        "activities, survey-responses, or all (a folder per snapshot)",
    ),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv or parquet"),
    output: Path = typer.Option(..., "--output", "-o", help="File (or folder for 'all')."),
) -> None:
    """Export records as CSV (UTF-8 with BOM, formula-injection safe) or Parquet.

    The columns are the import's field names: an export re-imports as it is.
    """
    if fmt not in ("csv", "parquet"):
        err_console.print("[red]✗[/] --format must be csv or parquet")
        raise typer.Exit(2)
    chosen: Literal["csv", "parquet"] = "csv" if fmt == "csv" else "parquet"
    with database().sessions() as session, session.begin(), _progress() as bar:
        task = bar.add_task("exporting", total=None)

        def progress(name: str, done: int) -> None:
            bar.update(task, description=name, completed=done)

        if kind == "all":
            counts = exporting.export_all(session, _SYSTEM, chosen, output, progress)
        else:
            try:
                target = ImportKind(kind)
            except ValueError:
                err_console.print(f"[red]✗[/] unknown kind {kind!r}")
                raise typer.Exit(2) from None
            counts = {
                kind: exporting.export_kind(session, _SYSTEM, target, chosen, output, progress)
            }
    for name, rows in counts.items():
        console.print(f"[green]✓[/] {name}: {rows:,} rows")
    console.print(f"  written to {output}")


def _mapping(session: Session, kind: ImportKind, given: str | None) -> Mapping | None:
    if given is None:
        return None
    path = Path(given)
    if path.exists():
        return load_mapping(path.read_text(encoding="utf-8"))
    saved = session.scalar(
        select(SavedMapping).where(SavedMapping.kind == kind, SavedMapping.name == given)
    )
    if saved is None:
        raise Invalid.field("mapping", f"no file and no saved mapping named {given!r}")
    return Mapping.from_dict(saved.definition)


def _show_mapping(mapping: Mapping, path: Path | None) -> None:
    table = Table(
        "field",
        "column",
        title="mapping" + (f" ({mapping.options.preset})" if mapping.options.preset else ""),
    )
    for target, header in mapping.columns.items():
        table.add_row(target, header if isinstance(header, str) else " + ".join(header))
    console.print(table)
    missing = mapping.unmapped_required()
    if missing:
        console.print(f"[yellow]![/] required fields with no column: {', '.join(missing)}")
    if path is not None:
        path.write_text(dump_mapping(mapping), encoding="utf-8")
        console.print(f"  mapping saved to {path}")


def _report(run: ImportRun, workspace: importing.Workspace) -> None:
    console.print(
        f"rows {run.total_rows:,} · created {run.created_count:,} · updated "
        f"{run.updated_count:,} · unchanged {run.unchanged_count:,} · skipped "
        f"{run.skipped_count:,} · rejected {run.invalid_rows:,}"
    )
    if run.problems:
        table = Table("row", "column", "value", "reason", title="rejected rows")
        for problem in run.problems[:SHOWN_PROBLEMS]:
            table.add_row(
                str(problem["row"]), problem["column"], problem["value"], problem["message"]
            )
        console.print(table)
        console.print(f"  full report: {workspace.problems_path(run.id)}")
    if run.invalid_rows and not run.created_count + run.updated_count + run.unchanged_count:
        console.print("[red]✗[/] nothing was written: fix the rows above, or use --skip-invalid")
    elif run.dry_run:
        console.print("[green]✓[/] dry run: nothing was written")
    else:
        console.print(f"[green]✓[/] import {run.id} {run.status.value}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
    )


def _reporter(bar: Progress, task: TaskID) -> ImportProgress:
    def report(stage: str, done: int, total: int | None) -> None:
        bar.update(task, description=stage, completed=done, total=total)

    return report
