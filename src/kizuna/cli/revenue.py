"""``kizuna metrics revenue|movements|cohorts`` and ``kizuna rates set|list``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, settings
from kizuna.kit.clock import today
from kizuna.kit.errors import DomainError, Invalid
from kizuna.kit.money import format_money
from kizuna.revenue import rates, service
from kizuna.revenue.schemas import Basis, Cut, RateCreate, WindowFigures
from kizuna.subscription.terms import add_months

rates_app = typer.Typer(help="Exchange rates used to report in one currency.", no_args_is_help=True)
_SYSTEM = Actor.system("cli")
_DATE = ["%Y-%m-%d"]
T = TypeVar("T")

WINDOW_FIELDS = (
    "logo_churn_rate", "nrr", "grr", "mrr_churn_rate", "start_mrr", "end_mrr", "churned_mrr",
    "contraction_mrr", "expansion_mrr", "n_start", "n_churned",
)  # fmt: skip


def register(metrics_app: typer.Typer) -> None:
    metrics_app.command("revenue")(revenue)
    metrics_app.command("movements")(movements)
    metrics_app.command("cohorts")(cohorts)


def _run(work: Callable[..., T]) -> T:
    """Run one service call in a transaction; domain errors end the command with code 1."""
    with database().sessions() as session:
        try:
            with session.begin():
                return work(session)
        except DomainError as exc:
            if isinstance(exc, Invalid):
                for p in exc.problems:
                    err_console.print(f"[red]✗[/] {p.loc[-1]}: {p.message}")
            else:
                err_console.print(f"[red]✗[/] {exc.message}")
            raise typer.Exit(1) from None


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _show(name: str, value: object, currency: str) -> str:
    if name.endswith("_mrr") or name in ("mrr", "arr"):
        return format_money(int(value), currency)  # type: ignore[call-overload]
    if isinstance(value, Decimal) or value is None:
        return _pct(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _json(model: BaseModel) -> None:
    console.print_json(model.model_dump_json())


def revenue(
    start: datetime = typer.Option(..., "--from", formats=_DATE, help="s (YYYY-MM-DD)."),
    end: datetime = typer.Option(..., "--to", formats=_DATE, help="e (YYYY-MM-DD), after --from."),
    by: Cut | None = typer.Option(None, "--by", help="Split into groups."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Retention over [--from, --to): logo churn, NRR, GRR, MRR churn and their amounts."""
    currency = settings().default_currency
    report = _run(
        lambda s: service.window_report(s, _SYSTEM, start.date(), end.date(), by, currency=currency)
    )
    if as_json:
        _json(report)
        return
    title = f"{report.start} → {report.end} ({currency})"
    if by is not None:
        title += f", by {by.value}"
    columns: list[tuple[str, WindowFigures]] = [
        *((g.label or g.key, g.figures) for g in report.groups),
        ("total", report.figures),
    ]
    table = Table(title=title)  # one row per figure, one column per group
    table.add_column("figure")
    for label, _ in columns:
        table.add_column(label, justify="right", no_wrap=True)
    for name in WINDOW_FIELDS:
        table.add_row(name, *(_show(name, getattr(f, name), currency) for _, f in columns))
    console.print(table)


def movements(
    start: datetime = typer.Option(..., "--from", formats=_DATE, help="First month (any day)."),
    end: datetime = typer.Option(..., "--to", formats=_DATE, help="Last month (any day)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """MRR movements per month: new, expansion, contraction, churn, reactivation."""
    currency = settings().default_currency
    series = _run(
        lambda s: service.monthly_series(s, _SYSTEM, start.date(), end.date(), currency=currency)
    )
    if as_json:
        _json(series)
        return
    names = ("mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
             "reactivation_mrr", "closing_mrr", "logo_churn_rate", "nrr", "grr")  # fmt: skip
    table = Table(title=f"MRR movements ({currency})")
    table.add_column("month")
    for name in names:
        table.add_column(name, justify="right", overflow="fold")
    for row in series.months:
        table.add_row(
            row.month.strftime("%Y-%m"), *(_show(n, getattr(row, n), currency) for n in names)
        )
    console.print(table)


def cohorts(
    basis: Basis = typer.Option(Basis.LOGO, "--basis", help="Count accounts or MRR."),
    start: datetime | None = typer.Option(
        None, "--from", formats=_DATE, help="First cohort month (default: 12 months ago)."
    ),
    end: datetime | None = typer.Option(
        None, "--to", formats=_DATE, help="Last cohort month (default: last month)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Cohort retention by month since start (cohort = month of the first active day)."""
    this_month = today(settings().default_timezone).replace(day=1)
    first = start.date() if start else add_months(this_month, -12)
    last = end.date() if end else add_months(this_month, -1)
    currency = settings().default_currency
    table_data = _run(lambda s: service.cohorts(s, _SYSTEM, first, last, basis, currency=currency))
    if as_json:
        _json(table_data)
        return
    width = max((len(r.values) for r in table_data.rows), default=0)
    table = Table(title=f"Cohort retention ({basis.value})")
    table.add_column("cohort")
    table.add_column("size", justify="right")
    for k in range(width):
        table.add_column(f"m{k}", justify="right")
    for row in table_data.rows:
        table.add_row(row.cohort, f"{row.size:,}", *(_pct(v) for v in row.values))
    console.print(table)


@rates_app.command("set")
def set_rate(
    currency: str = typer.Argument(..., help="ISO 4217 code, e.g. USD."),
    rate: str = typer.Argument(..., help="Units of the reporting currency per 1 CURRENCY."),
    valid_from: datetime = typer.Option(
        ..., "--from", formats=_DATE, help="Valid from this day (YYYY-MM-DD)."
    ),
) -> None:
    """Set the rate of CURRENCY from a day on (replaces the rate of that day if any)."""
    try:
        data = RateCreate(
            currency=currency.upper(), rate=Decimal(rate), valid_from=valid_from.date()
        )
    except (ValidationError, InvalidOperation) as exc:
        err_console.print(f"[red]✗[/] RATE or CURRENCY: {exc}")
        raise typer.Exit(1) from None
    reporting = settings().default_currency
    out = _run(lambda s: rates.set_rate(s, _SYSTEM, data, reporting=reporting))
    console.print(f"1 {out.currency} = {out.rate.normalize():f} {reporting} from {out.valid_from}")


@rates_app.command("list")
def list_rates() -> None:
    """Every exchange rate, by currency, newest first."""
    rows = _run(lambda s: rates.list_rates(s, _SYSTEM))
    reporting = settings().default_currency
    table = Table(title=f"Exchange rates into {reporting}")
    for column in ("currency", "valid from", "rate"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.currency, r.valid_from.isoformat(), f"{r.rate.normalize():f}")
    console.print(table)
