"""Pure rules of expansion potential: confidence weights, months, matrix cell states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from kizuna.models.potential import CONFIDENCE_PERCENT, PotentialConfidence


class CellState(StrEnum):
    """What the white-space matrix shows for one account × product."""

    OWNED = "owned"  # an active subscription line of the product today
    POTENTIAL = "potential"  # not owned, potential recorded
    NONE = "none"  # neither: white space nobody has looked at


def percent(confidence: PotentialConfidence) -> int:
    """The per-cent a confidence level stands for (low 20, medium 50, high 80)."""
    return CONFIDENCE_PERCENT[confidence]


def from_percent_units(units: int) -> int:
    """Σ (amount × per-cent) back to minor units: divided by 100 once, rounded half-even."""
    quotient, remainder = divmod(units, 100)
    if remainder > 50 or (remainder == 50 and quotient % 2 == 1):
        quotient += 1
    return quotient


def weighted_sum(items: Iterable[tuple[int, PotentialConfidence]]) -> int:
    """Σ amount × weight, in minor units, rounded half-even once at the end (exact)."""
    return from_percent_units(sum(amount * percent(conf) for amount, conf in items))


def weighted(amount: int, confidence: PotentialConfidence) -> int:
    return weighted_sum([(amount, confidence)])


def month_start(day: date) -> date:
    """The first day of ``day``'s month: expected timing is stored as a month."""
    return day.replace(day=1)


def cell_state(*, owned: bool, has_potential: bool) -> CellState:
    """Owned wins (a potential on an owned product is an upsell of more seats/volume, shown
    inside the owned cell); otherwise potential; otherwise none."""
    if owned:
        return CellState.OWNED
    return CellState.POTENTIAL if has_potential else CellState.NONE
