"""``kizuna health backtest | train | predict``: the churn-risk model from the command line."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, settings
from kizuna.health.churn import service
from kizuna.kit.clock import today
from kizuna.kit.errors import DomainError, Invalid

app = typer.Typer(help="Health scores and the churn-risk model.", no_args_is_help=True)
_SYSTEM = Actor.system("cli")
HORIZON = typer.Option(90, "--horizon", help="Days ahead a churn counts (the label window).")


def _fail(exc: DomainError) -> NoReturn:
    if isinstance(exc, Invalid):
        for problem in exc.problems:
            err_console.print(f"[red]✗[/] {problem.message}")
    else:
        err_console.print(f"[red]✗[/] {exc.message}")
    raise typer.Exit(2)


def _number(value: Any, fmt: str = ".3f") -> str:
    return "—" if value is None else format(value, fmt)


@app.command("backtest")
def backtest(
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
    horizon: int = HORIZON,
) -> None:
    """Validate the churn model on a held-out period (the latest ~20 % of observation
    dates), fitted only on outcomes known before that period: AUC, top-decile lift, Brier."""
    s = settings()
    with database().sessions() as session:
        try:
            with session.begin():
                result = service.backtest(
                    session,
                    data_dir=s.data_dir,
                    zone=s.default_timezone,
                    today=today(s.default_timezone),
                    horizon_days=horizon,
                )
        except DomainError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    periods = result.get("periods", {})
    table = Table("measure", "value", title=f"churn within {horizon} days — held-out period")
    table.add_row("AUC", _number(result.get("auc")))
    table.add_row("top-decile lift", _number(result.get("top_decile_lift"), ".2f"))
    table.add_row("Brier score", _number(result.get("brier"), ".4f"))
    table.add_row("training period", f"{periods.get('train_from')} … {periods.get('train_to')}")
    table.add_row("held-out period", f"{periods.get('heldout_from')} … {periods.get('heldout_to')}")
    for part in ("train", "heldout"):
        counts = result.get(part, {})
        table.add_row(
            f"{part}: observations / churn rows / churned accounts",
            f"{counts.get('rows', 0):,} / {counts.get('positives', 0):,} / "
            f"{counts.get('churned_accounts', 0):,}",
        )
    console.print(table)
    refusal = result.get("refusal")
    if refusal:
        err_console.print(f"[yellow]![/] training would be refused: {refusal['message']}")


@app.command("train")
def train(horizon: int = HORIZON) -> None:
    """Train the churn model now and publish it, unless the history is too thin or the
    model too weak (exit 1 with the reason; the previous model stays in use)."""
    s = settings()
    with database().sessions() as session:
        try:
            with session.begin():
                model = service.train(
                    session,
                    _SYSTEM,
                    data_dir=s.data_dir,
                    zone=s.default_timezone,
                    today=today(s.default_timezone),
                    horizon_days=horizon,
                )
                number, status, message = model.number, model.status, model.message
                auc = model.metrics.get("auc")
        except DomainError as exc:
            _fail(exc)
    if status != "published":
        err_console.print(f"[red]✗[/] model #{number} refused: {message}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] model #{number} published (held-out AUC {_number(auc)})")


@app.command("predict")
def predict(
    at: Path = typer.Option(
        ..., "--at", exists=True, dir_okay=False, help="CSV with account_external_id,date."
    ),
    train_until: str = typer.Option(
        ..., "--train-until", help="Train only on outcomes known before this day (YYYY-MM-DD)."
    ),
    output: Path = typer.Option(..., "--output", dir_okay=False, help="CSV to write."),
    horizon: int = HORIZON,
) -> None:
    """Churn-risk probability of each (account, date) row, from data dated before that
    date, with a model trained only on outcomes known before --train-until."""
    try:
        until = date.fromisoformat(train_until)
    except ValueError:
        err_console.print(f"[red]✗[/] --train-until must be a date (YYYY-MM-DD): {train_until!r}")
        raise typer.Exit(2) from None
    with at.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"account_external_id", "date"} - set(reader.fieldnames or [])
        if missing:
            err_console.print(f"[red]✗[/] {at} lacks column(s): {', '.join(sorted(missing))}")
            raise typer.Exit(2)
        rows = list(reader)
    s = settings()
    with database().sessions() as session:
        try:
            with session.begin():
                probabilities = service.predict(
                    session,
                    rows,
                    train_until=until,
                    horizon_days=horizon,
                    data_dir=s.data_dir,
                    zone=s.default_timezone,
                )
        except DomainError as exc:
            _fail(exc)
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_external_id", "date", "probability"])
        for row, probability in zip(rows, probabilities, strict=True):
            writer.writerow([row["account_external_id"], row["date"], f"{probability:.6f}"])
    console.print(f"[green]✓[/] {len(rows):,} rows → {output}")
