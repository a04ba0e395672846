"""``kizuna opportunities list | create | stage | win | lose``: the pipeline from a terminal."""

from __future__ import annotations

import json
import uuid

import typer
from pydantic import ValidationError
from rich import box
from rich.table import Column, Table

from kizuna.cli.context import acting_as, console, database, date_option, fail, zone_of
from kizuna.cli.leads import account_id_of, explain, product_id_of, user_id_of
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import OpportunityStage
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    OpportunityCreate,
    OpportunityFilters,
    OpportunityLose,
    OpportunityOut,
    OpportunityWin,
)

opportunities_app = typer.Typer(
    help="Opportunities: list, create, move a stage, win (writes the line) or lose.",
    no_args_is_help=True,
)
OPPORTUNITY_ID = typer.Argument(..., help="The opportunity's id (see `kizuna opportunities list`).")


def register(app: typer.Typer) -> None:
    app.add_typer(opportunities_app, name="opportunities")


@opportunities_app.command("list")
def list_opportunities(
    stage: OpportunityStage | None = typer.Option(None, "--stage", help="Only this stage."),
    source: LeadSource | None = typer.Option(None, "--source", help="Only this lead source."),
    owner: str | None = typer.Option(None, "--owner", metavar="EMAIL", help="Only this owner."),
    open_only: bool = typer.Option(False, "--open", help="Only open stages."),
    limit: int = typer.Option(200, min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print them as JSON."),
) -> None:
    """Opportunities by close date."""
    rows: list[OpportunityOut] = []
    with database().sessions() as session, session.begin():
        actor = acting_as(session, None)
        filters = OpportunityFilters(
            stage=stage,
            lead_source=source,
            owner_id=user_id_of(session, owner) if owner else None,
            open_only=open_only,
        )
        cursor = None
        while len(rows) < limit:
            page = service.list_opportunities(
                session, actor, filters, cursor=cursor, limit=min(500, limit - len(rows))
            )
            rows += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(
        Column("id", no_wrap=True, style="dim", min_width=36),
        Column("name", overflow="fold", ratio=2),
        Column("stage", no_wrap=True),
        Column("MRR", justify="right", no_wrap=True),
        Column("close", no_wrap=True),
        Column("source", no_wrap=True),
        Column("owner", overflow="fold"),
        Column("created by", overflow="fold"),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for r in rows:
        table.add_row(
            str(r.id),
            r.name,
            r.stage.value,
            format_money(r.amount, r.currency),
            r.close_on.isoformat(),
            r.lead_source.value,
            r.owner_name or "—",
            r.created_by_name or "—",
        )
    console.print(table)
    console.print(f"{len(rows)} opportunit{'y' if len(rows) == 1 else 'ies'}")


@opportunities_app.command("create")
def create(
    account: str = typer.Option(..., "--account", help="Account id, external id or exact name."),
    amount: int = typer.Option(..., "--amount", min=0, help="MRR it adds, minor units."),
    close_on: str = typer.Option(..., "--close-on", metavar="YYYY-MM-DD", help="Expected close."),
    source: LeadSource = typer.Option(..., "--source", help="cs, marketing, sales or partner."),
    product: str | None = typer.Option(None, "--product", metavar="CODE", help="Product code."),
    name: str | None = typer.Option(None, "--name", help="Default: product — account."),
    quantity: int | None = typer.Option(None, "--quantity", min=0, help="Seats."),
    owner: str | None = typer.Option(None, "--owner", metavar="EMAIL", help="The AE."),
    credited: str | None = typer.Option(
        None, "--credited", metavar="EMAIL", help="Who is credited with creating it."
    ),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Create as this user."),
    as_json: bool = typer.Option(False, "--json", help="Print it as JSON."),
) -> None:
    """Create an opportunity directly (not from a lead)."""
    close = date_option(close_on, "--close-on")
    assert close is not None
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                data = OpportunityCreate(
                    account_id=account_id_of(session, account),
                    product_id=product_id_of(session, product) if product else None,
                    name=name,
                    amount=amount,
                    quantity=quantity,
                    close_on=close,
                    lead_source=source,
                    owner_id=user_id_of(session, owner) if owner else None,
                    created_by_id=user_id_of(session, credited) if credited else None,
                )
                opportunity = service.create_opportunity(session, actor, data, today=today_in(zone))
                out = service.get_opportunity(session, actor, opportunity.id)
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
        return
    console.print(f"[green]✓[/] opportunity {out.id} “{out.name}” created")


@opportunities_app.command("stage")
def stage(
    opportunity_id: uuid.UUID = OPPORTUNITY_ID,
    to: OpportunityStage = typer.Argument(..., help="qualification, proposal or negotiation."),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Move as this user."),
) -> None:
    """Move an open opportunity to another open stage."""
    with database().sessions() as session:
        try:
            with session.begin():
                service.move_stage(session, acting_as(session, by), opportunity_id, to)
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    console.print(f"[green]✓[/] moved to {to.value}")


@opportunities_app.command("win")
def win(
    opportunity_id: uuid.UUID = OPPORTUNITY_ID,
    start_on: str | None = typer.Option(
        None, "--start-on", metavar="YYYY-MM-DD", help="Start of the new line (default: close)."
    ),
    quantity: int | None = typer.Option(None, "--quantity", min=0, help="Seats."),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Win as this user."),
    as_json: bool = typer.Option(False, "--json", help="Print it as JSON."),
) -> None:
    """Mark won: writes the subscription line (co-terminous, else 12 months)."""
    start = date_option(start_on, "--start-on")
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                service.win_opportunity(
                    session,
                    actor,
                    opportunity_id,
                    OpportunityWin(start_on=start, quantity=quantity),
                    today=today_in(zone),
                )
                out = service.get_opportunity(session, actor, opportunity_id)
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
        return
    console.print(f"[green]✓[/] won; subscription line {out.subscription_id}")


@opportunities_app.command("lose")
def lose(
    opportunity_id: uuid.UUID = OPPORTUNITY_ID,
    reason: str = typer.Option(..., "--reason", help="Why it was lost (required)."),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="As this user."),
) -> None:
    """Mark lost with a reason."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                service.lose_opportunity(
                    session,
                    actor,
                    opportunity_id,
                    OpportunityLose(reason=reason),
                    today=today_in(zone),
                )
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    console.print("[green]✓[/] marked lost")
