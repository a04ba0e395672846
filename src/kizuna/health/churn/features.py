"""Which signals the churn model reads, and the feature matrix for rows of (account, day).

The list is fixed (no feature selection on the validation period): every back-testable
built-in signal plus a few usage metrics when the catalogue has them. Values come from
``signals.history.signal_frame``, which uses only data dated before each row's as-of day.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from kizuna.health.signals import catalogue
from kizuna.health.signals.history import History, signal_frame
from kizuna.kit.errors import Invalid

FloatArray = npt.NDArray[np.float64]

USAGE_FEATURES = (
    "usage:active_users:week",
    "usage:events:week",
    "usage:feature_breadth:month",
    "usage:days_since_last:day",
    "usage:seat_utilisation:month",
    "usage:events_change:week",
)


def feature_keys(session: Session) -> list[str]:
    """The model's features in a fixed order: back-testable built-ins, then usage."""
    available = {spec.key: spec for spec in catalogue.available_signals(session)}
    keys = [key for key, spec in catalogue.BUILTIN_SIGNALS.items() if spec.backtestable]
    keys += [k for k in USAGE_FEATURES if k in available and available[k].backtestable]
    return keys


def readable(session: Session, features: Sequence[str]) -> list[str]:
    """The subset of a stored model's features that still resolve (a usage metric may have
    been deleted since training: its column is then missing, which the model handles)."""
    available = {spec.key for spec in catalogue.available_signals(session)}
    return [key for key in features if key in available]


def matrix(
    history: History,
    account_ids: npt.NDArray[np.object_],
    as_of: npt.NDArray[np.datetime64],
    features: Sequence[str],
    present: Sequence[str] | None = None,
) -> FloatArray:
    """Rows × features; a feature not in ``present`` (default: all) is all NaN."""
    present = list(features) if present is None else [k for k in present if k in features]
    x = np.full((len(account_ids), len(features)), np.nan)
    if len(account_ids) == 0 or not present:
        return x
    frame = signal_frame(history, account_ids, as_of, present)
    for col, key in enumerate(features):
        if key in frame.values:
            x[:, col] = frame.values[key]
    return x


def names(session: Session, features: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """Japanese name, English name and unit of each feature (the key and "" when the
    signal no longer resolves, e.g. a usage metric deleted since training)."""
    result: dict[str, tuple[str, str, str]] = {}
    for key in features:
        try:
            spec = catalogue.resolve_signal(session, key)
        except Invalid:
            result[key] = (key, key, "")
            continue
        result[key] = (spec.name, spec.name_en or spec.name, spec.unit.value)
    return result
