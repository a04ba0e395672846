"""Contract-term arithmetic on plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kizuna.subscription.terms import (
    add_months,
    is_active_on,
    monthly_equivalent,
    mrr_from_list_price,
    renewal_date,
)


@pytest.mark.parametrize(
    ("start", "end", "day", "active"),
    [
        (date(2024, 1, 1), None, date(2024, 1, 1), True),
        (date(2024, 1, 1), None, date(2023, 12, 31), False),
        (date(2024, 1, 1), date(2024, 2, 1), date(2024, 1, 31), True),
        (date(2024, 1, 1), date(2024, 2, 1), date(2024, 2, 1), False),  # end is exclusive
        (date(2024, 1, 1), None, date(2099, 1, 1), True),
    ],
)
def test_is_active_on(start: date, end: date | None, day: date, active: bool) -> None:
    assert is_active_on(start, end, day) is active


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year clamp
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_length(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


def test_renewal_is_the_end_date_when_set() -> None:
    assert renewal_date(date(2024, 1, 1), date(2025, 1, 1), 12, date(2030, 1, 1)) == date(
        2025, 1, 1
    )


@pytest.mark.parametrize(
    ("start", "term", "today", "expected"),
    [
        (date(2024, 4, 1), 12, date(2024, 6, 1), date(2025, 4, 1)),
        (date(2024, 4, 1), 12, date(2025, 3, 31), date(2025, 4, 1)),
        (date(2024, 4, 1), 12, date(2025, 4, 1), date(2026, 4, 1)),  # strictly after today
        (date(2022, 4, 1), 12, date(2025, 6, 1), date(2026, 4, 1)),
        (date(2024, 1, 31), 1, date(2024, 3, 5), date(2024, 3, 31)),  # no drift via Feb 29
        (date(2024, 2, 29), 12, date(2024, 12, 1), date(2025, 2, 28)),
        (date(2024, 8, 20), 6, date(2024, 1, 1), date(2025, 2, 20)),  # not yet started
        (date(2020, 5, 15), 3, date(2024, 5, 14), date(2024, 5, 15)),
        (date(2020, 5, 15), 3, date(2024, 5, 15), date(2024, 8, 15)),
    ],
)
def test_renewal_of_open_ended_line_is_next_anniversary(
    start: date, term: int, today: date, expected: date
) -> None:
    assert renewal_date(start, None, term, today) == expected


def test_renewal_needs_a_positive_term() -> None:
    with pytest.raises(ValueError, match="term_months"):
        renewal_date(date(2024, 1, 1), None, 0, date(2024, 6, 1))


@pytest.mark.parametrize(
    ("price", "qty", "discount", "period", "expected"),
    [
        (1000, 10, Decimal(0), 1, 10_000),
        (1000, 10, Decimal("15"), 1, 8_500),
        (120_000, 1, Decimal(0), 12, 10_000),  # annual billing → monthly equivalent
        (1000, 1, Decimal(0), 3, 333),  # 333.33 rounds down
        (500, 1, Decimal(0), 3, 167),  # 166.67 rounds up
        (250, 1, Decimal(0), 100, 3),  # 2.5 → 3 (half up, not banker's)
        (999, 3, Decimal("33.33"), 1, 1998),  # 1998.0009 → rounded once at the end
        (1000, 0, Decimal(0), 1, 0),
        (1000, 5, Decimal(100), 1, 0),
    ],
)
def test_mrr_from_list_price(
    price: int, qty: int, discount: Decimal, period: int, expected: int
) -> None:
    assert mrr_from_list_price(price, qty, discount, period) == expected


@pytest.mark.parametrize(
    ("price", "qty", "discount", "period"),
    [
        (-1, 1, Decimal(0), 1),
        (1, -1, Decimal(0), 1),
        (1, 1, Decimal(101), 1),
        (1, 1, Decimal(0), 0),
    ],
)
def test_mrr_from_list_price_rejects_nonsense(
    price: int, qty: int, discount: Decimal, period: int
) -> None:
    with pytest.raises(ValueError, match="must"):
        mrr_from_list_price(price, qty, discount, period)


@pytest.mark.parametrize(
    ("amount", "period", "expected"),
    [(1200, 12, 100), (1000, 3, 333), (1001, 2, 501), (0, 6, 0), (500, 1, 500)],
)
def test_monthly_equivalent(amount: int, period: int, expected: int) -> None:
    assert monthly_equivalent(amount, period) == expected
    assert isinstance(monthly_equivalent(amount, period), int)


def test_monthly_equivalent_rejects_zero_period() -> None:
    with pytest.raises(ValueError, match="billing_period_months"):
        monthly_equivalent(100, 0)
