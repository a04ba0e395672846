"""Where computed metric values live: Parquet files under ``data_dir/usage/``.

- ``values-<grain>.parquet``: metric, grain, account_id, period, value — every account ×
  period, sorted by account then metric then period, in row groups of 16k rows, so one
  account's series is a few row groups found by their min/max statistics (Account 360
  reads it in milliseconds without a database connection).
- ``daily.parquet``: the per-account-day-event roll-up the next incremental run starts from
  (``analytics.sources.daily_schema``: counts, and the day's sum of each property that a
  ``sum`` metric reads).

Files are replaced by ``rename`` (atomic), so the web process and ``kizuna worker`` can read
while a computation writes. Why not SQL: the series are millions of rows (accounts ×
days × metrics), which SQLite should not carry; the latest value per account, which pages
sort and filter on and health scores join, is in the ``usage_metric_latest`` table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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

    def exists(self) -> bool:
        return self._daily_path.exists()

    def read_all(self) -> tuple[pa.Table, pa.Table]:
        """(values of every grain, daily roll-up); empty tables when never computed."""
        parts = [pq.read_table(p) for g in GRAINS if (p := self._values_path(g)).exists()]
        values = pa.concat_tables([t.cast(VALUE_SCHEMA) for t in parts]) if parts else None
        daily = (
            _with_schema(pq.read_table(self._daily_path), DAILY_SCHEMA)
            if self._daily_path.exists()
            else DAILY_SCHEMA.empty_table()
        )
        return values if values is not None else VALUE_SCHEMA.empty_table(), daily

    def write(self, values: pa.Table, daily: pa.Table) -> None:
        """Replace the files with a snapshot's tables, which come sorted as the files
        keep them (``analytics.snapshot.Snapshot``): values by grain, account, metric and
        period — so they are written without sorting (the roll-up is kept in any order)."""
        self.root.mkdir(parents=True, exist_ok=True)
        files = [
            (self._values_path(g), values.filter(pc.equal(values["grain"], g))) for g in GRAINS
        ]
        files.append((self._daily_path, daily))
        # pyarrow encodes and compresses without the GIL: the four files in parallel.
        with ThreadPoolExecutor(len(files)) as pool:
            for done in [pool.submit(_replace, path, table) for path, table in files]:
                done.result()

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


def _with_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns cast to their types (other columns as stored)."""
    for field in schema:
        position = table.schema.get_field_index(field.name)
        table = table.set_column(position, field, table[field.name].cast(field.type))
    return table


def _replace(path: Path, table: pa.Table) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, temporary, row_group_size=ROW_GROUP, compression="zstd")
    os.replace(temporary, path)
