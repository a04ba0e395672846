"""What every command needs: settings and the database, built once per invocation."""

from __future__ import annotations

from functools import lru_cache
from typing import NoReturn

import typer
from rich.console import Console

from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.kit.errors import DomainError, Invalid

console = Console()
err_console = Console(stderr=True)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


@lru_cache(maxsize=1)
def database() -> Database:
    return Database.from_url(settings().database_url)


def fail(exc: DomainError, *, code: int, short_paths: bool = False) -> NoReturn:
    """Print a service's error on stderr (each field problem on a line, named by its path;
    ``short_paths`` drops the leading ``body``) and exit with ``code``."""
    if isinstance(exc, Invalid):
        for p in exc.problems:
            loc = (p.loc[1:] or p.loc) if short_paths else p.loc
            err_console.print(f"[red]✗[/] {'.'.join(map(str, loc))}: {p.message}")
    else:
        err_console.print(f"[red]✗[/] {exc.message}")
    raise typer.Exit(code)
