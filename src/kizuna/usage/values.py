"""Where computed metric values live: Parquet files under ``data_dir/usage/``.

- ``values-<grain>.parquet``: metric, grain, account_id, period, value — every account ×
  period, sorted by account then metric then period, in row groups of 16k rows, so one
  account's series is a few row groups found by their min/max statistics (Account 360
  reads it in milliseconds without a database connection).
- ``daily.parquet``: the per-account-day-event roll-up the next incremental run starts from
  (``analytics.sources.daily_schema``: counts, and the day's sum of each property that a
  ``sum`` metric reads).
- ``actors.parquet``: the actors' activity words the next incremental run starts from
  (``analytics.snapshot.Snapshot.actors``: 63 days of one actor of one account per row).

Files are replaced by ``rename`` (atomic), so the web process and ``kizuna worker`` can read
while a computation writes. Why not SQL: the series are millions of rows (accounts ×
days × metrics), which SQLite should not carry; the latest value per account, which pages
sort and filter on and health scores join, is in the ``usage_metric_latest`` table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kizuna.analytics.snapshot import Snapshot, no_actors
from kizuna.analytics.sources import DAILY_SCHEMA, GRAINS, VALUE_SCHEMA

ROW_GROUP = 16_384


class ValueStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def under(cls, data_dir: Path) -> ValueStore:
        return cls(data_dir / "usage")

    def _values_path(self, grain: str) -> Path:
        return self.root / f"values-{grain}.parquet"

    @property
    def _daily_path(self) -> Path:
        return self.root / "daily.parquet"

    @property
    def _actors_path(self) -> Path:
        return self.root / "actors.parquet"

    def exists(self) -> bool:
        return self._daily_path.exists() and self._actors_path.exists()

    def previous(self) -> Snapshot:
        """What an incremental run starts from: the roll-up and the activity words (the
        values are computed again from them, so they are not read)."""
        return Snapshot(
            values=VALUE_SCHEMA.empty_table(),
            daily=_with_schema(pq.read_table(self._daily_path), DAILY_SCHEMA),
            actors=pq.read_table(self._actors_path),
        )

    def write(self, values: pa.Table, daily: pa.Table, actors: pa.Table | None = None) -> None:
        """Replace the files with a snapshot's tables (no activity words: none)."""
        with self.replacing() as files:
            files.daily(daily)
            files.actors(no_actors() if actors is None else actors)
            files.values(values)

    @contextmanager
    def replacing(self) -> Iterator[Replacement]:
        """Write new files on background threads (pyarrow encodes and compresses without
        the GIL, so the caller computes meanwhile) and, when the block ends without an
        error, put them all in place; after an error the old files stay."""
        self.root.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(4) as pool:
            files = Replacement(self, pool)
            try:
                yield files
                files.wait()
            except BaseException:
                files.discard()
                raise
        files.publish()

    def series(
        self,
        grain: str,
        account_ids: Sequence[str],
        metrics: Sequence[str],
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> pa.Table:
        """Values of ``metrics`` for ``account_ids`` (periods within [start, end])."""
        path = self._values_path(grain)
        if not path.exists() or not account_ids or not metrics:
            return VALUE_SCHEMA.empty_table()
        filters: list[tuple[str, str, object]] = [
            ("account_id", "in", list(account_ids)),
            ("metric", "in", list(metrics)),
        ]
        if start is not None:
            filters.append(("period", ">=", start))
        if end is not None:
            filters.append(("period", "<=", end))
        table = pq.read_table(path, filters=filters)
        return table.cast(VALUE_SCHEMA).sort_by([("metric", "ascending"), ("period", "ascending")])

    def recent(self, grain: str, metrics: Sequence[str], start: date) -> pa.Table:
        """Every account's values of ``metrics`` since ``start`` (for sparklines)."""
        path = self._values_path(grain)
        if not path.exists() or not metrics:
            return VALUE_SCHEMA.empty_table()
        table = pq.read_table(
            path, filters=[("metric", "in", list(metrics)), ("period", ">=", start)]
        )
        return table.cast(VALUE_SCHEMA)


class Replacement:
    """The files being written by :meth:`ValueStore.replacing`."""

    def __init__(self, store: ValueStore, pool: ThreadPoolExecutor) -> None:
        self._store = store
        self._pool = pool
        self._pending: list[tuple[Path, Path, Future[None]]] = []

    def daily(self, daily: pa.Table) -> None:
        """The roll-up (any order)."""
        self._write(self._store._daily_path, daily)

    def actors(self, actors: pa.Table) -> None:
        """The activity words."""
        self._write(self._store._actors_path, actors)

    def values(self, values: pa.Table) -> None:
        """``Snapshot.values``, sorted as the files keep them (by grain, account, metric
        and period): each grain's rows are a slice, written without sorting (rows of
        other producers are grouped by grain first)."""
        grains = values["grain"].combine_chunks()
        if isinstance(grains, pa.DictionaryArray):
            lookup = np.array([GRAINS.index(g) for g in grains.dictionary.to_pylist()], np.int8)
            codes = lookup[grains.indices.to_numpy(zero_copy_only=False)]
        else:
            codes = pc.index_in(grains, value_set=pa.array(GRAINS)).to_numpy(zero_copy_only=False)
        if codes.size and (codes[1:] < codes[:-1]).any():  # not grouped by grain after all
            order = np.argsort(codes, kind="stable")
            values, codes = values.take(pa.array(order)), codes[order]
        for position, grain in enumerate(GRAINS):
            lo, hi = np.searchsorted(codes, [position, position + 1])
            self._write(self._store._values_path(grain), values.slice(lo, hi - lo))

    def _write(self, path: Path, table: pa.Table) -> None:
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        self._pending.append((temporary, path, self._pool.submit(_write, temporary, table)))

    def wait(self) -> None:
        for _, _, done in self._pending:
            done.result()

    def discard(self) -> None:
        for temporary, _, done in self._pending:
            done.exception()  # wait, whatever happened
            temporary.unlink(missing_ok=True)

    def publish(self) -> None:
        for temporary, path, _ in self._pending:
            os.replace(temporary, path)


def _with_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns cast to their types (other columns as stored)."""
    for field in schema:
        position = table.schema.get_field_index(field.name)
        table = table.set_column(position, field, table[field.name].cast(field.type))
    return table


def _write(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, row_group_size=ROW_GROUP, compression="zstd")
