"""Shared fixtures: migrated SQLite and PostgreSQL databases, rollback per test, API clients.

``db`` is parametrised over both engines; a test that takes ``db`` (or anything built on
it: ``session``, ``client``) runs once on SQLite and once on a real PostgreSQL server that
the fixtures start themselves. Each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from kizuna.app import create_app
from kizuna.config import Settings
from kizuna.db.migrate import upgrade
from kizuna.db.session import Database, build_engine
from pg import running_postgres

os.environ.setdefault("KIZUNA_ENVIRONMENT", "test")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "kizuna.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engines() -> Iterator[dict[str, Engine]]:
    cache: dict[str, Engine] = {}
    yield cache
    for engine in cache.values():
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


def _test_engine(url: str) -> Engine:
    """An engine whose transactions really nest, so each test can be rolled back.

    pysqlite opens transactions lazily (only before DML), so a SAVEPOINT taken before any
    write starts the transaction itself and its RELEASE commits for real: the test data
    would leak into later tests. SQLAlchemy's documented fix: let SQLAlchemy emit BEGIN.
    """
    engine = build_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture
def connection(db_url: str, engines: dict[str, Engine]) -> Iterator[Connection]:
    engine = engines.get(db_url) or engines.setdefault(db_url, _test_engine(db_url))
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def db(connection: Connection) -> Database:
    """A Database whose sessions join the test's transaction through savepoints."""
    sessions = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return Database(connection.engine, sessions)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.sessions() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="test", data_dir=tmp_path, database_url="sqlite://")


@pytest.fixture
def app_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    app = create_app(settings, database=db)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
