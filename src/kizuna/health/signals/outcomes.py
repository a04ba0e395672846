"""What happened after an as-of day: the labels the churn model learns and is measured on.

From each account's MRR step function (``lines.Mrr``, reporting currency):

- a **churn day** is a day t with MRR(t − 1) > 0 and MRR(t) = 0 (the day service stops:
  ``end_on`` of the last paying line);
- a **contraction day** is a day MRR falls by at least 10 % and stays above 0.

``labels`` answers, for rows (account, as_of), whether such a day falls in
``[as_of, as_of + horizon_days)`` — so a label reads only MRR on days ``as_of − 1`` …
``as_of + horizon_days − 1`` and never what the signals of the row could see.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from kizuna.health.signals.history import History, as_rows
from kizuna.health.signals.timelines import day_number_of, to_days


def customer_at(
    history: History,
    account_ids: Sequence[str] | npt.NDArray[Any],
    as_of: npt.NDArray[np.datetime64] | Sequence[date],
) -> npt.NDArray[np.bool_]:
    """True where the account was paying (MRR > 0) on the day before ``as_of``."""
    ids, as_days = as_rows(account_ids, as_of)
    accounts, days = history.rows(ids), to_days(as_days)
    with np.errstate(invalid="ignore"):
        return np.asarray(history.lines.on(accounts, days - 1) > 0, dtype=np.bool_)


def labels(
    history: History,
    account_ids: Sequence[str] | npt.NDArray[Any],
    as_of: npt.NDArray[np.datetime64] | Sequence[date],
    *,
    horizon_days: int,
    kind: Literal["churn", "downturn"],
) -> npt.NDArray[np.float64]:
    """1.0 if the account churned (``downturn``: churned or contracted by ≥ 10 %) on a day
    in ``[as_of, as_of + horizon_days)``, else 0.0; NaN where the outcome is not yet known
    (``as_of + horizon_days > history.today``) or the account was not a paying customer."""
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    if kind not in ("churn", "downturn"):
        raise ValueError(f"unknown label kind {kind!r}")
    ids, as_days = as_rows(account_ids, as_of)
    accounts, days = history.rows(ids), to_days(as_days)
    mrr = history.lines
    events = mrr.churns if kind == "churn" else mrr.downturns
    lo, hi = events.bounds(accounts, days, days + horizon_days)
    happened = (hi > lo).astype(np.float64)
    with np.errstate(invalid="ignore"):
        paying = mrr.on(accounts, days - 1) > 0
    known = days + horizon_days <= day_number_of(history.today)
    return np.where(paying & known, happened, np.nan)
