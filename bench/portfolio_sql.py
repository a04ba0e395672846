"""Where Portfolio and Account 360 spend their time in SQL (a companion to the benchmark).

    .venv/bin/python bench/portfolio_sql.py [--engine sqlite|postgresql]
        [--accounts 10000] [--activities 1000000] [--explain-over 5]

Builds the same data as ``portfolio_bench.py``, then calls the page services in-process
(no HTTP) and prints, per variant, the median time and every SQL statement with the time
to execute it (up to its first row on SQLite); statements slower than ``--explain-over``
ms get their plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from benchkit.engines import ENGINES, prewarm, temporary_database
from kizuna.account.schemas import AccountFilters
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.db.session import Database
from kizuna.models import User
from kizuna.portfolio import account360, service
from portfolio_build import SEED, BuiltData, Sizes, build

ROUNDS = 7
console = Console()


@dataclass
class Statement:
    ms: float
    sql: str
    params: Any


@dataclass
class Recorder:
    """Times every statement an engine runs while ``recording``."""

    statements: list[Statement] = field(default_factory=list)
    started: float = 0.0
    active: bool = False

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self.started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if self.active:
            ms = (time.perf_counter() - self.started) * 1000
            self.statements.append(Statement(ms, sql, params))

    @contextmanager
    def recording(self) -> Iterator[None]:
        self.statements.clear()
        self.active = True
        try:
            yield
        finally:
            self.active = False


def variants(data: BuiltData) -> list[tuple[str, Callable[[Session, Actor], object]]]:
    heavy: uuid.UUID = data.heaviest[0][0]
    some: uuid.UUID = data.account_ids[len(data.account_ids) // 3]
    return [
        ("Portfolio default", lambda s, a: service.portfolio(s, a, AccountFilters())),
        ("Portfolio q", lambda s, a: service.portfolio(s, a, AccountFilters(q="さくら"))),
        ("Portfolio sort=name page 50",
         lambda s, a: service.portfolio(s, a, AccountFilters(), sort="name", page=50)),
        ("Account 360 heaviest", lambda s, a: account360.account_360(s, a, heavy)),
        ("Account 360 typical", lambda s, a: account360.account_360(s, a, some)),
    ]  # fmt: skip


def profile(database: Database, data: BuiltData, explain_over: float) -> None:
    recorder = Recorder()
    recorder.attach(database.engine)
    with database.sessions() as session:
        user = session.scalar(select(User).where(User.email == data.login_email))
        assert user is not None
        actor = actor_for_user(user)
    for label, call in variants(data):
        times = []
        for _ in range(ROUNDS):
            with recorder.recording():
                started = time.perf_counter()
                with database.sessions() as session, session.begin():
                    call(session, actor)
                times.append((time.perf_counter() - started) * 1000)
        console.rule(f"{label}: median {statistics.median(times):.1f} ms over {ROUNDS}")
        for statement in recorder.statements:
            sql = " ".join(statement.sql.split())[:110]
            console.print(f"{statement.ms:7.1f} ms  {sql}", soft_wrap=True, highlight=False)
            if statement.ms > explain_over:
                explain(database.engine, statement)


def explain(engine: Engine, statement: Statement) -> None:
    prefix = (
        "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    with engine.connect() as conn:
        for row in conn.exec_driver_sql(prefix + statement.sql, statement.params).all():
            console.print(f"             {row[-1]}", soft_wrap=True, highlight=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--explain-over", type=float, default=5.0, metavar="MS")
    args = parser.parse_args(argv)
    sizes = Sizes(args.accounts, args.activities)
    with temporary_database(args.engine) as url:
        data = build(url, sizes, seed=SEED, run_analyze=args.engine == "postgresql",
                     console=console)  # fmt: skip
        prewarm(url)
        database = Database.from_url(url)
        try:
            profile(database, data, args.explain_over)
        finally:
            database.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
