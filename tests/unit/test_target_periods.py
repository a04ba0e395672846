"""Fiscal period maths of targets (April start by default; named by the starting year)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.models.target import PeriodKind
from kizuna.target.periods import (
    PeriodError,
    elapsed,
    fiscal_year_of,
    inside,
    label,
    parse,
    period_of,
    quarters_of_year,
    span,
)

TODAY = date(2026, 11, 23)


def _dates(text: str, fiscal: int = 4) -> tuple[date, date]:
    s = parse(text, fiscal, today=TODAY)
    return s.starts_on, s.ends_on


def test_fiscal_year_with_april_start() -> None:
    assert _dates("2026-FY") == (date(2026, 4, 1), date(2027, 3, 31))
    assert _dates("2026-Q1") == (date(2026, 4, 1), date(2026, 6, 30))
    assert _dates("2026-Q3") == (date(2026, 10, 1), date(2026, 12, 31))
    assert _dates("2026-Q4") == (date(2027, 1, 1), date(2027, 3, 31))
    assert _dates("2026-H1") == (date(2026, 4, 1), date(2026, 9, 30))
    assert _dates("2026-H2") == (date(2026, 10, 1), date(2027, 3, 31))
    assert _dates("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert _dates("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))


def test_calendar_fiscal_year_and_other_starts() -> None:
    assert _dates("2026-FY", 1) == (date(2026, 1, 1), date(2026, 12, 31))
    assert _dates("2026-Q3", 1) == (date(2026, 7, 1), date(2026, 9, 30))
    assert _dates("2026-Q4", 10) == (date(2027, 7, 1), date(2027, 9, 30))


def test_keys_round_trip() -> None:
    for key in ("2026-FY", "2026-Q1", "2026-Q4", "2026-H2", "2026-07"):
        assert parse(key, today=TODAY).key == key
    assert parse("2026-q3", today=TODAY).key == "2026-Q3"
    assert parse("2026-fy", today=TODAY).kind is PeriodKind.YEAR


def test_relative_periods() -> None:
    assert parse("this-quarter", today=TODAY).key == "2026-Q3"
    assert parse("last-quarter", today=TODAY).key == "2026-Q2"
    assert parse("this-year", today=TODAY).key == "2026-FY"
    assert parse("this-year", today=date(2027, 3, 31)).key == "2026-FY"
    assert parse("this-year", today=date(2027, 4, 1)).key == "2027-FY"
    assert parse("last-year", today=TODAY).key == "2025-FY"
    assert parse("this-month", today=TODAY).key == "2026-11"
    assert parse("last-month", today=date(2026, 1, 15)).key == "2025-12"
    assert parse("this-half", today=TODAY).key == "2026-H2"
    assert parse("this-quarter", 1, today=TODAY).key == "2026-Q4"


def test_custom_range() -> None:
    s = parse("2026-04-10..2026-05-09", today=TODAY)
    assert s.kind is None
    assert s.days == 30
    with pytest.raises(PeriodError, match="ends before"):
        parse("2026-05-01..2026-04-01", today=TODAY)
    with pytest.raises(PeriodError, match="three years"):
        parse("2020-01-01..2026-01-01", today=TODAY)


@pytest.mark.parametrize(
    "text", ["2026", "2026-13", "2026-Q5", "2026-H3", "2026-Q0", "this-week", "26-Q1", "x"]
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        parse(text, today=TODAY)


def test_bad_fiscal_month() -> None:
    with pytest.raises(PeriodError):
        parse("2026-FY", 13, today=TODAY)


def test_label_of_a_period_that_no_longer_lines_up() -> None:
    # A quarter made with an April start, shown after the setting moved to May.
    assert label(PeriodKind.QUARTER, date(2026, 4, 1), 5) == "2026-04-01..2026-06-30"
    assert label(PeriodKind.QUARTER, date(2026, 4, 1), 1) == "2026-Q2"


def test_elapsed_share() -> None:
    q = parse("2026-Q3", today=TODAY)  # Oct 1 … Dec 31: 92 days
    assert elapsed(q, date(2026, 9, 30)) == 0
    assert elapsed(q, date(2026, 10, 1)) == Fraction(1, 92)
    assert elapsed(q, date(2026, 11, 15)) == Fraction(46, 92)
    assert elapsed(q, date(2026, 12, 31)) == 1
    assert elapsed(q, date(2027, 5, 1)) == 1


def test_quarters_of_year_and_inside() -> None:
    quarters = quarters_of_year(2026)
    assert [q.key for q in quarters] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    year = parse("2026-FY", today=TODAY)
    assert [q.key for q in inside(PeriodKind.QUARTER, year)] == [q.key for q in quarters]
    custom = parse("2026-05-15..2026-12-31", today=TODAY)
    assert [q.key for q in inside(PeriodKind.QUARTER, custom)] == ["2026-Q2", "2026-Q3"]


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=1, max_value=12),
    st.sampled_from(list(PeriodKind)),
)
def test_period_of_holds_the_day_and_tiles_the_calendar(
    day: date, fiscal: int, kind: PeriodKind
) -> None:
    s = period_of(day, kind, fiscal)
    assert s.contains(day)
    following = period_of(s.ends_on + timedelta(days=1), kind, fiscal)
    assert following.starts_on == s.ends_on + timedelta(days=1)
    assert parse(s.key, fiscal, today=day) == s  # every key reads back as the same period
    assert s == span(kind, s.starts_on, fiscal)
    if kind is PeriodKind.YEAR:
        assert s.starts_on == date(fiscal_year_of(day, fiscal), fiscal, 1)
