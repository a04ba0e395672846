"""What every command needs: settings and the database, built once per invocation."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Console

from kizuna.config import Settings
from kizuna.db.session import Database

console = Console()
err_console = Console(stderr=True)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


@lru_cache(maxsize=1)
def database() -> Database:
    return Database.from_url(settings().database_url)
