"""The columnar event store: Parquet files under ``data_dir/events/month=YYYY-MM/``.

Both DuckDB and Spark read it. Writers (inbox flush, bulk import, compaction) hold an
exclusive ``flock`` on ``events/.lock``; readers (the metric computation) a shared one, so
a reader never sees a half-finished compaction. Files appear by ``rename`` (atomic), so a
crash never leaves a partial file in a partition.

**Exactly once**: :meth:`EventStore.append` drops rows whose ``(source_id, message_id)``
is already in the store (an anti-join against the months concerned) or repeated in the
batch (the first one wins). A writer that crashed after writing some files but before
recording its work simply runs again: the rows already written are skipped.

**Compaction**: a month with many small files (from frequent inbox flushes) is rewritten
as one file. A journal (``.compaction.json``) lists the new file and the files it
replaces; whoever takes the lock next finishes (or undoes) an interrupted compaction.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from kizuna.analytics.sources import EVENT_COLUMNS

COMPACT_AFTER = 24  # files in one month before they are merged into one
_JOURNAL = ".compaction.json"
# Column types of the store (DuckDB); ``properties``/``context`` are JSON text.
STORE_TYPES = {
    "message_id": "VARCHAR",
    "source_id": "VARCHAR",
    "type": "VARCHAR",
    "event": "VARCHAR",
    "user_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "group_id": "VARCHAR",
    "previous_id": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "received_at": "TIMESTAMPTZ",
    "properties": "VARCHAR",
    "context": "VARCHAR",
}


@dataclass(frozen=True)
class AppendResult:
    """What an append stored: rows written, duplicates skipped, the earliest new event
    (None when nothing was new) and the months written to."""

    stored: int
    duplicates: int
    earliest: datetime | None
    months: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """What an append needs to know of its rows: count, earliest time (UTC), months."""

    total: int
    earliest: datetime | None
    months: list[str]


def new_connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for store work, pinned to UTC."""
    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET TimeZone = 'UTC'")
    return con


class EventStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def under(cls, data_dir: Path) -> EventStore:
        return cls(data_dir / "events")

    # -- locking ---------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive access for writers; finishes an interrupted compaction first."""
        with self._flock(fcntl.LOCK_EX):
            self._recover()
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._flock(fcntl.LOCK_SH):
            yield

    @contextmanager
    def _flock(self, mode: int) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), mode)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # -- reading ---------------------------------------------------------------------------

    def months(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name[6:] for p in self.root.glob("month=*") if p.is_dir())

    def files(self, months: Sequence[str] | None = None) -> list[str]:
        """The data files, optionally of ``months`` (``YYYY-MM``) only."""
        chosen = self.months() if months is None else months
        return [
            str(path)
            for month in chosen
            for path in sorted((self.root / f"month={month}").glob("*.parquet"))
        ]

    def count(self, con: duckdb.DuckDBPyConnection) -> int:
        files = self.files()
        if not files:
            return 0
        row = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()
        return int(row[0]) if row else 0

    # -- writing (call inside ``writing()``) -----------------------------------------------

    def append(
        self,
        con: duckdb.DuckDBPyConnection,
        relation: str,
        *,
        tag: str,
        summary: Summary | None = None,
    ) -> AppendResult:
        """Store the rows of ``relation`` (a table or view in ``con`` with the store's
        columns and an ordering column ``kz_row``), skipping those already stored or
        repeated (the first one wins); ``tag`` names the new files."""
        key = "coalesce(source_id, '')"
        if summary is None:
            summary = self.summarise(con, relation)
        total, months = summary.total, summary.months
        if not total:
            return AppendResult(0, 0, None, ())
        stored_months = set(self.months())
        existing = self.files([m for m in months if m in stored_months])
        joins, where = "", ""
        if existing:
            seen = f"read_parquet({_list(existing)})"
            joins = (
                f"ANTI JOIN (SELECT {key} AS s, message_id AS m FROM {seen}) k "  # noqa: S608
                "ON k.s = coalesce(r.source_id, '') AND k.m = r.message_id"
            )
        if self._repeats(con, relation, key):
            where = (
                f"WHERE r.kz_row IN (SELECT min(kz_row) FROM {relation} GROUP BY {key}, message_id)"  # noqa: S608 (our identifiers; values are bound)
            )
        cols = ", ".join(f'r."{c}"' for c in EVENT_COLUMNS)
        query = (
            f"SELECT {cols}, strftime(r.\"timestamp\", '%Y-%m') AS month "  # noqa: S608 (our identifiers; values are bound)
            f"FROM {relation} r {joins} {where}"
        )
        stored, written = self._write(con, query, tag)
        return AppendResult(
            stored=stored,
            duplicates=total - stored,
            earliest=summary.earliest if stored else None,
            months=written,
        )

    @staticmethod
    def _repeats(con: duckdb.DuckDBPyConnection, relation: str, key: str) -> bool:
        """Whether some (source, message id) occurs twice in ``relation``. Grouping by a
        64-bit hash is much cheaper than by the strings; only when some hash repeats
        (a duplicate, or a collision) are the strings compared."""
        grouped = "SELECT 1 FROM {relation} GROUP BY {by} HAVING count(*) > 1"
        hashed = grouped.format(relation=relation, by=f"hash({key}, message_id)")
        if not _scalar(con, f"SELECT count(*) FROM ({hashed})"):  # noqa: S608
            return False
        exact = grouped.format(relation=relation, by=f"{key}, message_id")
        return bool(_scalar(con, f"SELECT count(*) FROM ({exact})"))  # noqa: S608

    @staticmethod
    def summarise(con: duckdb.DuckDBPyConnection, relation: str) -> Summary:
        row = con.execute(
            "SELECT count(*), min(timezone('UTC', \"timestamp\")), "  # noqa: S608
            f"list(DISTINCT strftime(\"timestamp\", '%Y-%m')) FROM {relation}"
        ).fetchone()
        if row is None or not row[0]:
            return Summary(0, None, [])
        return Summary(int(row[0]), row[1].replace(tzinfo=UTC) if row[1] else None, row[2])

    def _write(
        self, con: duckdb.DuckDBPyConnection, query: str, tag: str
    ) -> tuple[int, tuple[str, ...]]:
        staging = self.root / ".tmp" / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            row = con.execute(
                f"COPY ({query}) TO {_quote(str(staging))} "
                "(FORMAT parquet, PARTITION_BY (month), ROW_GROUP_SIZE 122880)"
            ).fetchone()
            written = []
            for part in sorted(staging.glob("month=*")):
                target = self.root / part.name
                target.mkdir(exist_ok=True)
                for i, file in enumerate(sorted(part.glob("*.parquet"))):
                    os.replace(file, target / f"{tag}-{i}.parquet")
                written.append(part.name[6:])
                if len(list(target.glob("*.parquet"))) > COMPACT_AFTER:
                    self.compact(con, part.name[6:])
            return (int(row[0]) if row else 0), tuple(written)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def compact(self, con: duckdb.DuckDBPyConnection, month: str) -> None:
        """Merge a month's files into one (call while writing)."""
        old = self.files([month])
        if len(old) < 2:
            return
        name = f"compact-{uuid.uuid4().hex}.parquet"
        staged = self.root / ".tmp" / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f'COPY (SELECT * FROM read_parquet({_list(old)}) ORDER BY "timestamp") '  # noqa: S608 (our identifiers; values are bound)
            f"TO {_quote(str(staged))} (FORMAT parquet, ROW_GROUP_SIZE 122880)"
        )
        new = self.root / f"month={month}" / name
        _write_json(self.root / _JOURNAL, {"new": str(new), "staged": str(staged), "old": old})
        os.replace(staged, new)
        self._recover()

    def _recover(self) -> None:
        """Finish an interrupted compaction: if its merged file is in place, delete the
        files it replaced; if not, drop the staged copy (the old files are intact)."""
        journal = self.root / _JOURNAL
        if not journal.exists():
            return
        entry: dict[str, Any] = json.loads(journal.read_text(encoding="utf-8"))
        if Path(entry["new"]).exists():
            for path in entry["old"]:
                Path(path).unlink(missing_ok=True)
        else:
            Path(entry["staged"]).unlink(missing_ok=True)
        journal.unlink()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(p) for p in paths) + "]"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)
