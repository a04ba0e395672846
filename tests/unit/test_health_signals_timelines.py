"""The as-of primitives of health signals on hand-made arrays (no database)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kizuna.analytics.sources import period_start
from kizuna.health.signals.builtins import last_complete
from kizuna.health.signals.lines import Lines, Mrr, Rates
from kizuna.health.signals.timelines import (
    NO_DAY,
    Timeline,
    add_months,
    day_number_of,
    expand,
    from_days,
    to_days,
)
from kizuna.subscription.terms import add_months as add_months_one


def d(value: str) -> int:
    return day_number_of(date.fromisoformat(value))


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# Account 0: events on 1, 5 and 10 March (values 2, 4, 6); account 1: one on 3 March;
# account 2: none.
TIMELINE = Timeline.of(
    ints(0, 1, 0, 0),
    ints(d("2026-03-05"), d("2026-03-03"), d("2026-03-01"), d("2026-03-10")),
    [4.0, 9.0, 2.0, 6.0],
)


def test_day_numbers_round_trip() -> None:
    days = np.array(["2026-03-01", "NaT", "1999-12-31"], dtype="datetime64[D]")
    numbers = to_days(days)
    assert numbers[0] == d("2026-03-01")
    assert numbers[1] == NO_DAY
    assert from_days(numbers).tolist() == days.tolist()


def test_last_before_sees_the_day_before_but_not_the_day_itself() -> None:
    accounts = ints(0, 0, 0, 0, 1, 2)
    as_of = ints(*(d(f"2026-{x}") for x in ["03-05", "03-06", "03-01", "12-01", "03-04", "03-04"]))
    index = TIMELINE.last_before(accounts, as_of)
    assert TIMELINE.days_at(index).tolist() == [
        d("2026-03-01"),  # the event on 5 March is not seen on 5 March
        d("2026-03-05"),  # … and is seen on 6 March
        NO_DAY,  # nothing before the first event
        d("2026-03-10"),
        d("2026-03-03"),  # another account's events never leak in
        NO_DAY,  # an account without events
    ]
    assert TIMELINE.values_at(index)[:2].tolist() == [2.0, 4.0]
    assert np.isnan(TIMELINE.values_at(index)[2])


def test_first_index_only_before_as_of() -> None:
    index = TIMELINE.first_index(
        ints(0, 0, 2), ints(d("2026-03-01"), d("2026-03-02"), d("2026-03-02"))
    )
    assert TIMELINE.days_at(index).tolist() == [NO_DAY, d("2026-03-01"), NO_DAY]


def test_window_count_sum_and_mean() -> None:
    accounts = ints(0, 0, 0, 1)
    as_of = ints(d("2026-03-10"), d("2026-03-11"), d("2026-03-06"), d("2026-03-04"))
    # Windows of 5 days: [5, 10), [6, 11), [1, 6), [27 Feb, 4 Mar).
    assert TIMELINE.window_counts(accounts, as_of, 5).tolist() == [1, 1, 2, 1]
    assert TIMELINE.window_sums(accounts, as_of, 5).tolist() == [4.0, 6.0, 6.0, 9.0]
    means = TIMELINE.window_means(accounts, as_of, as_of - 5, as_of)
    assert means.tolist() == [4.0, 6.0, 3.0, 9.0]
    empty = TIMELINE.window_means(
        ints(2), ints(d("2026-03-10")), ints(d("2026-03-01")), ints(d("2026-03-10"))
    )
    assert np.isnan(empty[0])


def test_window_edges_are_half_open() -> None:
    as_of = ints(d("2026-03-11"))
    # [1 Mar, 11 Mar) holds all three events; [2 Mar, 11 Mar) loses the one on 1 March.
    assert TIMELINE.window_counts(ints(0), as_of, 10).tolist() == [3]
    assert TIMELINE.window_counts(ints(0), as_of, 9).tolist() == [2]
    assert TIMELINE.window_counts(ints(0), as_of - 1, 9).tolist() == [2]  # 10 Mar not seen


def test_expand_lists_each_rows_range() -> None:
    rows, index = expand(ints(2, 0, 5), ints(4, 0, 6))
    assert rows.tolist() == [0, 0, 2]
    assert index.tolist() == [2, 3, 5]
    assert expand(ints(1), ints(1))[0].tolist() == []


@pytest.mark.parametrize(
    ("start", "months"),
    [
        ("2026-01-31", 1),
        ("2024-02-29", 12),
        ("2026-03-15", 0),
        ("2025-12-31", 2),
        ("2026-05-31", 13),
    ],
)
def test_add_months_matches_the_subscription_rule(start: str, months: int) -> None:
    out = add_months(ints(d(start)), ints(months))
    assert out[0] == day_number_of(add_months_one(date.fromisoformat(start), months))


@pytest.mark.parametrize(
    "as_of", ["2026-03-02", "2026-03-04", "2026-03-08", "2026-03-01", "2026-01-01"]
)
def test_last_complete_period_ends_before_as_of(as_of: str) -> None:
    day = date.fromisoformat(as_of)
    week_start, week_end = last_complete("week", ints(day_number_of(day)))
    expected_week = period_start(day, "week").toordinal() - 7
    assert from_days(week_start)[0].astype(object).toordinal() == expected_week
    assert week_end[0] < day_number_of(day) <= week_end[0] + 7
    month_start, month_end = last_complete("month", ints(day_number_of(day)))
    first = period_start(day, "month")
    previous = period_start(date.fromordinal(first.toordinal() - 1), "month")
    assert month_start[0] == day_number_of(previous)
    assert month_end[0] == day_number_of(first) - 1
    assert last_complete("day", ints(day_number_of(day)))[0][0] == day_number_of(day) - 1


def _lines(rows: list[tuple[int, str, str | None, int]]) -> Lines:
    n = len(rows)
    return Lines(
        account=ints(*(r[0] for r in rows)),
        start=ints(*(d(r[1]) for r in rows)),
        end=ints(*(d(r[2]) if r[2] else NO_DAY for r in rows)),
        amount=ints(*(r[3] for r in rows)),
        currency=["JPY"] * n,
        quantity=np.ones(n, np.int64),
        per_seat=np.ones(n, np.bool_),
        option=np.zeros(n, np.bool_),
        term_months=np.full(n, 12, np.int64),
    )


def test_mrr_step_function_and_change_days() -> None:
    # Account 0: 100 from 1 Jan, +50 from 1 Feb to 1 Mar (exclusive), then all ends 1 Apr.
    # Account 1: 100, renewed at 80 on the day the first line ends (a contraction of 20 %).
    lines = _lines(
        [
            (0, "2026-01-01", "2026-04-01", 100_000),
            (0, "2026-02-01", "2026-03-01", 50_000),
            (1, "2026-01-01", "2026-06-01", 100_000),
            (1, "2026-06-01", None, 80_000),
        ]
    )
    mrr = Mrr(lines, Rates("JPY", {"JPY": 0}))
    on = mrr.on(
        ints(0, 0, 0, 0, 0, 1, 1),
        ints(d("2025-12-31"), d("2026-01-01"), d("2026-02-01"), d("2026-03-01"), d("2026-04-01"),
             d("2026-05-31"), d("2026-06-01")),
    )  # fmt: skip
    assert on.tolist() == [0.0, 100_000.0, 150_000.0, 100_000.0, 0.0, 100_000.0, 80_000.0]
    assert mrr.churns.days.tolist() == [d("2026-04-01")]
    assert mrr.falls.days.tolist() == [d("2026-03-01"), d("2026-06-01")]
    # 150k → 100k (-33 %) and 100k → 80k (-20 %) are both downturns, as is the churn.
    assert sorted(mrr.downturns.days.tolist()) == sorted(
        [d("2026-03-01"), d("2026-04-01"), d("2026-06-01")]
    )


def test_foreign_currency_uses_the_rate_of_the_day() -> None:
    lines = _lines([(0, "2026-01-01", None, 1_000)])  # 10.00 USD in cents
    lines = Lines(**{**lines.__dict__, "currency": ["USD"]})
    rates = Rates(
        "JPY",
        {"JPY": 0, "USD": 2},
        {"USD": (ints(d("2026-02-01"), d("2026-03-01")), np.array([150.0, 160.0]))},
    )
    on = Mrr(lines, rates).on(
        ints(0, 0, 0), ints(d("2026-01-15"), d("2026-02-10"), d("2026-03-01"))
    )
    assert np.isnan(on[0])  # no rate yet: missing, not zero
    assert on[1:].tolist() == [1_500.0, 1_600.0]


def test_next_renewal_is_the_nearest_anniversary_never_an_end_date() -> None:
    lines = _lines(
        [
            (0, "2025-01-31", None, 100),  # anniversaries 31 Jan each year
            # an end date (often written at cancellation, after the fact) is not a renewal:
            # the line's own anniversary (1 May) counts
            (1, "2025-05-01", "2026-04-15", 100),
            (1, "2025-06-01", None, 100),  # and an anniversary on 1 June
        ]
    )
    mrr = Mrr(lines, Rates("JPY", {"JPY": 0}))
    renewal = mrr.next_renewal(
        ints(0, 0, 0, 1, 2),
        ints(d("2026-01-31"), d("2026-02-01"), d("2025-02-01"), d("2026-03-01"), d("2026-03-01")),
    )
    assert renewal.tolist() == [
        d("2026-01-31"),
        d("2027-01-31"),
        d("2026-01-31"),
        d("2026-05-01"),
        NO_DAY,
    ]
