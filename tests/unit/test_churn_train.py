"""Training and validating the churn model on synthetic arrays."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.health.churn import train


def _synthetic(seed: int = 3, accounts: int = 400, weeks: int = 70) -> train.Dataset:
    """Risk depends on feature 0 (low usage churns); feature 1 is noise."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    as_of = np.repeat(start + np.arange(weeks) * 7, accounts)
    usage = rng.uniform(0, 1, size=as_of.size)
    noise = rng.normal(size=as_of.size)
    usage[rng.uniform(size=as_of.size) < 0.1] = np.nan  # LightGBM takes missing values
    p = np.where(np.isnan(usage), 0.1, 0.4 * (1 - np.nan_to_num(usage)) ** 3)
    y = (rng.uniform(size=as_of.size) < p).astype(float)
    # Outcomes of the last 13 weeks are not known yet.
    y[as_of > start + np.timedelta64((weeks - 13) * 7, "D")] = np.nan
    return train.Dataset(np.column_stack([usage, noise]), y, as_of, ["usage", "noise"])


def test_learns_a_feature_that_drives_risk() -> None:
    result = train.validate(_synthetic(), train.Recipe(horizon_days=90))
    assert result.metrics["auc"] > 0.75
    assert result.metrics["top_decile_lift"] > 2.0
    assert result.metrics["brier"] < 0.2
    importance = result.fitted.importance()
    assert importance["usage"] > importance["noise"]


def test_split_leaves_a_horizon_gap_before_the_heldout_period() -> None:
    result = train.validate(_synthetic(), train.Recipe(horizon_days=90))
    periods = result.metrics["periods"]
    gap = np.datetime64(periods["heldout_from"]) - np.datetime64(periods["train_to"])
    assert gap >= np.timedelta64(90, "D")
    calib = result.fitted.info
    assert calib["calibration_rows"] > 0
    assert result.fitted.platt is not None
    assert result.fitted.platt[0] > 0


def test_training_is_deterministic() -> None:
    a = train.validate(_synthetic(), train.Recipe())
    b = train.validate(_synthetic(), train.Recipe())
    assert a.fitted.model_text() == b.fitted.model_text()
    assert a.metrics["auc"] == b.metrics["auc"]


def test_model_round_trips_through_text() -> None:
    data = _synthetic()
    fitted = train.fit(data, train.Recipe())
    loaded = train.Fitted.load(fitted.model_text(), data.features, fitted.calibration())
    np.testing.assert_array_equal(loaded.predict(data.x[:50]), fitted.predict(data.x[:50]))
    probs = loaded.predict(data.x)
    assert probs.min() >= 0.0
    assert probs.max() <= 1.0


def test_reasons_name_the_feature_that_raises_risk() -> None:
    data = _synthetic()
    fitted = train.fit(data, train.Recipe())
    x = np.array([[0.01, 0.0], [0.99, 0.0]])
    reasons = train.top_reasons(fitted, x)
    assert reasons[0][0][0] == "usage"
    assert reasons[0][0][1] == pytest.approx(0.01)
    assert reasons[0][0][2] > 0
    assert all(r[0] != "usage" for r in reasons[1])  # high usage lowers the risk


def test_refuses_with_too_few_dates() -> None:
    data = _synthetic(weeks=30)  # 18 weeks with known outcomes
    with pytest.raises(train.Refusal) as caught:
        train.validate(data, train.Recipe())
    assert caught.value.code == "too_few_dates"
    assert caught.value.params == {"dates": 18, "needed": 26}


def test_refuses_with_too_few_churners() -> None:
    data = _synthetic(accounts=4)
    with pytest.raises(train.Refusal) as caught:
        train.validate(data, train.Recipe())
    assert caught.value.code == "too_few_train_positives"
    assert caught.value.params["needed"] == 30


def test_refuses_a_model_that_learned_nothing() -> None:
    rng = np.random.default_rng(5)
    data = _synthetic()
    y = np.where(np.isnan(data.y), np.nan, (rng.uniform(size=data.y.size) < 0.08).astype(float))
    noise = train.Dataset(data.x, y, data.as_of, data.features)
    with pytest.raises(train.Refusal) as caught:
        train.validate(noise, train.Recipe())
    assert caught.value.code == "weak_model"
    assert caught.value.params["auc"] < 0.55
