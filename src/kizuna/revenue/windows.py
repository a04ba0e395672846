"""Calendar arithmetic of reporting windows. Pure: plain values in and out.

Dates are calendar dates (lines have dates, not times). A month's figures compare the
last day of the previous month (s) with the month's own last day (e): MRR is month-end
MRR, and a change counts in the month it takes effect (a line starting on 1 April is
April's new MRR; a line whose last day is 14 April is April's churn). Quarters are
calendar quarters.
"""

from __future__ import annotations

from datetime import date, timedelta

from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.subscription.terms import add_months

MAX_MONTHS = 240  # twenty years of monthly rows is plenty for one request


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end_before(first: date) -> date:
    """The day the month starting on ``first`` is measured from: the previous month's last
    day (its opening MRR is the previous month's closing MRR)."""
    return first - timedelta(days=1)


def month_window(first: date) -> tuple[date, date]:
    """The window [s, e) of the calendar month starting on ``first``: from the previous
    month's last day to this month's last day."""
    return month_end_before(first), month_end_before(add_months(first, 1))


def months(start_month: date, end_month: date) -> list[date]:
    """First days of every month from ``start_month``'s to ``end_month``'s, inclusive."""
    first, last = month_start(start_month), month_start(end_month)
    result = []
    while first <= last:
        result.append(first)
        first = add_months(first, 1)
    return result


def quarter_ends(on: date, quarters: int) -> list[date]:
    """Last days of the ``quarters`` calendar quarters ended before ``on``, oldest first."""
    current = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    return [add_months(current, -3 * k) - timedelta(days=1) for k in range(quarters - 1, -1, -1)]


def quarter_label(quarter_end: date) -> str:
    return f"{quarter_end.year}Q{(quarter_end.month - 1) // 3 + 1}"


def check_window(start: date, end: date, *, names: tuple[str, str] = ("from", "to")) -> None:
    """``start`` must be before ``end``; the problem names the query parameter."""
    if end <= start:
        raise Invalid(
            FieldProblem(("query", names[0]), "after_end", f"{names[0]} must be before {names[1]}")
        )


def check_months(start_month: date, end_month: date) -> None:
    if month_start(end_month) < month_start(start_month):
        raise Invalid(FieldProblem(("query", "from"), "after_end", "from must not be after to"))
    if len(months(start_month, end_month)) > MAX_MONTHS:
        raise Invalid(
            FieldProblem(("query", "to"), "too_long", f"at most {MAX_MONTHS} months at a time")
        )
