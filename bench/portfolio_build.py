"""Build the benchmark database: schema by Alembic, rows by chunked bulk inserts.

Rows go in with ``session.execute(insert(Model), rows)`` a chunk at a time (no ORM unit
of work), one transaction per chunk, behind a Rich progress bar.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import event, insert
from sqlalchemy.orm import Session, sessionmaker

from benchkit.engines import analyze
from kizuna.auth.passwords import hash_password
from kizuna.db.migrate import upgrade
from kizuna.db.session import Database, build_engine
from kizuna.kit.clock import today
from kizuna.models import (
    Account,
    Activity,
    Contact,
    ContactRoleLink,
    Product,
    Subscription,
    SurveyResponse,
    Team,
    User,
    activity_contact,
    activity_user,
)
from kizuna.models.enums import Role
from portfolio_activities import ActivityStream, schedule
from portfolio_data import CustomerData, Row, activity_weights, apportion

CHUNK = 5_000
SEED = 20_260_520  # the same data on every engine and every run
# Render None as NULL instead of leaving the column out, so that rows with different
# None patterns share one executemany batch (the ORM batches rows by their key set).
BULK = {"render_nulls": True}
PASSWORD = "bench-password-2026"


@dataclass(frozen=True)
class Sizes:
    accounts: int
    activities: int


@dataclass
class BuiltData:
    """What the measurements need to know about the database just built."""

    url: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    login_email: str = ""
    account_ids: list[uuid.UUID] = field(default_factory=list)
    heaviest: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    csm_ids: list[uuid.UUID] = field(default_factory=list)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip


def build(url: str, sizes: Sizes, *, seed: int, run_analyze: bool, console: Console) -> BuiltData:
    """Create the schema at ``url`` and fill it; returns the facts the probes need."""
    started = time.perf_counter()
    upgrade(url)
    database = _loading_database(url)
    try:
        with _progress(console) as progress, database.sessions() as session:
            data = _Loader(session, progress, random.Random(seed), today()).run(sizes)
            if run_analyze:
                task = progress.add_task("analyze", total=1)
                analyze(url)
                progress.advance(task)
    finally:
        database.engine.dispose()
    data.url = url
    data.seconds = time.perf_counter() - started
    return data


def _loading_database(url: str) -> Database:
    """The app's engine setup, plus no fsync on SQLite while loading (a crash would only
    lose a throw-away benchmark database)."""
    engine = build_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _no_sync)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def _no_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


class _Loader:
    def __init__(self, session: Session, progress: Progress, rng: random.Random, on: date) -> None:
        self.session = session
        self.progress = progress
        self.rng = rng
        self.gen = CustomerData(rng, on)
        self.counts: dict[str, int] = {}

    def run(self, sizes: Sizes) -> BuiltData:
        gen = self.gen
        self._insert("teams", Team, gen.teams())
        self._insert("users", User, gen.users(hash_password(PASSWORD)))
        self._insert("products", Product, gen.products())
        self._insert("accounts", Account, gen.accounts(sizes.accounts))
        contacts, roles = gen.contacts()
        self._insert("contacts", Contact, contacts)
        self._insert("contact roles", ContactRoleLink, roles)
        self._insert("subscriptions", Subscription, gen.subscriptions())
        self._activities(sizes.activities)
        self._insert("survey responses", SurveyResponse, gen.surveys())
        return self._facts()

    def _insert(self, label: str, target: Any, rows: Sequence[Row]) -> None:
        task = self.progress.add_task(label, total=len(rows))
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            self.session.execute(insert(target), part, execution_options=BULK)
            self.session.commit()
            self.progress.advance(task, len(part))
        self.counts[label] = len(rows)

    def _activities(self, total: int) -> None:
        plans = self.gen.plans
        for plan, count in zip(
            plans, apportion(total, activity_weights(self.rng, plans)), strict=True
        ):
            plan.activity_count = count
        items = schedule(self.rng, plans, self.gen.now)
        task = self.progress.add_task("activities", total=len(items))
        stream = ActivityStream(self.rng, plans, self.gen.staff)
        users = contacts = 0
        for chunk in stream.chunks(items, CHUNK):
            self.session.execute(insert(Activity), chunk.activities, execution_options=BULK)
            if chunk.users:
                self.session.execute(insert(activity_user), chunk.users)
            if chunk.contacts:
                self.session.execute(insert(activity_contact), chunk.contacts)
            self.session.commit()
            users, contacts = users + len(chunk.users), contacts + len(chunk.contacts)
            self.progress.advance(task, len(chunk.activities))
        self.counts.update(
            {"activities": len(items), "activity users": users, "activity contacts": contacts}
        )

    def _facts(self) -> BuiltData:
        plans = self.gen.plans
        staff = self.gen.staff
        ranked = sorted(plans, key=lambda p: p.activity_count, reverse=True)
        manager = staff.by_role[Role.MANAGER][0]
        return BuiltData(
            url="",
            counts=dict(self.counts),
            login_email=staff.emails[manager],
            account_ids=[p.id for p in plans],
            heaviest=[(p.id, p.activity_count) for p in ranked[:10]],
            csm_ids=list(staff.by_role[Role.CSM]),
        )
