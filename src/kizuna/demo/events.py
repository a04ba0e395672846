"""Product usage events of the demo customers, shaped like Segment ``track`` calls.

Nothing here touches the database: a later issue loads these into the usage store. The
number of events an account sends on a day is a pure function of its seats, its hidden
engagement that month (the same values that drove churn and expansion) and the weekday,
so ``count_usage_events`` knows the total without building a single event. Which events,
by whom and when is then drawn from a per-account-day ``random.Random``.

``start`` and ``end`` are JST calendar dates, ``start`` inclusive and ``end`` exclusive;
days from ``demo.today`` on are never produced (today is not over yet).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kizuna.demo import catalog as c
from kizuna.demo.dates import jst_midnight_utc
from kizuna.demo.model import DemoData
from kizuna.demo.usage_props import PROPERTY_MAKERS

# Expected events per seat per weekday at full engagement; weekends are quiet.
DAILY_RATE = 0.15
WEEKEND_FACTOR = 0.12
DAY_START, DAY_END = 8 * 3600, 22 * 3600  # 08:00–22:00 JST, in seconds
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# (event, relative weight, option the account must hold or None)
EVENT_CATALOG: tuple[tuple[str, float, str | None], ...] = (
    ("Login", 30, None),
    ("Dashboard Viewed", 20, None),
    ("Record Created", 12, None),
    ("Record Updated", 14, None),
    ("Search Performed", 10, None),
    ("Report Viewed", 8, None),
    ("Comment Added", 6, None),
    ("File Uploaded", 4, None),
    ("Export Downloaded", 3, None),
    ("Dashboard Created", 1, None),
    ("User Invited", 0.5, None),
    ("Report Created", 3, c.OPT_ANALYTICS),
    ("Analysis Run", 5, c.OPT_ANALYTICS),
    ("API Call", 25, c.OPT_API),
    ("Workflow Run", 10, c.OPT_WORKFLOW),
    ("Workflow Created", 1, c.OPT_WORKFLOW),
    ("SSO Login", 8, c.OPT_SSO),
)

SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("group_id", pa.string()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("properties", pa.string()),  # JSON object
    ]
)


@dataclass
class _Usage:
    """What one account holds, month by month (lines change only on month starts)."""

    number: int
    group_id: str
    engagement: tuple[float, ...]
    users: list[str]
    seats: dict[int, int] = field(default_factory=dict)
    plan: dict[int, str] = field(default_factory=dict)
    options: dict[int, frozenset[str]] = field(default_factory=dict)


def _usage_table(demo: DemoData) -> list[_Usage]:
    accounts = {
        a.external_id: _Usage(n, a.external_id, demo.engagement[a.external_id], [])
        for n, a in enumerate(demo.accounts)
    }
    for contact in demo.contacts:
        accounts[contact.account].users.append(contact.external_id)
    last = len(demo.months)
    for line in demo.lines:
        usage = accounts[line.account]
        for month in range(
            max(0, demo.month_index(line.start_on)), min(last, demo.month_index(line.end_on))
        ):
            if line.product_code in c.BASE_PLANS:
                usage.seats[month] = usage.seats.get(month, 0) + line.quantity
                usage.plan[month] = line.product_code
            elif line.product_code in c.OPTIONS:
                usage.options[month] = usage.options.get(month, frozenset()) | {line.product_code}
    return list(accounts.values())


def _dither(seed: int, number: int, ordinal: int) -> float:
    """A fixed pseudo-random fraction per account-day (cheap; no Random object)."""
    h = (number * 0x9E3779B1 + ordinal * 0x85EBCA77 + seed * 0xC2B2AE3D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    h = (h * 0x297A2D39) & 0xFFFFFFFF
    h ^= h >> 15
    return h / 0x1_0000_0000


def _day_count(demo: DemoData, usage: _Usage, day: date, month: int) -> int:
    seats = usage.seats.get(month)
    if not seats:
        return 0
    factor = 1.0 if day.weekday() < 5 else WEEKEND_FACTOR
    expected = seats * usage.engagement[month] * DAILY_RATE * factor
    return int(expected + _dither(demo.seed, usage.number, day.toordinal()))


def _days(demo: DemoData, start: date, end: date) -> Iterator[tuple[date, int]]:
    day, stop = max(start, demo.months[0]), min(end, demo.today)
    while day < stop:
        yield day, demo.month_index(day)
        day += timedelta(days=1)


def count_usage_events(demo: DemoData, start: date, end: date) -> int:
    """How many events ``iter_usage_events`` yields for the range, without making them."""
    table = _usage_table(demo)
    return sum(
        _day_count(demo, u, day, month) for day, month in _days(demo, start, end) for u in table
    )


_Raw = tuple[str, str, str, str, int, dict[str, Any]]


def _raw_events(demo: DemoData, start: date, end: date) -> Iterator[_Raw]:
    """(message_id, event, user_id, group_id, epoch_ms, properties), day by day."""
    table = _usage_table(demo)
    menus: dict[frozenset[str], tuple[list[str], list[float]]] = {}
    for day, month in _days(demo, start, end):
        midnight_ms = (jst_midnight_utc(day) - EPOCH) // timedelta(milliseconds=1)
        for usage in table:
            n = _day_count(demo, usage, day, month)
            if n == 0:
                continue
            options = usage.options.get(month, frozenset())
            if options not in menus:
                menus[options] = _menu(options)
            yield from _account_day(demo, usage, day, month, n, midnight_ms, menus[options])


def _menu(options: frozenset[str]) -> tuple[list[str], list[float]]:
    allowed = [(e, w) for e, w, gate in EVENT_CATALOG if gate is None or gate in options]
    cumulative, total = [], 0.0
    for _, weight in allowed:
        total += weight
        cumulative.append(total)
    return [e for e, _ in allowed], cumulative


def _account_day(
    demo: DemoData,
    usage: _Usage,
    day: date,
    month: int,
    n: int,
    midnight_ms: int,
    menu: tuple[list[str], list[float]],
) -> Iterator[_Raw]:
    rng = random.Random((demo.seed << 40) ^ (usage.number << 24) ^ day.toordinal())
    seats, plan = usage.seats[month], usage.plan[month]
    events = rng.choices(menu[0], cum_weights=menu[1], k=n)
    offsets = sorted(rng.randrange(DAY_START * 1000, DAY_END * 1000) for _ in range(n))
    stamp = day.strftime("%Y%m%d")
    for i, (event, offset) in enumerate(zip(events, offsets, strict=True)):
        # Power users: low user numbers are drawn far more often than high ones.
        user = int(seats * rng.random() ** 2)
        user_id = usage.users[user] if user < len(usage.users) else f"{usage.group_id}-U{user:04d}"
        props = PROPERTY_MAKERS[event](rng)
        props["plan"] = plan
        yield (
            f"{usage.group_id}-{stamp}-{i:05d}",
            event,
            user_id,
            usage.group_id,
            midnight_ms + offset,
            props,
        )


def _iso(epoch_ms: int) -> str:
    moment = EPOCH + timedelta(milliseconds=epoch_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iter_usage_events(demo: DemoData, start: date, end: date) -> Iterator[dict[str, Any]]:
    """Segment-style track calls for the JST days in ``[start, end)``."""
    for message_id, event, user_id, group_id, epoch_ms, props in _raw_events(demo, start, end):
        yield {
            "messageId": message_id,
            "type": "track",
            "event": event,
            "userId": user_id,
            "groupId": group_id,
            "timestamp": _iso(epoch_ms),
            "properties": props,
        }


def write_usage_events_parquet(
    demo: DemoData, path: Path | str, start: date, end: date, *, row_group_size: int = 100_000
) -> int:
    """Write the events to a Parquet file, one row group at a time; returns the count.

    Memory stays bounded by ``row_group_size`` rows. ``properties`` is a JSON string.
    """
    columns: list[list[Any]] = [[] for _ in SCHEMA]
    written = 0
    with pq.ParquetWriter(str(path), SCHEMA) as writer:
        for message_id, event, user_id, group_id, epoch_ms, props in _raw_events(demo, start, end):
            row = (message_id, "track", event, user_id, group_id, epoch_ms, _json(props))
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            if len(columns[0]) >= row_group_size:
                written += _flush(writer, columns)
        written += _flush(writer, columns)
    return written


def _json(props: dict[str, Any]) -> str:
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _flush(writer: pq.ParquetWriter, columns: list[list[Any]]) -> int:
    rows = len(columns[0])
    if rows:
        arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SCHEMA, strict=True)]
        writer.write_table(pa.Table.from_arrays(arrays, schema=SCHEMA))
        for column in columns:
            column.clear()
    return rows
