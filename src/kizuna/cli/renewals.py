"""``kizuna renewals list | sync | forecast ACCOUNT``: the renewals centre from a terminal."""

from __future__ import annotations

import json
import uuid
from datetime import date

import typer
from rich import box
from rich.table import Column, Table
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kizuna.cli.context import (
    CLI_ACTOR,
    acting_as,
    console,
    database,
    date_option,
    err_console,
    fail,
    settings,
    zone_of,
)
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money
from kizuna.models.account import Account
from kizuna.models.renewal import Renewal, RenewalForecast, RenewalOutcome
from kizuna.renewal import rules, service
from kizuna.renewal.schemas import ForecastSet, RenewalFilters, RenewalOut

renewals_app = typer.Typer(
    help="Renewals: list upcoming ones, sync them from the contract lines, set a forecast.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(renewals_app, name="renewals")


def _account(session: Session, ref: str) -> Account:
    """An account by id, external id or exact name."""
    try:
        found = session.get(Account, uuid.UUID(ref))
        if found is not None:
            return found
    except ValueError:
        pass
    matches = list(
        session.scalars(
            select(Account).where(or_(Account.external_id == ref, Account.name == ref)).limit(2)
        )
    )
    if not matches:
        fail(f"no account {ref!r} (give its id, external id or exact name)", code=1)
    if len(matches) > 1:
        fail(f"several accounts are called {ref!r}: give the id", code=1)
    return matches[0]


def _print(rows: list[RenewalOut]) -> None:
    table = Table(
        Column("renews on", no_wrap=True),
        Column("days", justify="right"),
        Column("account", overflow="fold", ratio=2, min_width=12),
        Column("MRR at stake", justify="right", no_wrap=True),
        Column("health", no_wrap=True),
        Column("forecast", no_wrap=True),
        Column("owner", overflow="fold", min_width=8),
        Column("plan", no_wrap=True),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    colours = {"commit": "green", "likely": "blue", "at_risk": "yellow", "churn": "red"}
    for r in rows:
        health = f"{r.health_score:.0f} {r.health_band}" if r.health_score is not None else "—"
        forecast = f"[{colours[r.forecast.value]}]{r.forecast.value}[/]" + (
            " (suggested)" if r.suggested else ""
        )
        plan = f"{r.closing_plans[0].progress}%" if r.closing_plans else "—"
        table.add_row(
            r.renews_on.isoformat(),
            str(r.days_left),
            r.account_name,
            format_money(r.mrr_amount, r.currency, locale="en"),
            health,
            forecast,
            r.owner_name or "—",
            plan,
        )
    console.print(table)


@renewals_app.command("list")
def list_renewals(
    days: int = typer.Option(90, "--days", help="Window ahead of today: 30, 60, 90 or 180."),
    forecast: RenewalForecast | None = typer.Option(None, "--forecast", help="Only this category."),
    as_json: bool = typer.Option(False, "--json", help="Print the renewals as JSON."),
) -> None:
    """Renewals dated today … today + DAYS (default time zone), soonest first, with the
    totals per forecast category."""
    if days not in rules.WINDOWS:
        fail(f"--days must be one of {', '.join(map(str, rules.WINDOWS))}", code=1)
    day = today_in(settings().default_timezone)
    reporting = settings().default_currency
    rows: list[RenewalOut] = []
    with database().sessions() as session, session.begin():
        filters = RenewalFilters(days=days, forecast=forecast)
        page = 1
        while True:
            result = service.list_renewals(session, CLI_ACTOR, filters, today=day, page=page)
            rows += result.items
            if page >= result.pages:
                break
            page += 1
        summary = service.forecast_summary(session, today=day, days=days, reporting=reporting)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "renewals": [r.model_dump(mode="json") for r in rows],
                    "summary": summary.model_dump(mode="json"),
                },
                ensure_ascii=False,
            )
        )
        return
    _print(rows)
    totals = " · ".join(
        f"{c.forecast.value} {c.count} / {format_money(c.mrr_amount, reporting, locale='en')}"
        for c in summary.categories
    )
    console.print(f"{len(rows)} renewal(s) in the next {days} days — {totals}")


@renewals_app.command("sync")
def sync(
    on: str | None = typer.Option(
        None, "--today", metavar="YYYY-MM-DD", help="Sync as of this day (default: today)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """What the daily job does: renewals from the contract lines, suggested forecasts,
    outcomes of renewals whose date has come. Idempotent."""
    day = date_option(on, "--today") or today_in(settings().default_timezone)
    with database().sessions() as session:
        try:
            with session.begin():
                result = service.sync(
                    session, day, actor=CLI_ACTOR, reporting=settings().default_currency
                )
        except DomainError as exc:
            fail(exc.message, code=1)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(
        f"[green]✓[/] renewals as of {day}: {result.created} new, {result.updated} updated, "
        f"{result.removed} removed, {result.settled} settled, {result.events} at-risk event(s)"
    )
    for problem in result.skipped:
        err_console.print(f"[yellow]![/] skipped {problem}")


@renewals_app.command("forecast")
def set_forecast(
    account: str = typer.Argument(..., help="The account: id, external id or exact name."),
    category: str = typer.Option(
        ...,
        "--category",
        help="commit, likely, at_risk, churn, or 'suggested' (back to the system's suggestion).",
    ),
    note: str = typer.Option("", "--note", help="Why (shown on the renewals page)."),
    mrr: int | None = typer.Option(
        None, "--mrr", help="Expected MRR after renewal, minor units (default: MRR at stake)."
    ),
    renews_on: str | None = typer.Option(
        None, "--date", metavar="YYYY-MM-DD", help="Which renewal (default: the next one)."
    ),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Set it as this user."),
    as_json: bool = typer.Option(False, "--json", help="Print the renewal as JSON."),
) -> None:
    """Set the forecast of an account's next pending renewal."""
    if category != "suggested" and category not in {f.value for f in RenewalForecast}:
        fail("--category must be commit, likely, at_risk, churn or suggested", code=1)
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                day = today_in(zone)
                target = _account(session, account)
                stmt = select(Renewal).where(
                    Renewal.account_id == target.id,
                    Renewal.outcome == RenewalOutcome.PENDING,
                    Renewal.renews_on > day,
                )
                if renews_on:
                    stmt = stmt.where(Renewal.renews_on == date.fromisoformat(renews_on))
                renewal = session.scalar(stmt.order_by(Renewal.renews_on).limit(1))
                if renewal is None:
                    fail(f"{target.name} has no pending renewal to forecast", code=1)
                data = ForecastSet(
                    forecast=None if category == "suggested" else RenewalForecast(category),
                    note=note,
                    forecast_mrr_amount=mrr,
                )
                service.set_forecast(session, actor, renewal.id, data, today=day)
                out = service.get_renewal(session, actor, renewal.id, today=day)
        except DomainError as exc:
            fail(exc.message, code=1)
        except ValueError as exc:
            fail(str(exc), code=1)
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(
        f"[green]✓[/] {out.account_name} {out.renews_on}: {out.forecast.value}"
        + (" (suggested)" if out.suggested else "")
    )
