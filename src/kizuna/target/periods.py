"""Target periods: months, fiscal quarters, fiscal halves and fiscal years. Pure.

The fiscal year starts on the first day of a configurable month (April by default, as at
most Japanese companies) and is **named by the calendar year it starts in** (2026年度):
with an April start, ``2026-FY`` is 2026-04-01 … 2027-03-31, ``2026-Q1`` is April–June
2026, ``2026-Q4`` is January–March 2027 and ``2026-H2`` is October 2026 – March 2027. With a
January start the fiscal periods are the calendar ones. Months are calendar months
(``2026-07``). A custom range is written ``2026-04-01..2026-06-30`` (both days included).

Relative names (``this-month``, ``this-quarter``, ``this-half``, ``this-year``, and
``last-…`` of each) resolve against a given day, so links and CLI calls can say "the
current quarter" without knowing the fiscal calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from kizuna.models.target import PeriodKind
from kizuna.subscription.terms import add_months

DEFAULT_FISCAL_START = 4
MAX_CUSTOM_DAYS = 3 * 366 + 1

_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
_KEY = re.compile(r"^(\d{4})-(?:(\d{2})|([QqHh])(\d)|(FY|fy))$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_RELATIVE = {
    "month": PeriodKind.MONTH,
    "quarter": PeriodKind.QUARTER,
    "half": PeriodKind.HALF,
    "year": PeriodKind.YEAR,
}


class PeriodError(ValueError):
    """The text is not a period (the message says what is accepted)."""


@dataclass(frozen=True)
class Span:
    """A period: ``kind`` is None for a custom range; both days are included."""

    kind: PeriodKind | None
    starts_on: date
    ends_on: date
    key: str

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def _check_month(fiscal_start: int) -> None:
    if not 1 <= fiscal_start <= 12:
        raise PeriodError("the fiscal year starts in a month from 1 to 12")


def fiscal_year_of(day: date, fiscal_start: int = DEFAULT_FISCAL_START) -> int:
    """The fiscal year (named by the calendar year it starts in) holding ``day``."""
    _check_month(fiscal_start)
    return day.year if day.month >= fiscal_start else day.year - 1


def span(kind: PeriodKind, starts_on: date, fiscal_start: int = DEFAULT_FISCAL_START) -> Span:
    """The period of ``kind`` starting on ``starts_on`` (its key follows the setting)."""
    ends_on = add_months(starts_on, _MONTHS[kind]) - timedelta(days=1)
    return Span(kind, starts_on, ends_on, label(kind, starts_on, fiscal_start))


def label(kind: PeriodKind, starts_on: date, fiscal_start: int = DEFAULT_FISCAL_START) -> str:
    """``2026-07``, ``2026-Q3``, ``2026-H1``, ``2026-FY``; a period that does not line up with
    the fiscal calendar (the setting changed after it was made) shows as its date range."""
    _check_month(fiscal_start)
    if kind is PeriodKind.MONTH:
        return f"{starts_on.year:04d}-{starts_on.month:02d}"
    year = fiscal_year_of(starts_on, fiscal_start)
    offset = (starts_on.year - year) * 12 + starts_on.month - fiscal_start
    size = _MONTHS[kind]
    if starts_on.day != 1 or offset % size:
        ends_on = add_months(starts_on, size) - timedelta(days=1)
        return f"{starts_on.isoformat()}..{ends_on.isoformat()}"
    if kind is PeriodKind.YEAR:
        return f"{year:04d}-FY"
    letter = "Q" if kind is PeriodKind.QUARTER else "H"
    return f"{year:04d}-{letter}{offset // size + 1}"


def period_of(day: date, kind: PeriodKind, fiscal_start: int = DEFAULT_FISCAL_START) -> Span:
    """The period of ``kind`` holding ``day``."""
    if kind is PeriodKind.MONTH:
        return span(kind, day.replace(day=1), fiscal_start)
    year_start = date(fiscal_year_of(day, fiscal_start), fiscal_start, 1)
    months = (day.year - year_start.year) * 12 + day.month - year_start.month
    size = _MONTHS[kind]
    return span(kind, add_months(year_start, months // size * size), fiscal_start)


def parse(text: str, fiscal_start: int = DEFAULT_FISCAL_START, *, today: date) -> Span:
    """A period from its key, a custom range or a relative name (see the module doc)."""
    _check_month(fiscal_start)
    raw = text.strip()
    lowered = raw.lower()
    if lowered.startswith(("this-", "last-")):
        kind = _RELATIVE.get(lowered[5:])
        if kind is None:
            raise PeriodError(f"unknown period {raw!r}: this-/last- month, quarter, half, year")
        current = period_of(today, kind, fiscal_start)
        if lowered.startswith("this-"):
            return current
        return period_of(current.starts_on - timedelta(days=1), kind, fiscal_start)
    if match := _RANGE.match(raw):
        try:
            first, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        except ValueError:
            raise PeriodError(f"not a date range: {raw!r}") from None
        if last < first:
            raise PeriodError("the range ends before it starts")
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise PeriodError("a custom range covers at most three years")
        return Span(None, first, last, f"{first.isoformat()}..{last.isoformat()}")
    match = _KEY.match(raw)
    if match is None:
        raise PeriodError(
            f"unknown period {raw!r}: use 2026-07, 2026-Q3, 2026-H1, 2026-FY, "
            "2026-04-01..2026-06-30 or this-quarter"
        )
    year = int(match[1])
    year_start = date(year, fiscal_start, 1)
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"no month {month}")
        return span(PeriodKind.MONTH, date(year, month, 1), fiscal_start)
    if match[5]:
        return span(PeriodKind.YEAR, year_start, fiscal_start)
    kind = PeriodKind.QUARTER if match[3].upper() == "Q" else PeriodKind.HALF
    number, count = int(match[4]), 12 // _MONTHS[kind]
    if not 1 <= number <= count:
        raise PeriodError(f"a fiscal year has {count} {kind.value}s")
    return span(kind, add_months(year_start, (number - 1) * _MONTHS[kind]), fiscal_start)


def elapsed(period: Span, today: date) -> Fraction:
    """How much of the period has passed by the end of ``today``: 0 before it starts,
    1 after it ends, else (days up to and including today) ÷ (days in the period)."""
    if today < period.starts_on:
        return Fraction(0)
    if today >= period.ends_on:
        return Fraction(1)
    return Fraction((today - period.starts_on).days + 1, period.days)


def quarters_of_year(year: int, fiscal_start: int = DEFAULT_FISCAL_START) -> list[Span]:
    """The four fiscal quarters of fiscal year ``year``."""
    first = date(year, fiscal_start, 1)
    return [span(PeriodKind.QUARTER, add_months(first, 3 * i), fiscal_start) for i in range(4)]


def inside(kind: PeriodKind, outer: Span, fiscal_start: int = DEFAULT_FISCAL_START) -> list[Span]:
    """The periods of ``kind`` lying wholly inside ``outer`` (aligned to the calendar)."""
    out: list[Span] = []
    current = period_of(outer.starts_on, kind, fiscal_start)
    if current.starts_on < outer.starts_on:
        current = span(kind, current.ends_on + timedelta(days=1), fiscal_start)
    while current.ends_on <= outer.ends_on:
        out.append(current)
        current = span(kind, current.ends_on + timedelta(days=1), fiscal_start)
    return out
