"""The validation metrics shared by the churn model and the calibration lab."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kizuna.health import evaluation


def test_auc_perfect_reversed_and_one_class() -> None:
    y = np.array([0, 0, 1, 1], dtype=float)
    assert evaluation.auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert evaluation.auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert evaluation.auc(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4])) is None


def test_auc_ignores_unknown_outcomes() -> None:
    y = np.array([0, 1, np.nan, 1, 0])
    p = np.array([0.1, 0.9, 0.0, 0.8, 0.2])
    assert evaluation.auc(y, p) == 1.0


def test_top_decile_lift_counts_the_riskiest_tenth() -> None:
    # 100 rows, 10 positives; the 10 riskiest contain 5 of them → rate 0.5 / 0.1 = 5.
    y = np.zeros(100)
    y[:5] = 1
    y[50:55] = 1
    risk = np.linspace(1.0, 0.0, 100)
    assert evaluation.top_decile_lift(y, risk) == pytest.approx(5.0)
    assert evaluation.top_decile_lift(np.zeros(100), risk) is None
    assert evaluation.top_decile_lift(y[:5], risk[:5]) is None


def test_bottom_decile_lift_uses_the_lowest_scores() -> None:
    y = np.zeros(20)
    y[:2] = 1
    score = np.arange(20, dtype=float)  # the two churners have the lowest scores
    assert evaluation.bottom_decile_lift(y, score) == pytest.approx(10.0)


def test_brier() -> None:
    assert evaluation.brier([0, 1], [0.0, 1.0]) == 0.0
    assert evaluation.brier([0, 1], [0.5, 0.5]) == pytest.approx(0.25)
    assert evaluation.brier([], []) is None


def test_rate_by_band() -> None:
    y = np.array([1, 0, 0, 1, 1, np.nan])
    bands = np.array(["red", "red", "green", "green", "red", "red"], dtype=object)
    rates = evaluation.rate_by_band(y, bands)
    assert rates["red"] == {"accounts": 3, "churned": 2, "rate": pytest.approx(2 / 3)}
    assert rates["green"] == {"accounts": 2, "churned": 1, "rate": 0.5}


def test_calibration_table_deciles() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(size=5000)
    y = (rng.uniform(size=5000) < p).astype(float)
    table = evaluation.calibration_table(y, p)
    assert len(table) == 10
    assert sum(row["rows"] for row in table) == 5000
    for row in table:
        assert abs(row["predicted"] - row["observed"]) < 0.06
    assert [row["predicted"] for row in table] == sorted(row["predicted"] for row in table)


def test_summary_and_length_mismatch() -> None:
    s = evaluation.summary([0, 1, 0, 1], [0.2, 0.7, 0.1, 0.9])
    assert s["auc"] == 1.0
    assert s["rows"] == 4
    assert s["positives"] == 2
    assert math.isclose(s["base_rate"], 0.5)
    with pytest.raises(ValueError, match="length"):
        evaluation.auc([0, 1], [0.5])
