"""Stream rows out to CSV (safe to open in Excel) and Parquet.

CSV formula injection (OWASP "CSV Injection"): a spreadsheet treats a cell starting with
``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return can hide
one. :func:`safe_cell` prefixes such text with a single quote, which Excel shows as text
and does not display; :func:`unescape_cell` is the exact inverse the importer applies, so
an export re-imports to the same data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.kit.csv_cells import needs_quote, safe_cell, unescape_cell

__all__ = ["needs_quote", "safe_cell", "unescape_cell", "write_csv", "write_parquet"]


def write_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True
) -> int:
    """Stream ``rows`` to a CSV file at ``path`` and return how many rows were written.

    UTF-8 with a byte-order mark by default: without it Excel in Japan opens the file as
    Shift_JIS and shows mojibake. CRLF line ends and minimal quoting (the ``excel`` dialect).
    Headers go through :func:`safe_cell` too. Every row must have one value per header;
    a partial file is removed when writing fails.
    """
    width = len(headers)
    count = 0
    try:
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([safe_cell(name) for name in headers])
            for row in rows:
                if len(row) != width:
                    raise ValueError(f"row {count + 1} has {len(row)} values for {width} headers")
                writer.writerow([safe_cell(value) for value in row])
                count += 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return count


def write_parquet(
    path: Path, schema: pa.Schema, rows: Iterable[Sequence[object]], *, batch_size: int = 65536
) -> int:
    """Stream ``rows`` (values in ``schema`` order) to a Parquet file; return the row count.

    Rows are gathered ``batch_size`` at a time, turned into columns and written as one row
    group each, so memory holds one batch. Naive datetimes in a time-zone-aware timestamp
    column are taken as UTC (pyarrow's rule). A partial file is removed when writing fails.
    """
    width = len(schema)
    count = 0
    batch: list[Sequence[object]] = []
    try:
        with pq.ParquetWriter(path, schema) as writer:
            for row in rows:
                if len(row) != width:
                    raise ValueError(f"row {count + 1} has {len(row)} values for {width} columns")
                batch.append(row)
                count += 1
                if len(batch) >= batch_size:
                    writer.write_batch(_record_batch(schema, batch))
                    batch = []
            if batch:
                writer.write_batch(_record_batch(schema, batch))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return count


def _record_batch(schema: pa.Schema, rows: list[Sequence[object]]) -> Any:
    columns = zip(*rows, strict=True)
    arrays = [
        pa.array(list(values), type=field.type)
        for values, field in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
