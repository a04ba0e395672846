"""``kizuna potential list | set | remove | totals``: expansion potential from a terminal.

Accounts are named by id, external id or exact name; products by code or id. Amounts are
integer minor units (yen for JPY), as in the API.
"""

from __future__ import annotations

import json
import uuid

import typer
from rich import box
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.cli.context import CLI_ACTOR, acting_as, console, database, fail
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money
from kizuna.models.account import Account
from kizuna.models.enums import Tier
from kizuna.models.potential import PotentialConfidence
from kizuna.models.product import Product
from kizuna.models.user import User
from kizuna.potential import service
from kizuna.potential.schemas import PotentialCreate, PotentialFilters, PotentialOut, TotalsBy

app = typer.Typer(
    help="Expansion potential per account × product: list, set, remove, totals.",
    no_args_is_help=True,
)
ACCOUNT = typer.Argument(..., help="Account id, external id or exact name.")
PRODUCT = typer.Argument(..., help="Product code or id.")
BY = typer.Option(None, "--by", metavar="EMAIL", help="Act as this user (audit, 'recorded by').")
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="potential")


def resolve_account(session: Session, ref: str) -> Account:
    try:
        found = session.get(Account, uuid.UUID(ref))
    except ValueError:
        found = None
    if found is None:
        matches = session.scalars(
            select(Account).where((Account.external_id == ref) | (Account.name == ref)).limit(2)
        ).all()
        if len(matches) > 1:
            fail(f"more than one account is called {ref!r}; use its id", code=1)
        found = matches[0] if matches else None
    if found is None:
        fail(f"no account {ref!r}", code=1)
    return found


def resolve_product(session: Session, ref: str) -> Product:
    try:
        found = session.get(Product, uuid.UUID(ref))
    except ValueError:
        found = session.scalar(select(Product).where(Product.code == ref))
    if found is None:
        fail(f"no product {ref!r}", code=1)
    return found


def resolve_user(session: Session, email: str | None) -> uuid.UUID | None:
    if not email:
        return None
    owner = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if owner is None:
        fail(f"no user with the e-mail {email}", code=1)
    return owner


def _print(items: list[PotentialOut]) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("account", "product", "potential MRR", "confidence", "seats", "month"):
        table.add_column(name, overflow="fold")
    table.add_column("id", no_wrap=True, style="dim", min_width=36)
    for p in items:
        table.add_row(
            p.account_name,
            p.product_code,
            format_money(p.mrr_amount, p.currency),
            f"{p.confidence.value} ({p.confidence_percent}%)",
            "—" if p.seats is None else str(p.seats),
            p.expected_on.strftime("%Y-%m") if p.expected_on else "—",
            str(p.id),
        )
    console.print(table)
    console.print(f"{len(items)} potential(s)")


@app.command("list")
def list_potential(
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    product: str | None = typer.Option(None, "--product", help="Only this product (code)."),
    tier: Tier | None = typer.Option(None, "--tier", help="Only accounts of this tier."),
    owner: str | None = typer.Option(None, "--owner", metavar="EMAIL", help="Only this CSM's."),
    limit: int = typer.Option(500, min=1, max=100_000, help="At most this many."),
    as_json: bool = JSON,
) -> None:
    """Potential, largest first."""
    with database().sessions() as session, session.begin():
        filters = PotentialFilters(
            account_id=resolve_account(session, account).id if account else None,
            product_id=resolve_product(session, product).id if product else None,
            tier=tier,
            owner_id=resolve_user(session, owner),
        )
        items: list[PotentialOut] = []
        cursor = None
        try:
            while len(items) < limit:
                page = service.list_potentials(
                    session, CLI_ACTOR, filters, cursor=cursor, limit=min(500, limit - len(items))
                )
                items += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False))
        return
    _print(items)


@app.command("set")
def set_potential(
    account: str = ACCOUNT,
    product: str = PRODUCT,
    mrr_amount: int = typer.Option(
        ..., "--mrr-amount", min=0, help="Potential MRR in minor units (yen for JPY)."
    ),
    confidence: PotentialConfidence = typer.Option(
        ..., "--confidence", help="low (20 %), medium (50 %), high (80 %)."
    ),
    seats: int | None = typer.Option(None, "--seats", min=0, help="Potential seats."),
    month: str | None = typer.Option(None, "--month", help="Expected month, YYYY-MM."),
    currency: str | None = typer.Option(None, "--currency", help="Default: the account's."),
    note: str = typer.Option("", "--note", help="The evidence in words."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Record the account's potential for the product, or replace it."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                data = PotentialCreate.model_validate(
                    {
                        "account_id": resolve_account(session, account).id,
                        "product_id": resolve_product(session, product).id,
                        "mrr_amount": mrr_amount,
                        "confidence": confidence,
                        "seats": seats,
                        "expected_on": month,
                        "currency": currency.upper() if currency else None,
                        "note": note,
                    }
                )
                saved = service.set_potential(session, actor, data)
                out = service.get_potential(session, actor, saved.id)
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
        except ValueError as exc:
            fail(str(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
        return
    _print([out])


@app.command("remove")
def remove(account: str = ACCOUNT, product: str = PRODUCT, by: str | None = BY) -> None:
    """Remove the account's potential for the product."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                acc, prod = resolve_account(session, account), resolve_product(session, product)
                found = service.find_potential(session, actor, acc.id, prod.id)
                if found is None:
                    fail(f"{acc.name} has no potential for {prod.code}", code=1)
                service.delete_potential(session, actor, found.id)
        except DomainError as exc:
            fail(exc, code=1)
    console.print(f"[green]✓[/] removed the potential of {acc.name} for {prod.code}")


@app.command("totals")
def totals(
    by: TotalsBy = typer.Option(TotalsBy.PRODUCT, "--by", help="product, tier or owner (CSM)."),
    tier: Tier | None = typer.Option(None, "--tier", help="Only accounts of this tier."),
    as_json: bool = JSON,
) -> None:
    """Potential MRR by product, tier or owner, unweighted and weighted by confidence."""
    with database().sessions() as session, session.begin():
        result = service.totals(session, CLI_ACTOR, by=by, tier=tier)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in (by.value, "count", "potential MRR", "weighted"):
        table.add_column(name, justify="left" if name == by.value else "right")
    for row in [*result.rows, *result.grand]:
        label = row.label or "[bold]total[/]"
        table.add_row(
            label,
            str(row.count),
            format_money(row.mrr_amount, row.currency),
            format_money(row.weighted_mrr_amount, row.currency),
        )
    console.print(table)
