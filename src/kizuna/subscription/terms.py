"""Contract-term arithmetic. Pure: no database, unit-tested on plain values.

A line is active on ``d`` when ``start_on ≤ d < end_on`` (no end = open-ended); the end
date is exclusive, the day the line stops counting (docs/metrics.md uses the same rule).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

BILLING_PERIODS = (1, 3, 6, 12, 24, 36)


def is_active_on(start_on: date, end_on: date | None, d: date) -> bool:
    """True when ``start_on ≤ d < end_on`` (``end_on`` None means open-ended)."""
    return start_on <= d and (end_on is None or d < end_on)


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, the day clamped to the month's length.

    Jan 31 + 1 month is Feb 28 (29 in leap years); Feb 29 + 12 months is Feb 28.
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def renewal_date(start_on: date, end_on: date | None, term_months: int, today: date) -> date:
    """The date the line next renews.

    ``end_on`` when the line has one. For an open-ended line, the first anniversary
    ``start_on + k·term_months`` (k ≥ 1) strictly after ``today``. Each anniversary is
    counted from ``start_on`` itself, so a line started on the 31st does not drift to the
    28th after passing through February.
    """
    if end_on is not None:
        return end_on
    if term_months < 1:
        raise ValueError("term_months must be at least 1")
    elapsed = (today.year - start_on.year) * 12 + (today.month - start_on.month)
    k = max(1, elapsed // term_months)
    while k > 1 and add_months(start_on, (k - 1) * term_months) > today:
        k -= 1
    while add_months(start_on, k * term_months) <= today:
        k += 1
    return add_months(start_on, k * term_months)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_equivalent(amount_per_period: int, billing_period_months: int) -> int:
    """An amount billed every ``billing_period_months`` as a monthly amount (half-up)."""
    if billing_period_months < 1:
        raise ValueError("billing_period_months must be at least 1")
    return _half_up(Decimal(amount_per_period) / Decimal(billing_period_months))


def mrr_from_list_price(
    unit_list_price_amount: int,
    quantity: int,
    discount_percent: Decimal,
    billing_period_months: int = 1,
) -> int:
    """MRR of ``quantity`` units at a list price per billing period, net of the discount.

    Rounded once, half up, at the end (so no rounding error accumulates per unit).
    """
    if quantity < 0 or unit_list_price_amount < 0:
        raise ValueError("price and quantity must not be negative")
    if not Decimal(0) <= discount_percent <= Decimal(100):
        raise ValueError("discount_percent must be between 0 and 100")
    if billing_period_months < 1:
        raise ValueError("billing_period_months must be at least 1")
    net = (
        Decimal(unit_list_price_amount)
        * quantity
        * (Decimal(100) - discount_percent)
        / Decimal(100)
        / Decimal(billing_period_months)
    )
    return _half_up(net)
