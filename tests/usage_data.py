"""A tiny, hand-checked usage fixture shared by the metric unit tests and the Spark parity
test: two accounts, a few events around JST midnight, seats that change mid-period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from kizuna.analytics.metrics import MetricSpec
from kizuna.analytics.snapshot import Context
from kizuna.analytics.sources import EVENT_SCHEMA

JST = 9 * 3600
TODAY = date(2026, 2, 4)  # a Wednesday
A, B = "acct-a", "acct-b"
ALL = ("day", "week", "month")


def jst(day: date, hour: int, minute: int = 0) -> datetime:
    """A JST wall-clock time as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


# (message_id, type, event, user_id, anonymous_id, group_id, time, properties)
EVENTS = [
    ("m1", "track", "Login", "uA1", None, "gA", jst(date(2026, 1, 5), 10), "{}"),
    ("m2", "track", "API Call", "uA2", None, None, jst(date(2026, 1, 5), 23, 30), '{"calls": 3}'),
    ("m3", "track", "API Call", "uA1", None, "gA", jst(date(2026, 1, 6), 0, 30), '{"calls": 2}'),
    ("m4", "track", "Login", "uA1", None, "gA", jst(date(2026, 1, 12), 9), "{}"),
    ("m5", "track", "Login", "uB1", None, "gB", jst(date(2026, 1, 21), 9), "{}"),
    ("m6", "page", "Pricing", None, "anon1", "gB", jst(date(2026, 1, 21), 9, 5), "{}"),
    ("m7", "track", "Report Viewed", "uA2", None, None, jst(date(2026, 2, 2), 9), "{}"),
    ("m8", "identify", None, "uA1", None, None, jst(date(2026, 2, 2), 9), '{"email": "a@x"}'),
    ("m9", "track", "Login", "ghost", None, None, jst(date(2026, 2, 2), 9), "{}"),
    ("m10", "track", "API Call", "uB1", None, None, jst(date(2026, 2, 3), 9), '{"calls": "x"}'),
]

CATALOGUE = [
    MetricSpec("events", "count", {}, ALL),
    MetricSpec("logins", "count", {"events": ["Login"]}, ALL),
    MetricSpec("api_calls", "sum", {"property": "calls", "events": ["API Call"]}, ALL),
    MetricSpec("active_users", "active_users", {}, ALL),
    MetricSpec("active_days", "active_days", {}, ("week", "month")),
    MetricSpec("breadth", "feature_breadth", {}, ("week", "month")),
    MetricSpec("days_since", "days_since_last", {}, ALL),
    MetricSpec("tenure_rate", "tenure_scaled", {"window_days": 14}, ("week",)),
    MetricSpec(
        "calls_per_user", "ratio", {"numerator": "api_calls", "denominator": "active_users"}, ALL
    ),
    MetricSpec("events_change", "pct_change", {"metric": "events"}, ("week", "month")),
    MetricSpec("seat_use", "per_seat", {"metric": "active_users"}, ALL),
]


Event = tuple[str, str, str | None, str | None, str | None, str | None, datetime, str]


def events_table(until: datetime | None = None, extra: Sequence[Event] = ()) -> pa.Table:
    rows = [e for e in [*EVENTS, *extra] if until is None or e[6] < until]
    received = datetime(2026, 2, 4, tzinfo=UTC)
    return pa.table(
        {
            "message_id": [r[0] for r in rows],
            "source_id": ["src"] * len(rows),
            "type": [r[1] for r in rows],
            "event": [r[2] for r in rows],
            "user_id": [r[3] for r in rows],
            "anonymous_id": [r[4] for r in rows],
            "group_id": [r[5] for r in rows],
            "previous_id": [None] * len(rows),
            "timestamp": [r[6] for r in rows],
            "received_at": [received] * len(rows),
            "properties": [r[7] for r in rows],
            "context": ["{}"] * len(rows),
        },
        schema=EVENT_SCHEMA,
    )


def context() -> Context:
    return Context(
        users=pa.table({"key": ["uA1", "uA2", "uB1"], "account_id": [A, A, B]}),
        groups=pa.table({"key": ["gA", "gB"], "account_id": [A, B]}),
        accounts=pa.table(
            {"account_id": [A, B], "start_on": [date(2026, 1, 1), date(2026, 1, 20)]}
        ),
        seats=pa.table(
            {
                "account_id": [A, B, B],
                "start_on": [date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 1)],
                "end_on": [None, date(2026, 2, 1), None],
                "quantity": pa.array([10, 5, 8], pa.int64()),
            }
        ),
    )


def as_dict(values: pa.Table) -> dict[tuple[str, str, str, date], float | None]:
    """(metric, grain, account, period) → value, rounded to 9 decimals for comparing."""
    out: dict[tuple[str, str, str, date], float | None] = {}
    for row in values.to_pylist():
        value = row["value"]
        key = (row["metric"], row["grain"], row["account_id"], row["period"])
        out[key] = None if value is None else round(value, 9)
    return out
