"""Synthetic product-usage events for the usage benchmark, generated vectorised.

``N`` events over ``days`` days for ``accounts`` accounts (group ids ``BENCH-0000``…),
skewed: a few accounts send most events, a few users per account most of theirs. The
shape matches the demo events (Segment track calls; ``properties`` is JSON text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENTS = np.array(
    [
        "Login",
        "Dashboard Viewed",
        "Record Created",
        "Record Updated",
        "Search Performed",
        "Report Viewed",
        "Comment Added",
        "File Uploaded",
        "Export Downloaded",
        "API Call",
        "Workflow Run",
        "Analysis Run",
    ]
)
WEIGHTS = np.array([30, 20, 12, 14, 10, 8, 6, 4, 3, 25, 10, 5], dtype=float)
CHUNK = 1_000_000


def group_id(index: int) -> str:
    return f"BENCH-{index:04d}"


def seats(accounts: int, seed: int) -> np.ndarray:
    """Licensed seats per account (10–500, skewed)."""
    rng = np.random.default_rng(seed + 1)
    return np.clip((rng.pareto(1.5, accounts) + 1) * 20, 10, 500).astype(np.int64)


def write_events(
    path: Path, *, events: int, accounts: int, days: int, end: date, seed: int = 7
) -> int:
    """Write the events as Parquet (row groups of one million) and return the count."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, accounts + 1) ** 0.8  # Zipf-like activity per account
    weights /= weights.sum()
    seat_counts = seats(accounts, seed)
    probabilities = WEIGHTS / WEIGHTS.sum()
    groups = pa.array([group_id(i) for i in range(accounts)])
    names = pa.array(EVENTS)
    props = pa.array([f'{{"rows": {n}, "plan": "standard"}}' for n in range(100)])
    start = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) - days * 86400
    schema = pa.schema(
        [
            ("message_id", pa.string()),
            ("type", pa.string()),
            ("event", pa.string()),
            ("user_id", pa.string()),
            ("group_id", pa.string()),
            ("timestamp", pa.timestamp("ms", tz="UTC")),
            ("properties", pa.string()),
        ]
    )
    with pq.ParquetWriter(str(path), schema) as writer:
        for offset in range(0, events, CHUNK):
            n = min(CHUNK, events - offset)
            account = rng.choice(accounts, size=n, p=weights)
            user = (seat_counts[account] * rng.random(n) ** 2).astype(np.int64)
            moment = start + rng.integers(0, days * 86400, size=n)
            ids = pc.binary_join_element_wise(
                "b", pa.array(np.arange(offset, offset + n)).cast(pa.string()), ""
            )
            users = pc.binary_join_element_wise(
                groups.take(pa.array(account)), "-u", pa.array(user).cast(pa.string()), ""
            )
            table = pa.table(
                {
                    "message_id": ids,
                    "type": pc.fill_null(pa.nulls(n, pa.string()), "track"),
                    "event": names.take(pa.array(rng.choice(len(EVENTS), n, p=probabilities))),
                    "user_id": users,
                    "group_id": groups.take(pa.array(account)),
                    "timestamp": pa.array(moment * 1000, pa.int64()).cast(
                        pa.timestamp("ms", tz="UTC")
                    ),
                    "properties": props.take(pa.array(rng.integers(0, 100, n))),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=CHUNK)
    return events
