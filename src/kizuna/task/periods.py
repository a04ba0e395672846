"""Calendar periods for KAI (weeks from Monday, months, quarters). Pure: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.task.schemas import Period

MAX_PERIODS = 120


def period_start(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_start(start: date, period: Period) -> date:
    if period is Period.WEEK:
        return start + timedelta(days=7)
    months = 1 if period is Period.MONTH else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def periods(from_on: date, to_on: date, period: Period) -> list[tuple[date, date]]:
    """(first day, last day) of every period touching ``from_on``…``to_on``, oldest first."""
    if to_on < from_on:
        raise Invalid(FieldProblem(("query", "to"), "before_from", "must not be before from"))
    out: list[tuple[date, date]] = []
    start = period_start(from_on, period)
    while start <= to_on:
        following = next_start(start, period)
        out.append((start, following - timedelta(days=1)))
        if len(out) > MAX_PERIODS:
            raise Invalid(
                FieldProblem(("query", "from"), "too_long", f"at most {MAX_PERIODS} periods")
            )
        start = following
    return out


def default_range(today: date, period: Period, count: int = 6) -> tuple[date, date]:
    """The ``count`` periods up to and including the one holding ``today``."""
    start = period_start(today, period)
    for _ in range(count - 1):
        start = period_start(start - timedelta(days=1), period)
    return start, today


def utc_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days ``first``…``last`` (inclusive) in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return start, end


def local_day(moment: datetime, zone: str) -> date:
    """The calendar day of ``moment`` in ``zone`` (naive values are UTC, as SQLite gives)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date()


def index_of(day: date, spans: list[tuple[date, date]]) -> int | None:
    """Which of ``spans`` holds ``day`` (spans are consecutive), or None."""
    if not spans or day < spans[0][0] or day > spans[-1][1]:
        return None
    lo, hi = 0, len(spans) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if day > spans[mid][1]:
            lo = mid + 1
        else:
            hi = mid
    return lo
