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
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kizuna.analytics.sources import EVENT_COLUMNS, EVENT_SCHEMA

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COMPACT_AFTER = 24  # files in one month before they are merged into one
ROW_GROUP = 122_880  # rows per Parquet row group (DuckDB's default)
STORE_SCHEMA = EVENT_SCHEMA
# Columns (nearly) unique per row: a dictionary would only be built to be dropped.
_UNIQUE_COLUMNS = ("message_id", "timestamp", "received_at")
_IN_FLIGHT = 4  # row groups waiting for the writer thread
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


class RejectedRows(Exception):
    """Some row of an append met its ``reject`` condition: nothing was stored."""


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
        reject: str | None = None,
        before_publish: Callable[[], None] | None = None,
    ) -> AppendResult:
        """Store the rows of ``relation`` (a table or view in ``con`` with the store's
        columns and an ordering column ``kz_row``), skipping those already stored or
        repeated (the first one wins); ``tag`` names the new files.

        ``reject``: an SQL condition on the relation's columns; when any row meets it
        (duplicates included) nothing is stored and :class:`RejectedRows` is raised — the
        check rides on the pass that writes, so a bulk import reads its file once.
        ``before_publish`` runs once every row is written and checked, before the files
        appear in the store (an import applies its identities there)."""
        key = "coalesce(source_id, '')"
        if summary is None:
            summary = self.summarise(con, relation)
        total, months = summary.total, summary.months
        if not total:
            return AppendResult(0, 0, None, ())
        stored_months = set(self.months())
        existing = self.files([m for m in months if m in stored_months])
        joins, new = "", "true"
        if existing:
            seen = f"read_parquet({_list(existing)})"
            joins = (
                f"LEFT JOIN (SELECT DISTINCT {key} AS s, message_id AS m FROM {seen}) k "  # noqa: S608
                "ON k.s = coalesce(r.source_id, '') AND k.m = r.message_id"
            )
            new = "k.m IS NULL"
        if self._repeats(con, relation, key):
            new += (
                f" AND r.kz_row IN (SELECT min(kz_row) FROM {relation} GROUP BY {key}, message_id)"  # noqa: S608 (our identifiers; values are bound)
            )
        cols = ", ".join(f'r."{c}"' for c in EVENT_COLUMNS)
        query = (
            f"SELECT {cols}, {_month_number('r.')} AS month, "  # noqa: S608 (our identifiers; values are bound)
            f"({new}) AS kz_new, ({reject or 'false'}) AS kz_bad "
            f"FROM {relation} r {joins}"
        )
        stored, written = self._write(con, query, tag, before_publish)
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
        if not scalar(con, f"SELECT count(*) FROM ({hashed})"):  # noqa: S608
            return False
        exact = grouped.format(relation=relation, by=f"{key}, message_id")
        return bool(scalar(con, f"SELECT count(*) FROM ({exact})"))  # noqa: S608

    @staticmethod
    def summarise(con: duckdb.DuckDBPyConnection, relation: str) -> Summary:
        row = con.execute(
            'SELECT count(*), min(epoch_us("timestamp")), '  # noqa: S608
            f"list(DISTINCT {_month_number()}) FROM {relation}"
        ).fetchall()[0]
        if not row[0]:
            return Summary(0, None, [])
        months = sorted(_month_name(m) for m in row[2] if m is not None)
        earliest = _EPOCH + timedelta(microseconds=row[1]) if row[1] is not None else None
        return Summary(int(row[0]), earliest, months)

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        tag: str,
        before_publish: Callable[[], None] | None,
    ) -> tuple[int, tuple[str, ...]]:
        """Write the rows of ``query`` (the store's columns, ``month``, ``kz_new``: store
        it, ``kz_bad``: reject the whole append) as one file per month, then move the
        files into their partitions.

        The rows stream out of DuckDB as Arrow batches and go to a Parquet writer per
        month (pyarrow; it releases the GIL, so writing overlaps DuckDB's work). A
        partitioned ``COPY`` was several times slower: DuckDB's writer tries a dictionary
        for every column, the unique message ids included."""
        staging = self.root / ".tmp" / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            con.complete()  # an earlier execute() left unread: streaming needs the connection
            with _MonthWriters(staging) as writers:
                for batch in con.sql(query).to_arrow_reader(ROW_GROUP):
                    writers.add(batch)
            if before_publish is not None:
                before_publish()
            written = []
            for month in sorted(writers.months):
                target = self.root / f"month={month}"
                target.mkdir(exist_ok=True)
                os.replace(staging / f"{month}.parquet", target / f"{tag}-0.parquet")
                written.append(month)
                if len(list(target.glob("*.parquet"))) > COMPACT_AFTER:
                    self.compact(con, month)
            return writers.rows, tuple(written)
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
            f"TO {_quote(str(staged))} (FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP})"
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


class _MonthWriters:
    """One Parquet file per month under ``root`` (``YYYY-MM.parquet``), fed with batches
    of the store's columns plus ``month``. Rows are buffered per month into row groups of
    ``ROW_GROUP`` rows, which one background thread encodes and writes while the caller
    fetches the next batches; at most ``_IN_FLIGHT`` row groups wait, which bounds the
    memory of a large import."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: dict[str, list[pa.Table]] = {}
        self._pending_rows: dict[str, int] = {}
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="kizuna-store-writer")
        self._in_flight: deque[Future[None]] = deque()

    @property
    def months(self) -> list[str]:
        return list(self._writers)

    def __enter__(self) -> _MonthWriters:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                for month in list(self._pending):
                    self._flush(month)
            while self._in_flight:
                self._in_flight.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for writer in self._writers.values():
                writer.close()

    def add(self, batch: pa.RecordBatch) -> None:
        table = pa.Table.from_batches([batch])
        bad = pc.sum(table["kz_bad"].cast(pa.int64())).as_py()
        if bad:
            raise RejectedRows()
        new = table["kz_new"]
        if pc.all(new).as_py() is not True:
            table = table.filter(new)
        numbers = table["month"]
        data = table.drop_columns(["month", "kz_new", "kz_bad"]).cast(STORE_SCHEMA)
        present = pc.unique(numbers).to_pylist()
        for number in present:
            part = data if len(present) == 1 else data.filter(pc.equal(numbers, number))
            month = _month_name(number)
            self._pending.setdefault(month, []).append(part)
            self._pending_rows[month] = self._pending_rows.get(month, 0) + part.num_rows
            if self._pending_rows[month] >= ROW_GROUP:
                self._flush(month)

    def _flush(self, month: str) -> None:
        parts = self._pending.pop(month, [])
        self._pending_rows.pop(month, None)
        if not parts:
            return
        table = pa.concat_tables(parts)
        self.rows += table.num_rows
        if len(self._in_flight) >= _IN_FLIGHT:
            self._in_flight.popleft().result()
        self._in_flight.append(self._pool.submit(self._write_group, month, table))

    def _write_group(self, month: str, table: pa.Table) -> None:
        writer = self._writers.get(month)
        if writer is None:
            writer = pq.ParquetWriter(
                self.root / f"{month}.parquet",
                STORE_SCHEMA,
                compression="snappy",
                use_dictionary=[c for c in EVENT_COLUMNS if c not in _UNIQUE_COLUMNS],
            )
            self._writers[month] = writer
        writer.write_table(table, row_group_size=ROW_GROUP)


def _month_number(prefix: str = "") -> str:
    """SQL for the UTC month of ``timestamp`` as YYYYMM. Integer work on the UTC wall time
    (``make_timestamp(epoch_us(…))``): calendar functions on a ``TIMESTAMPTZ`` go through
    ICU row by row, and formatting ``YYYY-MM`` text per row cost about a second for 10 M
    events."""
    utc = f'make_timestamp(epoch_us({prefix}"timestamp"))'
    return f"(year({utc}) * 100 + month({utc}))"


def _month_name(number: int) -> str:
    """``202603`` → ``2026-03`` (the partition's name)."""
    return f"{number // 100:04d}-{number % 100:02d}"


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The integer a one-value query gives (0 for NULL); the result is read to its end,
    so the connection is free for a streaming query next."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(p) for p in paths) + "]"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)
