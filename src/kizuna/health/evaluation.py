"""How well a risk (or a score) separated what happened from what did not: pure metrics
shared by the churn-risk model and the scorecard calibration lab.

Every function takes plain arrays: ``y`` holds outcomes as 0/1 (NaN rows are ignored),
``risk`` the higher-is-riskier predictions. Nothing here touches the database.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]


def _known(y: npt.ArrayLike, risk: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The rows where both the outcome and the prediction are known."""
    ya = np.asarray(y, dtype=np.float64)
    ra = np.asarray(risk, dtype=np.float64)
    if ya.shape != ra.shape:
        raise ValueError(f"outcomes and predictions differ in length: {ya.shape} vs {ra.shape}")
    keep = ~(np.isnan(ya) | np.isnan(ra))
    return ya[keep], ra[keep]


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float | None:
    """Area under the ROC curve of ``p`` against ``y``; None when only one class occurs."""
    ya, pa = _known(y, p)
    if ya.size == 0 or np.unique(ya).size < 2:
        return None
    return float(roc_auc_score(ya, pa))


def top_decile_lift(y: npt.ArrayLike, risk: npt.ArrayLike) -> float | None:
    """The outcome rate among the 10 % riskiest rows ÷ the overall rate (1.0 = no better
    than chance). Ties at the cut are broken by row order, deterministically. None when
    there are fewer than 10 rows or no positive outcome at all."""
    ya, ra = _known(y, risk)
    if ya.size < 10:
        return None
    overall = float(ya.mean())
    if overall == 0.0:
        return None
    top = max(1, round(ya.size * 0.1))
    order = np.argsort(-ra, kind="stable")[:top]
    return float(ya[order].mean()) / overall


def bottom_decile_lift(y: npt.ArrayLike, score: npt.ArrayLike) -> float | None:
    """For a health score (higher is healthier): the rate among the lowest-scored 10 % ÷
    the overall rate."""
    return top_decile_lift(y, -np.asarray(score, dtype=np.float64))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float | None:
    """Mean squared error of the probabilities (0 is perfect; 0.25 is a coin flip)."""
    ya, pa = _known(y, p)
    if ya.size == 0:
        return None
    return float(np.mean((pa - ya) ** 2))


def rate_by_band(y: npt.ArrayLike, bands: npt.ArrayLike) -> dict[str, dict[str, Any]]:
    """Per band label: how many rows, how many had the outcome, and the rate (rows with an
    unknown outcome are left out)."""
    ya = np.asarray(y, dtype=np.float64)
    ba = np.asarray(bands, dtype=object)
    if ya.shape != ba.shape:
        raise ValueError(f"outcomes and bands differ in length: {ya.shape} vs {ba.shape}")
    keep = ~np.isnan(ya)
    ya, ba = ya[keep], ba[keep]
    result: dict[str, dict[str, Any]] = {}
    for band in sorted({str(b) for b in ba}):
        mask = ba == band
        accounts = int(mask.sum())
        churned = int(ya[mask].sum())
        result[band] = {
            "accounts": accounts,
            "churned": churned,
            "rate": churned / accounts if accounts else 0.0,
        }
    return result


def calibration_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[dict[str, Any]]:
    """Rows sorted by predicted probability and cut into ``bins`` equal-count groups
    (deciles by default): each group's mean prediction against its observed rate. A
    calibrated model has the two close in every group."""
    ya, pa = _known(y, p)
    if ya.size == 0:
        return []
    order = np.argsort(pa, kind="stable")
    table: list[dict[str, Any]] = []
    for number, chunk in enumerate(np.array_split(order, min(bins, ya.size)), start=1):
        table.append(
            {
                "bin": number,
                "rows": int(chunk.size),
                "predicted": float(pa[chunk].mean()),
                "observed": float(ya[chunk].mean()),
            }
        )
    return table


def summary(y: npt.ArrayLike, p: npt.ArrayLike) -> dict[str, Any]:
    """The headline numbers of a validation: AUC, top-decile lift, Brier, calibration."""
    ya, pa = _known(y, p)
    return {
        "auc": auc(ya, pa),
        "top_decile_lift": top_decile_lift(ya, pa),
        "brier": brier(ya, pa),
        "rows": int(ya.size),
        "positives": int(ya.sum()),
        "base_rate": float(ya.mean()) if ya.size else None,
        "calibration": calibration_table(ya, pa),
    }
