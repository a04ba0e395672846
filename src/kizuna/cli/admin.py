"""users create/list and tokens create/list/revoke."""

from __future__ import annotations

import uuid
from datetime import timedelta

import typer
from rich.table import Table
from sqlalchemy import select

from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Scope
from kizuna.cli.context import console, database, err_console
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import DomainError, Invalid
from kizuna.models.enums import Role
from kizuna.models.user import User
from kizuna.user import service as users
from kizuna.user.schemas import UserCreate

users_app = typer.Typer(help="Manage users (people who log in).", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
_SYSTEM = Actor.system("cli")


def _fail(exc: DomainError) -> typer.Exit:
    if isinstance(exc, Invalid):
        for p in exc.problems:
            err_console.print(f"[red]✗[/] {p.loc[-1]}: {p.message}")
    else:
        err_console.print(f"[red]✗[/] {exc.message}")
    return typer.Exit(1)


@users_app.command("create")
def create_user(
    email: str = typer.Argument(..., help="Login e-mail address."),
    name: str = typer.Option(..., help="Display name, e.g. '佐藤 美咲'."),
    role: Role = typer.Option(Role.CSM, help="Role: what the user may see and do."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters (prompted when omitted).",
    ),
    locale: str = typer.Option("ja", help="UI language: ja or en."),
) -> None:
    """Create a user who can log in to the web UI."""
    with database().sessions() as session:
        try:
            with session.begin():
                user = users.create_user(
                    session,
                    _SYSTEM,
                    UserCreate(email=email, name=name, role=role, password=password, locale=locale),
                )
        except DomainError as exc:
            raise _fail(exc) from None
    console.print(f"[green]✓[/] created {user.email} ({user.role.value}) id={user.id}")


@users_app.command("list")
def list_users() -> None:
    """List users with their role and status."""
    with database().sessions() as session:
        rows = session.scalars(select(User).order_by(User.email)).all()
    table = Table("e-mail", "name", "role", "active")
    for u in rows:
        table.add_row(u.email, u.name, u.role.value, "yes" if u.is_active else "no")
    console.print(table)


@tokens_app.command("create")
def create_token(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option(..., help="What the token is for, e.g. 'billing sync'."),
    scope: list[Scope] = typer.Option([Scope.READ], help="read, write or admin (repeatable)."),
    expires_days: int | None = typer.Option(None, min=1, help="Expire after N days."),
) -> None:
    """Create an API token. The secret is printed once and cannot be shown again."""
    with database().sessions() as session:
        try:
            with session.begin():
                user = session.scalar(select(User).where(User.email == email.lower()))
                if user is None:
                    raise Invalid.field("email", f"no user with e-mail {email}")
                expires = utc_now() + timedelta(days=expires_days) if expires_days else None
                issued = auth.create_token(
                    session,
                    _SYSTEM,
                    user_id=user.id,
                    name=name,
                    scopes=[s.value for s in scope],
                    expires_at=expires,
                )
        except DomainError as exc:
            raise _fail(exc) from None
    console.print(
        f"[green]✓[/] token '{name}' for {email} (scopes: {', '.join(s.value for s in scope)})"
    )
    console.print("  Store it now — it is not shown again:")
    print(issued.secret)


@tokens_app.command("revoke")
def revoke_token(token_id: uuid.UUID = typer.Argument(..., help="Token id.")) -> None:
    """Revoke a token at once."""
    with database().sessions() as session:
        try:
            with session.begin():
                auth.revoke_token(session, _SYSTEM, token_id)
        except DomainError as exc:
            raise _fail(exc) from None
    console.print(f"[green]✓[/] revoked {token_id}")
