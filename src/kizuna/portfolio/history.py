"""MRR history of one account for the Account 360 chart. Pure: plain values in and out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LineSpan:
    start_on: date
    end_on: date | None
    mrr_amount: int


def month_starts(end: date, months: int) -> list[date]:
    """The first day of each of the ``months`` months ending with ``end``'s month."""
    year, month = end.year, end.month
    result = []
    for _ in range(months):
        result.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return result[::-1]


def mrr_on(lines: Iterable[LineSpan], day: date) -> int:
    """MRR on ``day``: lines with start ≤ day < end (no end = open)."""
    return sum(
        line.mrr_amount
        for line in lines
        if line.start_on <= day and (line.end_on is None or day < line.end_on)
    )


def monthly_mrr(lines: list[LineSpan], end: date, months: int = 24) -> list[tuple[date, int]]:
    """MRR at the start of each month, and today's MRR as the last point."""
    points = [(m, mrr_on(lines, m)) for m in month_starts(end, months)]
    if points and points[-1][0] != end:
        points.append((end, mrr_on(lines, end)))
    return points
