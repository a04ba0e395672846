"""Input checks and exact rounding shared by the planning calculators. Pure: no database.

Rates are Decimal ratios (0.02 = 2 %); money is integer minor units. Each check raises
``Invalid`` naming the field, with a code the pages translate into a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from kizuna.kit.errors import Invalid
from kizuna.kit.money import MAX_AMOUNT

ZERO = Decimal(0)
ONE = Decimal(1)
RATIO_STEP = Decimal("0.0001")  # ratios are reported to 4 places (12.34 %, 6.5000×)
MONTHS_STEP = Decimal("0.1")
MAX_HORIZON_MONTHS = 120
# Payback is searched month by month; a stream that needs longer than this never pays back
# in any sense a plan cares about (and LTV = cost would otherwise never end the search).
MAX_PAYBACK_MONTHS = 1200

# Codes of the checks below (the pages map each to a sentence in the reader's language).
CHURN_RANGE = "churn_range"  # 0 < churn <= 100 %
RATE_RANGE = "rate_range"  # 0 <= rate <= 100 %
MARGIN_RANGE = "margin_range"  # 0 < margin <= 100 %
EXPANSION_RANGE = "expansion_range"  # 0 <= expansion <= 1000 %
AMOUNT_RANGE = "amount_range"  # 0 <= amount <= MAX_AMOUNT
POSITIVE_AMOUNT = "positive_amount"  # 0 < amount <= MAX_AMOUNT
PEOPLE_RANGE = "people_range"  # 0 < people <= 10,000
MONTHS_RANGE = "months_range"  # 1 <= months <= MAX_HORIZON_MONTHS
CHURN_ORDER = "churn_order"  # churn with CS must not exceed churn without
YEARS_RANGE = "years_range"  # 1 to 30 years of new revenue


def check_all(*checks: Callable[[], object]) -> None:
    """Run every check and raise one Invalid naming every bad field (not just the first)."""
    problems = []
    for check in checks:
        try:
            check()
        except Invalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise Invalid(problems)


def monthly_churn(name: str, value: Decimal) -> Decimal:
    """A monthly churn rate: more than 0 % (LTV divides by it) and at most 100 %."""
    if not ZERO < value <= ONE:
        raise Invalid.field(name, f"{name} must be more than 0 and at most 1 (100 %)", CHURN_RANGE)
    return value


def rate(name: str, value: Decimal) -> Decimal:
    """A rate from 0 % to 100 % inclusive (annual churn in the impact model)."""
    if not ZERO <= value <= ONE:
        raise Invalid.field(name, f"{name} must be from 0 to 1 (0-100 %)", RATE_RANGE)
    return value


def margin(name: str, value: Decimal) -> Decimal:
    """A gross margin: more than 0 % (payback divides by it) and at most 100 %."""
    if not ZERO < value <= ONE:
        raise Invalid.field(name, f"{name} must be more than 0 and at most 1 (100 %)", MARGIN_RANGE)
    return value


def expansion(name: str, value: Decimal) -> Decimal:
    """An expansion rate per year: 0 % up to 1,000 %."""
    if not ZERO <= value <= 10:
        raise Invalid.field(name, f"{name} must be from 0 to 10 (0-1,000 %)", EXPANSION_RANGE)
    return value


def amount(name: str, value: int, *, positive: bool = False) -> int:
    """Minor units: zero or more (more than zero when ``positive``), below MAX_AMOUNT."""
    low_ok = value > 0 if positive else value >= 0
    if not low_ok or value > MAX_AMOUNT:
        floor, code = ("more than 0", POSITIVE_AMOUNT) if positive else ("0 or more", AMOUNT_RANGE)
        raise Invalid.field(name, f"{name} must be {floor} and at most {MAX_AMOUNT:,}", code)
    return value


def people(name: str, value: Decimal) -> Decimal:
    """Head count, fractions allowed (a pilot often runs on 0.5 of a person)."""
    if not ZERO < value <= 10_000:
        raise Invalid.field(name, f"{name} must be more than 0 and at most 10,000", PEOPLE_RANGE)
    return value


def months(name: str, value: int) -> int:
    if not 1 <= value <= MAX_HORIZON_MONTHS:
        raise Invalid.field(
            name, f"{name} must be from 1 to {MAX_HORIZON_MONTHS} months", MONTHS_RANGE
        )
    return value


def to_minor(value: Decimal) -> int:
    """An exact amount rounded once, half-even, to whole minor units."""
    return int(value.quantize(ONE, rounding=ROUND_HALF_EVEN))


def ratio(value: Decimal) -> Decimal:
    return value.quantize(RATIO_STEP, rounding=ROUND_HALF_EVEN)


def ratio_or_none(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator`` to 4 places; an empty denominator gives None ("—")."""
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return ratio(numerator / denominator)


def month_count(value: Decimal) -> Decimal:
    return value.quantize(MONTHS_STEP, rounding=ROUND_HALF_EVEN)


def payback_month(monthly: Decimal, retention: Decimal, target: Decimal) -> int | None:
    """The first month in which a decaying monthly stream has paid back ``target``.

    Month 1 brings ``monthly``, month k brings ``monthly × retention^(k-1)``. None when the
    stream never reaches ``target`` within MAX_PAYBACK_MONTHS (its whole value, monthly ÷
    (1 - retention), may be below or equal to the target).
    """
    if target <= 0:
        return 0
    total, flow = ZERO, monthly
    with localcontext() as ctx:
        ctx.prec = 50
        if retention == 0:  # everything churns after the first month
            return 1 if monthly >= target else None
        if retention < 1 and monthly / (1 - retention) <= target:
            return None  # the limit of the sum, reached only after infinitely many months
        for month in range(1, MAX_PAYBACK_MONTHS + 1):
            total += flow
            if total >= target:
                return month
            flow *= retention
            if flow == 0:
                return None
    return None
