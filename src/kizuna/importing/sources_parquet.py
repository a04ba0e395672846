"""Parquet sources, streamed in record batches.

Values are what pyarrow gives per column (``to_pylist``): str, int, float, Decimal, bool,
date, datetime (aware when the column has a time zone), None. Row numbers count as if the
file had a header row, so the first row is 2 like in a CSV export of the same data. No
row is skipped, even one whose values are all null.

Memory: the file is opened with a 1 MiB read buffer and without pre-buffering, so pages
are read as batches are decoded instead of whole column chunks at once. Each decoded
batch of ``BATCH_ROWS`` rows is turned into Python objects ``SLICE_ROWS`` rows at a time:
a whole batch as objects would be ~70 MiB of heap for 8 columns, and that many live
objects also makes every garbage-collector pass slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.importing.sources import (
    Row,
    Source,
    SourceError,
    SourceInfo,
    clean_headers,
    unreadable,
)

BATCH_ROWS = 65_536  # rows decoded from the file at a time
SLICE_ROWS = 4_096  # rows turned into Python objects at a time
READ_BUFFER_BYTES = 1 << 20


class ParquetSource(Source):
    """A Parquet file; the headers are its top-level column names."""

    def rows(self) -> Iterator[Row]:
        number = 2
        with _parquet_file(self.path) as parquet:
            try:
                batches = parquet.iter_batches(batch_size=BATCH_ROWS)
                for batch in batches:
                    for start in range(0, batch.num_rows, SLICE_ROWS):
                        piece = batch.slice(start, SLICE_ROWS)  # zero-copy
                        columns = [column.to_pylist() for column in piece.columns]
                        for values in zip(*columns, strict=True):
                            yield Row(number, values, 0)
                            number += 1
            except (OSError, pa.ArrowException) as exc:
                raise unreadable(exc) from exc


def open_parquet(path: Path) -> ParquetSource:
    """Read the schema of the Parquet file at ``path``."""
    with _parquet_file(path) as parquet:
        names: list[str] = list(parquet.schema_arrow.names)
    if not names:
        raise SourceError("no_header", "the Parquet file has no columns")
    info = SourceInfo("parquet", None, None, clean_headers(names), None)
    return ParquetSource(path, info)


@contextmanager
def _parquet_file(path: Path) -> Iterator[Any]:
    try:
        parquet = pq.ParquetFile(path, buffer_size=READ_BUFFER_BYTES, pre_buffer=False)
    except (OSError, pa.ArrowException) as exc:
        raise unreadable(exc) from exc
    try:
        yield parquet
    finally:
        parquet.close()
