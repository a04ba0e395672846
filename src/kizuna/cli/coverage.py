"""``kizuna coverage show | apply [--dry-run] | books | rules export | rules import FILE |
pin ACCOUNT | unpin ACCOUNT``: tiers, the coverage model and assignment.

``apply`` runs the tier rules, then the assignment rules (the daily job
``coverage.apply_tiers`` does the same at 04:15); ``--dry-run`` shows the changes and
writes nothing. Rules files are YAML with teams by name and users by e-mail.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import NoReturn

import typer
import yaml
from rich import box
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, fail, settings
from kizuna.cli.segments import fact_source
from kizuna.coverage import service
from kizuna.coverage.schemas import ApplyIn, RulesFile
from kizuna.kit.errors import DomainError
from kizuna.models.coverage import OwnerField
from kizuna.models.enums import Tier

coverage_app = typer.Typer(
    help="Tiers, the coverage model, assignment rules and books of business.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Export or import the coverage model and rules.", no_args_is_help=True)
coverage_app.add_typer(rules_app, name="rules")
_CLI = Actor.system("cli")


def register(app: typer.Typer) -> None:
    app.add_typer(coverage_app, name="coverage")


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=1, short_paths=True)


@coverage_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """The coverage model per tier, then the tier and assignment rules in order."""
    with database().sessions() as session, session.begin():
        data = service.export_rules(session, _CLI)
    if as_json:
        typer.echo(json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    model = Table("tier", "touch model", "team", "per person", "cadence", box=box.SIMPLE_HEAD)
    for t in data.tiers:
        model.add_row(
            t.tier.value,
            t.touch_model.value,
            t.team or "—",
            f"{t.accounts_per_person:,}" if t.accounts_per_person else "—",
            f"{t.cadence_days} days" if t.cadence_days else "—",
        )
    console.print(model)
    rules = Table("#", "tier rule", "→ tier", "enabled", "condition", box=box.SIMPLE_HEAD)
    for n, r in enumerate(data.tier_rules, 1):
        rules.add_row(str(n), r.name, r.tier.value, "yes" if r.enabled else "no",
                      json.dumps(r.condition, ensure_ascii=False))  # fmt: skip
    console.print(rules if data.tier_rules else "[dim]No tier rules: tiers stay as they are.[/]")
    assign = Table(
        "#", "assignment rule", "field", "strategy", "to", "reassign", box=box.SIMPLE_HEAD
    )
    for n, a in enumerate(data.assignment_rules, 1):
        assign.add_row(str(n), a.name, a.owner_field.value, a.strategy.value,
                       a.user or a.team or "—", "yes" if a.reassign else "no")  # fmt: skip
    console.print(assign if data.assignment_rules else "[dim]No assignment rules.[/]")


@coverage_app.command("apply")
def apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes, write nothing."),
    tiers: bool = typer.Option(True, "--tiers/--no-tiers", help="Run the tier rules."),
    assignment: bool = typer.Option(
        True, "--assignment/--no-assignment", help="Run the assignment rules."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
) -> None:
    """Run the tier rules, then the assignment rules, over every account."""
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True,
                      console=err_console) as progress:  # fmt: skip
            progress.add_task("evaluating rules over every account…")
            with database().sessions() as session, session.begin():
                out = service.apply(
                    session,
                    _CLI,
                    ApplyIn(dry_run=dry_run, tiers=tiers, assignment=assignment),
                    source=fact_source(session),
                )
    except DomainError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    verb = "would change" if dry_run else "changed"
    if out.tiers is not None:
        table = Table("account", "tier", "rule", box=box.SIMPLE_HEAD)
        for c in out.tiers.changes[:50]:
            table.add_row(c.account_name, f"{c.old.value if c.old else '—'} → {c.new.value}",
                          c.rule or "(no rule: Tier 3)")  # fmt: skip
        if out.tiers.changes:
            console.print(table)
        console.print(
            f"tiers: {len(out.tiers.changes):,} accounts {verb} "
            f"({out.tiers.rules} rules, {out.tiers.pinned:,} pinned left alone)"
        )
    if out.assignment is not None:
        table = Table("account", "field", "owner", "rule", box=box.SIMPLE_HEAD)
        for o in out.assignment.changes[:50]:
            table.add_row(o.account_name, o.field.value,
                          f"{o.old_user_name or '—'} → {o.new_user_name}", o.rule)  # fmt: skip
        if out.assignment.changes:
            console.print(table)
        console.print(
            f"owners: {len(out.assignment.changes):,} accounts {verb}, "
            f"{len(out.assignment.unassigned):,} left without an owner (no one with room)"
        )


@coverage_app.command("books")
def books(
    field: OwnerField = typer.Option(OwnerField.CSM_OWNER, "--field", help="Owner field."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Books of business: accounts, capacity and utilisation per person, and suggested
    re-balancing moves."""
    with database().sessions() as session, session.begin():
        out = service.books_of_business(
            session, _CLI, field=field, source=fact_source(session),
            currency=settings().default_currency,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    table = Table("person", "team", "accounts", "capacity", "utilisation", box=box.SIMPLE_HEAD)
    for b in out.books:
        use = "—" if b.utilisation is None else f"{b.utilisation:.0%}"
        table.add_row(b.name, b.team_name or "—", f"{b.accounts:,}",
                      f"{b.capacity:,}" if b.capacity else "—",
                      f"[red]{use}[/]" if b.over_capacity else use)  # fmt: skip
    console.print(table)
    console.print(f"{len(out.moves):,} suggested moves; {out.unowned:,} accounts without an owner")


@rules_app.command("export")
def export(
    file: Path | None = typer.Option(None, "--file", "-f", help="Write here (else stdout)."),
) -> None:
    """The coverage model and both rule lists as YAML."""
    with database().sessions() as session, session.begin():
        data = service.export_rules(session, _CLI)
    text = yaml.safe_dump(data.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    if file is None:
        typer.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"[green]✓[/] wrote {file}")


@rules_app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Replace the coverage model and both rule lists by those of FILE."""
    try:
        data = RulesFile.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValueError) as exc:
        err_console.print(f"[red]✗[/] {file}: {exc}")
        raise typer.Exit(1) from None
    try:
        with database().sessions() as session, session.begin():
            out = service.import_rules(session, _CLI, data, source=fact_source(session))
    except DomainError as exc:
        _fail(exc)
    console.print(
        f"[green]✓[/] {len(out.tier_rules)} tier rules, {len(out.assignment_rules)} "
        "assignment rules imported"
    )


@coverage_app.command("pin")
def pin(
    account_id: uuid.UUID = typer.Argument(..., help="The account's id."),
    tier: Tier | None = typer.Option(None, "--tier", help="Also set the tier."),
) -> None:
    """Pin an account's tier: tier rules leave it alone."""
    try:
        with database().sessions() as session, session.begin():
            account = service.pin_tier(session, _CLI, account_id, pinned=True, tier=tier)
            shown = account.tier.value if account.tier else "—"
    except DomainError as exc:
        _fail(exc)
    console.print(f"[green]✓[/] pinned at {shown}")


@coverage_app.command("unpin")
def unpin(account_id: uuid.UUID = typer.Argument(..., help="The account's id.")) -> None:
    """Let tier rules change the account's tier again."""
    try:
        with database().sessions() as session, session.begin():
            service.pin_tier(session, _CLI, account_id, pinned=False)
    except DomainError as exc:
        _fail(exc)
    console.print("[green]✓[/] unpinned")
