"""Pure rules of expansion potential: weights, rounding, months, cell states."""

from __future__ import annotations

from datetime import date

from kizuna.models.potential import PotentialConfidence
from kizuna.potential import rules
from kizuna.potential.rules import CellState
from kizuna.potential.schemas import PotentialUpdate

LOW, MEDIUM, HIGH = PotentialConfidence.LOW, PotentialConfidence.MEDIUM, PotentialConfidence.HIGH


def test_confidence_stands_for_20_50_80_percent() -> None:
    assert [rules.percent(c) for c in (LOW, MEDIUM, HIGH)] == [20, 50, 80]


def test_weighted_sum_rounds_once_half_even() -> None:
    assert rules.weighted(100_000, HIGH) == 80_000
    assert rules.weighted(1, MEDIUM) == 0  # 0.5 → 0 (even)
    assert rules.weighted(3, MEDIUM) == 2  # 1.5 → 2 (even)
    # rounding each item would give 0 + 0 = 0; summing first gives exactly 1
    assert rules.weighted_sum([(1, MEDIUM), (1, MEDIUM)]) == 1
    assert rules.weighted_sum([]) == 0


def test_month_start_and_month_input() -> None:
    assert rules.month_start(date(2026, 4, 17)) == date(2026, 4, 1)
    assert PotentialUpdate.model_validate({"expected_on": "2026-04"}).expected_on == date(
        2026, 4, 1
    )


def test_cell_state() -> None:
    assert rules.cell_state(owned=True, has_potential=True) is CellState.OWNED
    assert rules.cell_state(owned=True, has_potential=False) is CellState.OWNED
    assert rules.cell_state(owned=False, has_potential=True) is CellState.POTENTIAL
    assert rules.cell_state(owned=False, has_potential=False) is CellState.NONE
