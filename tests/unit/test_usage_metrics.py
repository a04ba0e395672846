"""Every metric kind at every grain against hand-computed values, on in-memory DuckDB."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import usage_data as d
from kizuna.analytics import grid, snapshot
from kizuna.analytics.connect import Engine, connect
from kizuna.analytics.metrics import MetricSpec, check_params
from kizuna.analytics.snapshot import Snapshot, compute

W = "week"
CUT = datetime(2026, 1, 20, 15, tzinfo=d.jst(date(2026, 1, 1), 9).tzinfo)


def run(engine: Engine, events: pa.Table, today: date = d.TODAY, **kwargs: Any) -> Snapshot:
    """The fixture catalogue over ``events`` in Tokyo time."""
    raw = engine.from_arrow("raw", events)
    return compute(
        engine, d.CATALOGUE, raw, d.context(), today=today, utc_offset_seconds=d.JST, **kwargs
    )


@pytest.fixture(scope="module")
def values() -> dict[tuple[str, str, str, date], float | None]:
    with connect("duckdb") as engine:
        return d.as_dict(run(engine, d.events_table()).values)


def series(values: dict, metric: str, grain: str, account: str) -> dict[date, float | None]:
    return {k[3]: v for k, v in values.items() if k[:3] == (metric, grain, account)}


WEEKS_A = [
    date(2026, 1, 5),
    date(2026, 1, 12),
    date(2026, 1, 19),
    date(2026, 1, 26),
    date(2026, 2, 2),
]
WEEKS_B = WEEKS_A[2:]


@pytest.mark.parametrize(
    ("metric", "account", "expected"),
    [
        ("events", d.A, [3, 1, 0, 0, 1]),
        ("logins", d.A, [1, 1, 0, 0, 0]),
        ("api_calls", d.A, [5, 0, 0, 0, 0]),
        ("active_users", d.A, [2, 1, 0, 0, 1]),
        ("active_days", d.A, [2, 1, 0, 0, 1]),
        ("breadth", d.A, [2, 1, 0, 0, 1]),
        ("days_since", d.A, [5, 6, 13, 20, 2]),
        ("calls_per_user", d.A, [2.5, 0, None, None, 0]),
        ("events_change", d.A, [None, -66.666666667, -100, None, None]),
        ("seat_use", d.A, [0.2, 0.1, 0, 0, 0.1]),
        ("tenure_rate", d.A, [3.818181818, 4, 1, 0, 1]),
        # B: a page view by an anonymous user counts; seats go 5 → 8 on Feb 1; a non-numeric
        # property sums as 0; the identify call and the unknown user's event are not usage.
        ("events", d.B, [2, 0, 1]),
        ("active_users", d.B, [2, 0, 1]),
        ("breadth", d.B, [2, 0, 1]),
        ("api_calls", d.B, [0, 0, 0]),
        ("seat_use", d.B, [0.4, 0, 0.125]),
        ("days_since", d.B, [4, 11, 1]),
        ("tenure_rate", d.B, [4.666666667, 2.153846154, 1]),
    ],
)
def test_weekly_values(values: dict, metric: str, account: str, expected: list) -> None:
    weeks = WEEKS_A if account == d.A else WEEKS_B
    assert series(values, metric, W, account) == dict(zip(weeks, expected, strict=True))


def test_days_are_tokyo_days_and_monthly_grain(values: dict) -> None:
    # 23:30 and 00:30 JST fall on different local days although both are Jan 5 in UTC.
    day = series(values, "events", "day", d.A)
    assert day[date(2026, 1, 5)] == 2
    assert day[date(2026, 1, 6)] == 1
    assert series(values, "api_calls", "day", d.A)[date(2026, 1, 6)] == 2
    month = series(values, "events", "month", d.A)
    assert month == {date(2026, 1, 1): 4, date(2026, 2, 1): 1}
    assert series(values, "active_days", "month", d.A)[date(2026, 1, 1)] == 3
    assert series(values, "events_change", "month", d.A)[date(2026, 2, 1)] == -75
    # The current day's recency counts to today (Feb 4), the account's last event Feb 2.
    assert series(values, "days_since", "day", d.A)[d.TODAY] == 2


def test_periods_start_at_the_accounts_first_event(values: dict) -> None:
    assert min(series(values, "events", "day", d.B)) == date(2026, 1, 21)
    assert max(series(values, "events", "day", d.B)) == d.TODAY
    assert len(series(values, "events", "day", d.A)) == (d.TODAY - date(2026, 1, 5)).days + 1


def test_incremental_equals_full() -> None:
    """Compute up to Jan 20, add the later events, recompute from what changed."""
    with connect("duckdb") as engine:
        first = run(engine, d.events_table(until=CUT), today=date(2026, 1, 20))
        later = run(engine, d.events_table(), since=date(2026, 1, 20), previous=first)
        full = run(engine, d.events_table())
    assert d.as_dict(later.values) == d.as_dict(full.values)
    assert sorted(later.daily.to_pylist(), key=str) == sorted(full.daily.to_pylist(), key=str)
    assert later.actors.to_pylist() == full.actors.to_pylist()


def test_words_keyed_by_another_engine_make_a_full_run() -> None:
    """Stored activity words whose actors are keyed as Spark keys them (the ids) cannot
    be continued on DuckDB (hashes): the run starts from the events, with the same
    result as a full one."""
    with connect("duckdb") as engine:
        first = run(engine, d.events_table(until=CUT), today=date(2026, 1, 20))
        ids = pc.binary_join_element_wise("user-", first.actors["actor"].cast(pa.string()), "")
        actors = first.actors.set_column(2, "actor", ids)
        spark_like = Snapshot(
            first.values,
            first.daily,
            actors.replace_schema_metadata({b"kizuna.actor_key": b"text"}),
        )
        later = run(engine, d.events_table(), since=date(2026, 1, 20), previous=spark_like)
        full = run(engine, d.events_table())
    assert d.as_dict(later.values) == d.as_dict(full.values)
    assert later.actors.to_pylist() == full.actors.to_pylist()


def test_accounts_in_blocks_give_the_same_values(
    values: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accounts are computed a block at a time, and event bit sets are rebuilt per grain
    when they would take much memory: one account per block, nothing kept, same values."""
    monkeypatch.setattr(snapshot, "BLOCK", 1)
    monkeypatch.setattr(grid, "KEEP_BYTES", 0)
    with connect("duckdb") as engine:
        one_by_one = run(engine, d.events_table())
    assert d.as_dict(one_by_one.values) == values


def test_an_event_without_ids_is_no_user_and_later_days_count_for_their_week() -> None:
    extra = [
        # Neither a user id nor an anonymous id: an event of B, but nobody's.
        ("x1", "track", "Login", None, None, "gB", d.jst(date(2026, 2, 3), 10), "{}"),
        # Friday, after today (Wednesday Feb 4): in this week and month, on no day yet.
        ("x2", "track", "Login", "uB1", None, "gB", d.jst(date(2026, 2, 6), 10), "{}"),
    ]
    with connect("duckdb") as engine:
        got = d.as_dict(run(engine, d.events_table(extra=extra)).values)
    week, month = date(2026, 2, 2), date(2026, 2, 1)
    assert got[("events", "day", d.B, date(2026, 2, 3))] == 2
    assert got[("active_users", "day", d.B, date(2026, 2, 3))] == 1
    assert max(k[3] for k in got if k[:3] == ("events", "day", d.B)) == d.TODAY
    assert got[("events", W, d.B, week)] == 3
    assert got[("active_users", W, d.B, week)] == 1
    assert got[("active_days", W, d.B, week)] == 2
    assert got[("events", "month", d.B, month)] == 3


@pytest.mark.parametrize(
    ("spec", "field", "code"),
    [
        (MetricSpec("x", "nope"), "kind", "unknown_kind"),
        (MetricSpec("x", "sum", {}), "params.property", "required"),
        (MetricSpec("x", "count", {"events": "Login"}), "params.events", "not_a_list"),
        (MetricSpec("x", "count", {"colour": 1}), "params.colour", "unknown_param"),
        (MetricSpec("x", "tenure_scaled", {"window_days": 0}), "params.window_days", "too_small"),
        (
            MetricSpec("x", "ratio", {"numerator": "events", "denominator": "zz"}),
            "params.denominator",
            "unknown_metric",
        ),
        (
            MetricSpec("x", "pct_change", {"metric": "calls_per_user"}),
            "params.metric",
            "derived_metric",
        ),
        (
            MetricSpec("x", "pct_change", {"metric": "tenure_rate"}, ("month",)),
            "params.metric",
            "grain_missing",
        ),
        (MetricSpec("x", "count", {}, ("year",)), "grains", "unknown_grain"),  # type: ignore[arg-type]
    ],
)
def test_check_params_names_the_parameter(spec: MetricSpec, field: str, code: str) -> None:
    catalogue = {s.key: s for s in d.CATALOGUE}
    problems = check_params(spec, catalogue)
    assert [(p.field, p.code) for p in problems] == [(field, code)]


def test_the_fixture_catalogue_is_valid() -> None:
    catalogue = {s.key: s for s in d.CATALOGUE}
    assert all(check_params(s, catalogue) == [] for s in d.CATALOGUE)
