"""``kizuna sales dashboard [--period …] [--json]``: the customer-sales dashboard."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer
from rich import box
from rich.table import Column, Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, fail, settings
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money
from kizuna.sales import service
from kizuna.sales.schemas import SalesDashboard
from kizuna.target import service as targets

sales_app = typer.Typer(help="Customer sales: the dashboard.", no_args_is_help=True)
_CLI = Actor.system("cli")


def register(app: typer.Typer) -> None:
    app.add_typer(sales_app, name="sales")


def _pct(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{Decimal(str(value)) * 100:.1f}%"


@sales_app.command("dashboard")
def dashboard(
    period: Annotated[
        str, typer.Option(help="this-month, this-quarter, this-year, 2026-Q3, 2026-FY, A..B")
    ] = "this-quarter",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Leads, created / won by lead source vs target, pipeline, top CSMs, accounts owned
    and the renewal forecast (the same numbers as /sales)."""
    s = settings()
    zone, currency = s.default_timezone, s.default_currency
    day = today_in(zone)
    with database().sessions() as session, session.begin():
        try:
            span = targets.resolve_period(session, period, today=day)
            board = service.dashboard(session, _CLI, span, zone=zone, reporting=currency, today=day)
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        typer.echo(json.dumps(board.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    _print(board)


def _print(board: SalesDashboard) -> None:
    cur = board.currency

    def money(v: int | None) -> str:
        return "—" if v is None else format_money(v, cur, locale="en")

    c = board.leads.counts
    console.print(
        f"[bold]{board.period}[/] {board.starts_on} – {board.ends_on} "
        f"({_pct(board.elapsed)} passed)"
    )
    console.print(
        f"Leads: {c.passed} passed, {c.accepted} accepted ({_pct(board.leads.acceptance_rate)}),"
        f" {c.converted} won ({_pct(board.leads.conversion_rate)}), within SLA "
        f"{_pct(c.accepted_within_sla_rate)}"
    )
    sources = Table(
        "lead source",
        Column("target", justify="right"),
        Column("created", justify="right"),
        Column("%", justify="right"),
        Column("won", justify="right"),
        box=box.SIMPLE,
        title="By lead source",
    )
    for r in board.sources:
        sources.add_row(
            r.lead_source.value,
            money(r.created_target),
            money(r.created_amount),
            _pct(r.created_percent),
            money(r.won_amount),
        )
    console.print(sources)
    stages = Table(
        "stage",
        Column("count", justify="right"),
        Column("amount", justify="right"),
        box=box.SIMPLE,
        title="Open pipeline",
    )
    for st in board.pipeline.stages:
        stages.add_row(st.stage.value, str(st.count), money(st.amount))
    console.print(stages)
    csms = Table(
        "CSM",
        Column("leads", justify="right"),
        Column("created", justify="right"),
        Column("won", justify="right"),
        box=box.SIMPLE,
        title=f"Top CSMs (by {board.cs_measure.value})",
    )
    for k in board.top_csms:
        csms.add_row(k.name, str(k.leads_passed), money(k.created_amount), money(k.won_amount))
    console.print(csms)
    owners = Table(
        "person",
        Column("accounts", justify="right"),
        Column("T1", justify="right"),
        Column("T2", justify="right"),
        Column("pipeline", justify="right"),
        box=box.SIMPLE,
        title="Accounts owned (保有企業数)",
    )
    for o in board.owners:
        owners.add_row(
            o.name, str(o.accounts), str(o.tier1), str(o.tier2), money(o.pipeline_amount)
        )
    console.print(owners)
    up = board.renewals.upcoming
    renewals = Table(
        "forecast",
        Column("count", justify="right"),
        Column("MRR at stake", justify="right"),
        Column("forecast", justify="right"),
        box=box.SIMPLE,
        title=f"Renewals, next {up.days} days",
    )
    for cat in up.categories:
        renewals.add_row(
            cat.forecast.value,
            str(cat.count),
            money(cat.mrr_amount),
            money(cat.forecast_mrr_amount),
        )
    console.print(renewals)
    acc = board.renewals.last_quarter_actual.accuracy
    console.print(
        f"{board.renewals.last_quarter}: {acc.count} settled, forecast "
        f"{money(acc.forecast_mrr_amount)}, actual {money(acc.actual_mrr_amount)}"
    )
