"""Kinds derived from other metrics' values of the same grain: ratio, % change, per seat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kizuna.analytics.grid import Frame, divide
from kizuna.analytics.metrics import Param, metric_kind


@metric_kind(
    "ratio",
    reads="series",
    fill=None,
    params={
        "numerator": Param("metric", required=True),
        "denominator": Param("metric", required=True),
    },
)
def ratio(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Ratio of two metrics per account and period; null when the denominator is 0."""
    return divide(frame.series(str(params["numerator"])), frame.series(str(params["denominator"])))


@metric_kind(
    "pct_change",
    reads="series",
    fill=None,
    params={
        "metric": Param("metric", required=True),
        "periods": Param("int", default=1, minimum=1),
    },
)
def pct_change(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """% change of a metric against ``periods`` periods earlier (100 = doubled); null when
    the earlier value is missing or 0."""
    values = frame.series(str(params["metric"]))
    lag = int(params["periods"])
    before = np.full(values.shape, np.nan)
    if lag < values.shape[1]:
        before[:, lag:] = values[:, :-lag]
    return divide((values - before) * 100.0, before)


@metric_kind(
    "per_seat",
    reads="series",
    fill=None,
    params={"metric": Param("metric", required=True)},
)
def per_seat(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """A metric (typically active users) divided by the licensed seats on the period's
    last day (today for the current one); null without seats."""
    return divide(frame.series(str(params["metric"])), frame.seats())
