"""Throw-away databases for a benchmark: a temporary SQLite file or a local PostgreSQL.

PostgreSQL comes from ``tests/pg.py`` (a fresh cluster started from the local binaries,
run as the ``postgres`` user when we are root).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
ENGINES = ("sqlite", "postgresql")


@contextmanager
def temporary_database(engine: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database of kind ``engine``; drop it after."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'kizuna.db'}"
    elif engine == "postgresql":
        if str(REPO / "tests") not in sys.path:
            sys.path.insert(0, str(REPO / "tests"))
        from pg import running_postgres  # type: ignore[import-not-found]  # tests/ by path

        with running_postgres() as url:
            yield url
    else:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")


def server_version(url: str) -> str:
    """``SQLite 3.x`` or ``PostgreSQL 15.x`` as the server reports it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return f"SQLite {conn.scalar(text('select sqlite_version()'))}"
            return f"PostgreSQL {conn.scalar(text('show server_version'))}"
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """Refresh planner statistics (what autovacuum does on PostgreSQL after a bulk load)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def size_on_disk(url: str) -> int:
    """Bytes used by the database (file plus WAL for SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        base = Path(parsed.database or "")
        return sum(p.stat().st_size for p in base.parent.glob(base.name + "*"))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("select pg_database_size(current_database())")) or 0)
    finally:
        engine.dispose()


PREWARM_SQL = """
SELECT coalesce(sum(pg_prewarm(c.oid::regclass, 'read')), 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
"""


def prewarm(url: str) -> int:
    """Read the whole database into the OS page cache; returns the bytes (or pages) read.

    A dedicated server keeps a database of this size cached; some VMs (this one runs
    DAMON reclaim) page out file cache left idle for a minute, which would otherwise
    turn a benchmark into a cold-disk test depending on how long it waited.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        base = Path(parsed.database or "")
        total = 0
        for path in sorted(base.parent.glob(base.name + "*")):
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 24):
                    total += len(chunk)
        return total
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            pages = int(conn.scalar(text(PREWARM_SQL)) or 0)
            return pages * int(conn.scalar(text("select current_setting('block_size')::int")) or 0)
    finally:
        engine.dispose()
