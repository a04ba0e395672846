"""Kinds computed from the roll-up and the actors' activity: counts, sums, active users
and days, breadth, recency, tenure-scaled rates. Each returns accounts × periods of
``frame.grain`` (see ``grid.Frame``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kizuna.analytics.grid import Frame, Names, as_filter, divide
from kizuna.analytics.metrics import Param, metric_kind

_EVENTS = Param("list")  # event names to count; none = every event


def _names(params: Mapping[str, Any]) -> Names:
    return as_filter(params.get("events"))


@metric_kind("count", reads="daily", fill=0.0, params={"events": _EVENTS})
def count(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Event count: the number of events (of the named ones, or all) per account and period."""
    return frame.total(frame.counts(_names(params)))


@metric_kind(
    "sum",
    reads="daily",
    fill=0.0,
    params={"property": Param("str", required=True), "events": _EVENTS},
)
def sum_property(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Sum of a numeric event property per account and period (non-numbers count as 0)."""
    return frame.total(frame.sums(str(params["property"]), _names(params)))


@metric_kind("active_users", reads="actors", fill=0.0, params={"events": _EVENTS})
def active_users(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Distinct active users (user id, else anonymous id) per account and period."""
    return frame.active_users(_names(params))


@metric_kind("active_days", reads="daily", fill=0.0, params={"events": _EVENTS})
def active_days(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Days with at least one (named) event per account and period."""
    return frame.total(frame.counts(_names(params)) > 0)


@metric_kind("feature_breadth", reads="daily", fill=0.0, params={"events": _EVENTS})
def feature_breadth(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Feature breadth: distinct event names used per account and period."""
    return frame.breadth(_names(params))


@metric_kind("days_since_last", reads="daily", fill=None, params={"events": _EVENTS})
def days_since_last(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Days from the last (named) event to the period's end (today for the current
    period); 0 when there was one that day, null before the account's first event."""
    active = frame.counts(_names(params)) > 0
    days = np.arange(active.shape[1])
    last = np.maximum.accumulate(np.where(active, days, -1), axis=1)
    at_end = frame.at_ends(last).astype(np.float64)
    return np.where(at_end >= 0, frame.ends - at_end, np.nan)


@metric_kind(
    "tenure_scaled",
    reads="daily",
    fill=None,
    params={"events": _EVENTS, "window_days": Param("int", default=30, minimum=1)},
)
def tenure_scaled(frame: Frame, params: Mapping[str, Any]) -> np.ndarray:
    """Tenure-scaled rate: (named) events in the ``window_days`` up to the period's end,
    scaled to a full window for accounts younger than it — count × window ÷ min(window,
    days since the account started). Null before the account started."""
    window = int(params["window_days"])
    per_day = frame.counts(_names(params))
    running = np.zeros((per_day.shape[0], per_day.shape[1] + 1))
    np.cumsum(per_day, axis=1, out=running[:, 1:])
    ends = frame.ends
    events = running[:, ends + 1] - running[:, np.maximum(ends + 1 - window, 0)]
    tenure = ends[None, :] - frame.started()[:, None] + 1
    days = np.where(tenure > 0, np.minimum(tenure, window), np.nan)
    return divide(events * window, days)
