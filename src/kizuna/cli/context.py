"""What every command needs: settings and the database, built once per invocation."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.kit.errors import DomainError, Invalid
from kizuna.models.user import User

console = Console()
err_console = Console(stderr=True)
CLI_ACTOR = Actor.system("cli")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


@lru_cache(maxsize=1)
def database() -> Database:
    return Database.from_url(settings().database_url)


def fail(exc: DomainError | str, *, code: int, short_paths: bool = False) -> NoReturn:
    """Print a service's error (or a message) on stderr (each field problem on a line,
    named by its path; ``short_paths`` drops the leading ``body``) and exit with ``code``."""
    if isinstance(exc, str):
        err_console.print(f"[red]✗[/] {exc}")
    elif isinstance(exc, Invalid):
        for p in exc.problems:
            loc = (p.loc[1:] or p.loc) if short_paths else p.loc
            err_console.print(f"[red]✗[/] {'.'.join(map(str, loc))}: {p.message}")
    else:
        err_console.print(f"[red]✗[/] {exc.message}")
    raise typer.Exit(code)


def acting_as(session: Session, email: str | None) -> Actor:
    """The active user with ``email`` (acting as them), or the CLI's system actor."""
    if not email:
        return CLI_ACTOR
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        fail(f"no active user with the e-mail {email}", code=1)
    return actor_for_user(user)


def zone_of(actor: Actor) -> str:
    """The time zone a command's "today" is read in: the acting user's, or the company's
    for the CLI's own actor."""
    return settings().default_timezone if actor is CLI_ACTOR else actor.timezone


def date_option(value: str | None, option: str) -> date | None:
    """An ISO date given to ``option`` (None when not given); a wrong one ends the command."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date (YYYY-MM-DD), not {value!r}", code=1)
