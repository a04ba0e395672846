"""``kizuna targets list | set | split | attainment | fiscal-year``: sales targets from a
terminal. Amounts are typed and shown in major units of the reporting currency (¥)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Column, Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.cli.context import CLI_ACTOR, console, database, fail, settings
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money, to_minor
from kizuna.models.enums import LeadSource
from kizuna.models.target import SplitMode, TargetMetric
from kizuna.models.user import Team
from kizuna.target import service
from kizuna.target.schemas import (
    SettingsUpdate,
    SplitIn,
    TargetAttainment,
    TargetCreate,
    TargetOut,
    TargetUpdate,
    TeamShareIn,
)

targets_app = typer.Typer(
    help="Sales targets per period × lead source: set, split to teams and people, attainment.",
    no_args_is_help=True,
)
PERIOD_HELP = "2026-Q3, 2026-07, 2026-H1, 2026-FY, this-quarter, last-month …"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")


def _company() -> tuple[str, str]:
    s = settings()
    return s.default_timezone, s.default_currency


def _show(value: int | None, metric: TargetMetric, currency: str) -> str:
    if value is None:
        return "—"
    if metric is TargetMetric.LEAD_COUNT:
        return f"{value:,}"
    return format_money(value, currency, locale="en")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _target_table(targets: list[TargetOut], currency: str) -> Table:
    table = Table(
        "id",
        "period",
        "source",
        "metric",
        Column("target", justify="right"),
        "split",
        Column("teams", justify="right"),
        Column("unallocated", justify="right"),
        box=box.SIMPLE,
    )
    for t in targets:
        table.add_row(
            str(t.id),
            t.period,
            t.lead_source.value,
            t.metric.value,
            _show(t.value, t.metric, currency),
            t.team_split.value,
            str(len(t.teams)),
            _show(t.remainder, t.metric, currency),
        )
    return table


@targets_app.command("list")
def list_targets(
    period: Annotated[str | None, typer.Option(help=PERIOD_HELP)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Targets (of one period), with their split to teams and people (--json)."""
    zone, currency = _company()
    with database().sessions() as session, session.begin():
        try:
            span = service.resolve_period(session, period, today=today_in(zone)) if period else None
            targets = service.list_targets(session, CLI_ACTOR, period=span)
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        _print_json([t.model_dump(mode="json") for t in targets])
        return
    if not targets:
        console.print("No targets.")
        return
    console.print(_target_table(targets, currency))


def _amount(text: str, metric: TargetMetric, currency: str) -> int:
    try:
        value = Decimal(text.replace(",", "").lstrip("¥$"))
    except InvalidOperation:
        fail(f"not a number: {text}", code=1)
    if value < 0:
        fail("the value must not be negative", code=1)
    if metric is TargetMetric.LEAD_COUNT:
        if value != value.to_integral_value():
            fail("a lead count is a whole number", code=1)
        return int(value)
    return to_minor(value, currency)


def _team_ids(session: Session, names: list[str]) -> list[tuple[uuid.UUID, Decimal | None]]:
    """``NAME`` or ``NAME=WEIGHT`` (a team's name or id) → (team id, weight)."""
    out = []
    for raw in names:
        name, _, weight_text = raw.partition("=")
        team = session.scalar(select(Team).where(Team.name == name.strip()))
        if team is None:
            try:
                team = session.get(Team, uuid.UUID(name.strip()))
            except ValueError:
                team = None
        if team is None:
            fail(f"no team named {name.strip()!r}", code=1)
        try:
            weight = Decimal(weight_text) if weight_text else None
        except InvalidOperation:
            fail(f"not a weight: {weight_text}", code=1)
        out.append((team.id, weight))
    return out


@targets_app.command("set")
def set_target(
    period: Annotated[str, typer.Argument(help=PERIOD_HELP)],
    value: Annotated[
        str, typer.Argument(help="amount in major units (3000000 = ¥3,000,000) or a count")
    ],
    source: Annotated[LeadSource, typer.Option(help="lead source")] = LeadSource.CS,
    metric: Annotated[
        TargetMetric, typer.Option(help="what is measured")
    ] = TargetMetric.CREATED_AMOUNT,
    team: Annotated[
        list[str] | None, typer.Option(help="split to this team (NAME or NAME=WEIGHT); repeat")
    ] = None,
    split: Annotated[SplitMode, typer.Option(help="how the teams share it")] = SplitMode.EVEN,
    note: str = "",
    as_json: JsonOpt = False,
) -> None:
    """Set (create, or change the value of) the target of a period × source × metric."""
    zone, currency = _company()
    amount = _amount(value, metric, currency)
    with database().sessions() as session, session.begin():
        try:
            span = service.resolve_period(session, period, today=today_in(zone))
            existing = service.list_targets(
                session, CLI_ACTOR, period=span, lead_source=source, metric=metric
            )
            teams = [TeamShareIn(team_id=t, weight=w) for t, w in _team_ids(session, team or [])]
            if existing:
                out = service.update_target(
                    session,
                    CLI_ACTOR,
                    existing[0].id,
                    TargetUpdate(value=amount, team_split=split, note=note or None),
                )
                if teams:
                    out = service.set_split(session, CLI_ACTOR, out.id, SplitIn(teams=teams))
            else:
                out = service.create_target(
                    session,
                    CLI_ACTOR,
                    TargetCreate(
                        period=span.key,
                        lead_source=source,
                        metric=metric,
                        value=amount,
                        team_split=split,
                        note=note,
                        teams=teams or None,
                    ),
                    reporting=currency,
                    today=today_in(zone),
                )
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    if as_json:
        _print_json(out.model_dump(mode="json"))
        return
    console.print(
        f"[green]✓[/] {out.period} {out.lead_source.value} {out.metric.value}: "
        f"{_show(out.value, out.metric, currency)} ({out.id})"
    )
    _print_split(out, currency)


def _print_split(target: TargetOut, currency: str) -> None:
    table = Table(
        "team / person",
        Column("weight", justify="right"),
        Column("fixed", justify="right"),
        Column("part", justify="right"),
        box=box.SIMPLE,
    )
    for t in target.teams:
        table.add_row(
            f"[bold]{t.name}[/]",
            str(t.effective_weight),
            _show(t.override, target.metric, currency),
            _show(t.value, target.metric, currency),
        )
        for m in t.members:
            table.add_row(
                f"  {m.name}",
                str(m.weight),
                _show(m.override, target.metric, currency),
                _show(m.value, target.metric, currency),
            )
    if target.teams:
        console.print(table)
    if target.remainder:
        console.print(f"[yellow]unallocated: {_show(target.remainder, target.metric, currency)}[/]")


@targets_app.command("split")
def split_target(
    target_id: Annotated[uuid.UUID, typer.Argument(help="the target's id (see `targets list`)")],
    team: Annotated[
        list[str] | None, typer.Option(help="NAME or NAME=WEIGHT; repeat; replaces the split")
    ] = None,
    mode: Annotated[SplitMode | None, typer.Option(help="how the teams share it")] = None,
    resplit: Annotated[
        bool, typer.Option("--resplit", help="only follow team changes, keeping manual weights")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Split a target to teams (and their members), or re-split after team changes."""
    _, currency = _company()
    with database().sessions() as session, session.begin():
        try:
            if resplit:
                out = service.resplit(session, CLI_ACTOR, target_id)
            else:
                if not team:
                    fail("name the teams with --team (or use --resplit)", code=1)
                teams = [TeamShareIn(team_id=t, weight=w) for t, w in _team_ids(session, team)]
                out = service.set_split(
                    session, CLI_ACTOR, target_id, SplitIn(team_split=mode, teams=teams)
                )
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    if as_json:
        _print_json(out.model_dump(mode="json"))
        return
    _print_split(out, currency)


def _attainment_table(a: TargetAttainment, currency: str) -> Table:
    metric, second = a.target.metric, a.secondary_metric
    table = Table(
        "level",
        "who",
        Column("target", justify="right"),
        Column(metric.value, justify="right"),
        Column("%", justify="right"),
        Column("pace", justify="right"),
        Column(second.value, justify="right"),
        title=f"{a.target.period} · {a.target.lead_source.value} · {metric.value}",
        box=box.SIMPLE,
    )
    for row in [a.company, *a.teams, *a.people]:
        name = "company" if row.level.value == "company" else (row.name or "(nobody)")
        table.add_row(
            row.level.value,
            name,
            _show(row.target, metric, currency),
            _show(row.actual, metric, currency),
            _pct(row.percent),
            _pct(row.pace),
            _show(row.secondary, second, currency),
        )
    return table


@targets_app.command("attainment")
def attainment(
    period: Annotated[str, typer.Option(help=PERIOD_HELP)] = "this-quarter",
    source: Annotated[LeadSource | None, typer.Option(help="only this lead source")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Attainment of every target of a period: company, teams, people; pace vs time."""
    zone, currency = _company()
    day = today_in(zone)
    with database().sessions() as session, session.begin():
        try:
            span = service.resolve_period(session, period, today=day)
            report = service.attainment(
                session,
                CLI_ACTOR,
                span,
                zone=zone,
                reporting=currency,
                today=day,
                lead_source=source,
            )
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    console.print(
        f"{report.period}: {report.starts_on} – {report.ends_on}, "
        f"{_pct(report.elapsed)} of the period passed"
    )
    if not report.targets:
        console.print("No targets for this period.")
    for a in report.targets:
        console.print(_attainment_table(a, currency))


@targets_app.command("fiscal-year")
def fiscal_year(
    start_month: Annotated[
        int | None, typer.Argument(min=1, max=12, help="1–12; omit to show")
    ] = None,
) -> None:
    """Show or set the fiscal year's first month (4 = April, the default)."""
    with database().sessions() as session, session.begin():
        if start_month is None:
            console.print(f"The fiscal year starts in month {service.fiscal_start(session)}.")
            return
        service.update_settings(
            session, CLI_ACTOR, SettingsUpdate(fiscal_year_start_month=start_month)
        )
    console.print(f"[green]✓[/] The fiscal year starts in month {start_month}.")
