"""``kizuna leads list | pass | accept | reject``: upsell leads from a terminal."""

from __future__ import annotations

import json
import uuid

import typer
from pydantic import ValidationError
from rich import box
from rich.table import Column, Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.cli.context import acting_as, console, database, date_option, fail, settings, zone_of
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import DomainError, Invalid
from kizuna.kit.money import format_money
from kizuna.models.account import Account
from kizuna.models.pipeline import LeadStatus
from kizuna.models.product import Product
from kizuna.models.user import Team, User
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    LeadAccept,
    LeadCreate,
    LeadFilters,
    LeadOut,
    LeadReject,
    LeadView,
)

leads_app = typer.Typer(
    help="Upsell leads: list them, pass one to sales, accept or reject one.",
    no_args_is_help=True,
)
LEAD_ID = typer.Argument(..., help="The lead's id (see `kizuna leads list`).")


def register(app: typer.Typer) -> None:
    app.add_typer(leads_app, name="leads")


def explain(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, Invalid):
        return "; ".join(f"{p.loc[-1]}: {p.message}" for p in exc.problems)
    return exc.message


def user_id_of(session: Session, email: str) -> uuid.UUID:
    user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        fail(f"no user with the e-mail {email}", code=1)
    return user_id


def account_id_of(session: Session, ref: str) -> uuid.UUID:
    """An account by id, external id or exact name."""
    try:
        return uuid.UUID(ref)
    except ValueError:
        pass
    found = list(
        session.scalars(
            select(Account.id).where((Account.name == ref) | (Account.external_id == ref)).limit(2)
        )
    )
    if len(found) != 1:
        fail(f"no single account named {ref!r}" if found else f"no account {ref!r}", code=1)
    return found[0]


def product_id_of(session: Session, code: str) -> uuid.UUID:
    product_id = session.scalar(select(Product.id).where(Product.code == code))
    if product_id is None:
        fail(f"no product with the code {code!r}", code=1)
    return product_id


def _sla(lead: LeadOut) -> str:
    if lead.overdue:
        hours = lead.late_seconds // 3600
        return f"[red]overdue {hours // 24} d {hours % 24} h[/]"
    if lead.status is LeadStatus.PASSED:
        return f"due {lead.sla_due_at:%Y-%m-%d %H:%M} UTC"
    if lead.within_sla is None:
        return "—"
    return "within SLA" if lead.within_sla else "[yellow]after SLA[/]"


@leads_app.command("list")
def list_leads(
    view: LeadView = typer.Option(
        LeadView.ALL, "--view", help="mine (passed by --as), inbox (assigned to --as), all."
    ),
    as_user: str | None = typer.Option(
        None, "--as", metavar="EMAIL", help="Whose 'mine' / 'inbox' (and time zone)."
    ),
    status: LeadStatus | None = typer.Option(None, "--status", help="Only this status."),
    overdue: bool = typer.Option(False, "--overdue", help="Only leads past their SLA."),
    limit: int = typer.Option(200, min=1, max=10_000, help="At most this many leads."),
    as_json: bool = typer.Option(False, "--json", help="Print the leads as JSON."),
) -> None:
    """Leads, newest first."""
    if view is not LeadView.ALL and not as_user:
        fail("--view mine/inbox needs --as EMAIL", code=1)
    rows: list[LeadOut] = []
    with database().sessions() as session, session.begin():
        actor = acting_as(session, as_user)
        zone = actor.timezone if as_user else settings().default_timezone
        filters = LeadFilters(view=view, status=status, overdue=True if overdue else None)
        cursor = None
        try:
            while len(rows) < limit:
                page = service.list_leads(
                    session,
                    actor,
                    filters,
                    zone=zone,
                    cursor=cursor,
                    limit=min(500, limit - len(rows)),
                )
                rows += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(
        Column("id", no_wrap=True, style="dim", min_width=36),
        Column("account", overflow="fold", ratio=2),
        Column("product", overflow="fold", ratio=1),
        Column("est. MRR", justify="right", no_wrap=True),
        Column("CSM", overflow="fold"),
        Column("to", overflow="fold"),
        Column("status", no_wrap=True),
        Column("SLA", overflow="fold"),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for r in rows:
        table.add_row(
            str(r.id),
            r.account_name,
            r.product_code or "—",
            format_money(r.amount, r.currency),
            r.passed_by_name or "—",
            r.assignee_name or r.assignee_team_name or "—",
            r.status.value,
            _sla(r),
        )
    console.print(table)
    console.print(f"{len(rows)} lead(s)" + (" (more not shown)" if cursor else ""))


@leads_app.command("pass")
def pass_lead(
    account: str = typer.Option(..., "--account", help="Account id, external id or exact name."),
    amount: int = typer.Option(..., "--amount", min=0, help="Estimated MRR in minor units."),
    reason: str = typer.Option(..., "--reason", help="Why the customer needs it."),
    by: str = typer.Option(..., "--by", metavar="EMAIL", help="The CSM passing it."),
    product: str | None = typer.Option(None, "--product", metavar="CODE", help="Product code."),
    to: str | None = typer.Option(None, "--to", metavar="EMAIL", help="The AE it goes to."),
    team: str | None = typer.Option(None, "--team", metavar="NAME", help="Or a team's name."),
    evidence: str = typer.Option("", "--evidence", help="What shows it."),
    as_json: bool = typer.Option(False, "--json", help="Print the lead as JSON."),
) -> None:
    """Pass an upsell lead to an AE or a team; the SLA clock starts now."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                team_id = None
                if team:
                    team_id = session.scalar(select(Team.id).where(Team.name == team))
                    if team_id is None:
                        fail(f"no team named {team!r}", code=1)
                data = LeadCreate(
                    account_id=account_id_of(session, account),
                    product_id=product_id_of(session, product) if product else None,
                    amount=amount,
                    reason=reason,
                    evidence=evidence,
                    assignee_id=user_id_of(session, to) if to else None,
                    assignee_team_id=team_id,
                )
                lead = service.pass_lead(session, actor, data)
                out = service.get_lead(session, actor, lead.id)
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
        return
    console.print(
        f"[green]✓[/] lead {out.id} passed to {out.assignee_name or out.assignee_team_name}; "
        f"decide by {out.sla_due_at:%Y-%m-%d %H:%M} UTC"
    )


@leads_app.command("accept")
def accept(
    lead_id: uuid.UUID = LEAD_ID,
    by: str | None = typer.Option(
        None, "--by", metavar="EMAIL", help="Accept as this user (the opportunity's owner)."
    ),
    close_on: str | None = typer.Option(
        None, "--close-on", metavar="YYYY-MM-DD", help="Expected close date (default +30 days)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the opportunity as JSON."),
) -> None:
    """Accept a lead: creates the opportunity (stage qualification, source CS)."""
    close = date_option(close_on, "--close-on")
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                zone = zone_of(actor)
                opportunity = service.accept_lead(
                    session, actor, lead_id, LeadAccept(close_on=close), today=today_in(zone)
                )
                out = service.get_opportunity(session, actor, opportunity.id)
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
        return
    console.print(f"[green]✓[/] accepted: opportunity {out.id} “{out.name}”")


@leads_app.command("reject")
def reject(
    lead_id: uuid.UUID = LEAD_ID,
    reason: str = typer.Option(..., "--reason", help="Why (required)."),
    by: str | None = typer.Option(None, "--by", metavar="EMAIL", help="Reject as this user."),
) -> None:
    """Reject a lead with a reason."""
    with database().sessions() as session:
        try:
            with session.begin():
                service.reject_lead(
                    session, acting_as(session, by), lead_id, LeadReject(reason=reason)
                )
        except (DomainError, ValidationError) as exc:
            fail(explain(exc), code=1)
    console.print(f"[green]✓[/] lead {lead_id} rejected")
