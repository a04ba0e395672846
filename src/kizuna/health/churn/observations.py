"""Observation rows of the churn model: one per paying account per weekly as-of Monday.

The first as-of date has at least 26 weeks of history behind it (the company's first
subscription start), so every feature has had time to mean something. A row's label says
whether the account churned in ``[as_of, as_of + horizon)``; it is NaN while that window
is not over, and such rows are never trained or validated on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.health.churn import features as feature_matrix
from kizuna.health.churn.train import Dataset
from kizuna.health.signals import outcomes
from kizuna.health.signals.history import History
from kizuna.models.subscription import Subscription

WARMUP_WEEKS = 26


def first_day(session: Session) -> date | None:
    """The day the company's history begins: its first subscription start."""
    first: date | None = session.scalar(select(func.min(Subscription.start_on)))
    return first


def observation_dates(first: date | None, last: date) -> list[date]:
    """Mondays from ``first`` + 26 weeks (the first Monday on or after it) to ``last``."""
    if first is None:
        return []
    start = first + timedelta(weeks=WARMUP_WEEKS)
    start += timedelta(days=(7 - start.weekday()) % 7)
    count = (last - start).days // 7 + 1
    return [start + timedelta(weeks=i) for i in range(max(0, count))]


def build(
    history: History,
    dates: Sequence[date],
    features: Sequence[str],
    *,
    horizon_days: int,
    present: Sequence[str] | None = None,
) -> tuple[Dataset, npt.NDArray[np.object_]]:
    """The dataset of every (customer account, date) and the rows' account ids."""
    ids = np.asarray(history.account_ids, dtype=object)
    days = np.asarray(dates, dtype="datetime64[D]")
    row_ids = np.tile(ids, len(days))
    row_days = np.repeat(days, len(ids))
    if row_ids.size:
        paying = np.asarray(outcomes.customer_at(history, row_ids, row_days), dtype=bool)
        row_ids, row_days = row_ids[paying], row_days[paying]
    if row_ids.size:
        y = np.asarray(
            outcomes.labels(history, row_ids, row_days, horizon_days=horizon_days, kind="churn"),
            dtype=np.float64,
        )
    else:
        y = np.empty(0)
    x = feature_matrix.matrix(history, row_ids, row_days, features, present)
    return Dataset(x, y, row_days, list(features), row_ids), row_ids
