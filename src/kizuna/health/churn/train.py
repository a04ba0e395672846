"""Fitting and validating the churn-risk model on plain arrays (no database).

The recipe, in time order and with no look-ahead anywhere:

* **Held-out validation.** The held-out period is the last ~20 % of observation dates whose
  labels are known. The model validated on it is fitted only on rows whose label window
  ends before the held-out period starts (``as_of + horizon <= held-out start``): an
  outcome that happens inside the held-out period can never teach the model.
* **Calibration.** Within the rows a model may learn from, the latest ~20 % of dates form a
  calibration slice; the booster is fitted on rows whose label window ends before that slice
  begins (the same gap), and Platt scaling — a logistic regression on the log-odds of the raw
  output — maps it to a probability on the slice. Two parameters, stored as ``a``/``b``:
  with a few dozen churned accounts in a slice an isotonic curve collapses into a few flat
  steps (every account at the same 10 %), while Platt keeps the ranking intact.
* **Storage.** The booster is kept as LightGBM's own text format (``model_to_string``),
  never pickled; parameters are deterministic (seed, one fixed thread count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from kizuna.health import evaluation

FloatArray = npt.NDArray[np.float64]
DayArray = npt.NDArray[np.datetime64]

MIN_DATES = 26  # weekly observation dates with a known outcome
MIN_TRAIN_POSITIVES = 30  # churned accounts among all labelled observations
MIN_HELDOUT_POSITIVES = 10  # churned accounts in the held-out period
MIN_AUC = 0.55
MIN_CALIBRATION_POSITIVES = 5  # fewer: the raw booster output is used as it is


@dataclass(frozen=True)
class Recipe:
    """The model's hyper-parameters: modest, deterministic, fixed (no tuning on the
    held-out period, which would leak it). No row or feature subsampling: the fit then
    depends on the data, not on the order of its rows (account ids are random UUIDs)."""

    horizon_days: int = 90
    rounds: int = 200
    leaves: int = 15
    min_data_in_leaf: int = 40
    learning_rate: float = 0.05
    seed: int = 20260401
    holdout_share: float = 0.2
    calibration_share: float = 0.2

    def params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "lambda_l2": 1.0,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": 2,
            "verbosity": -1,
        }


class Refusal(Exception):
    """The data cannot support a trustworthy model: ``code`` and numbers say why."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class Dataset:
    """Observation rows: features ``x`` (rows × features, NaN = missing), label ``y``
    (1 churned within the horizon, 0 not, NaN not yet known), each row's as-of day and
    account (one account churning is seen on several weekly rows: the refusal rules count
    accounts, not rows)."""

    x: FloatArray
    y: FloatArray
    as_of: DayArray
    features: list[str]
    accounts: npt.NDArray[np.object_] | None = None

    def __post_init__(self) -> None:
        n = self.y.shape[0]
        if self.x.shape != (n, len(self.features)) or self.as_of.shape != (n,):
            raise ValueError("x, y, as_of and features do not agree in shape")
        if self.accounts is not None and self.accounts.shape != (n,):
            raise ValueError("accounts and y do not agree in shape")

    def take(self, mask: npt.NDArray[np.bool_]) -> Dataset:
        accounts = self.accounts[mask] if self.accounts is not None else None
        return Dataset(self.x[mask], self.y[mask], self.as_of[mask], self.features, accounts)

    def labelled(self) -> Dataset:
        return self.take(~np.isnan(self.y))

    def dates(self) -> DayArray:
        return np.unique(self.as_of)

    @property
    def positives(self) -> int:
        """Rows labelled 1."""
        return int(np.nansum(self.y))

    @property
    def churned(self) -> int:
        """Distinct accounts with a row labelled 1 (rows when accounts are not known)."""
        if self.accounts is None:
            return self.positives
        return len(set(self.accounts[self.y == 1.0].tolist()))


@dataclass
class Fitted:
    """A fitted booster and its Platt calibration ``p = σ(a · logit(raw) + b)``."""

    booster: lgb.Booster
    features: list[str]
    platt: tuple[float, float] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def raw(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.booster.predict(x), dtype=np.float64)

    def predict(self, x: FloatArray) -> FloatArray:
        """Calibrated probabilities (the raw booster output when there is no curve)."""
        raw = self.raw(x)
        if self.platt is None:
            return raw
        a, b = self.platt
        return np.asarray(1.0 / (1.0 + np.exp(-(a * _logit(raw) + b))), dtype=np.float64)

    def contributions(self, x: FloatArray) -> FloatArray:
        """TreeSHAP contributions per feature (log-odds), without the bias column."""
        contrib = np.asarray(self.booster.predict(x, pred_contrib=True), dtype=np.float64)
        return contrib[:, : len(self.features)]

    def importance(self) -> dict[str, float]:
        gains = self.booster.feature_importance(importance_type="gain")
        return {name: float(g) for name, g in zip(self.features, gains, strict=True)}

    def model_text(self) -> str:
        return str(self.booster.model_to_string())

    def calibration(self) -> dict[str, Any]:
        if self.platt is None:
            return {"method": "none", **self.info}
        return {"method": "platt", "a": self.platt[0], "b": self.platt[1], **self.info}

    @classmethod
    def load(cls, text: str, features: list[str], calibration: dict[str, Any]) -> Fitted:
        booster = lgb.Booster(model_str=text)
        platt = None
        if calibration.get("method") == "platt":
            platt = (float(calibration["a"]), float(calibration["b"]))
        return cls(booster, list(features), platt)


def _window_ends_before(as_of: DayArray, start: np.datetime64, horizon: int) -> Any:
    """Rows whose label window ``[as_of, as_of + horizon)`` ends on or before ``start``."""
    return as_of + np.timedelta64(horizon, "D") <= start


def _cut(dates: DayArray, share: float) -> np.datetime64:
    """The first date of the latest ``share`` of ``dates`` (at least one date)."""
    index = min(len(dates) - 1, max(1, int(np.floor(len(dates) * (1.0 - share)))))
    cut: np.datetime64 = dates[index]
    return cut


def fit(data: Dataset, recipe: Recipe) -> Fitted:
    """Fit the booster and its calibration on labelled ``data`` (see the module doc)."""
    data = data.labelled()
    if data.y.size == 0:
        raise Refusal("no_labelled_rows")
    dates = data.dates()
    start = _cut(dates, recipe.calibration_share) if len(dates) > 1 else dates[0]
    slice_rows = data.as_of >= start
    booster_rows = _window_ends_before(data.as_of, start, recipe.horizon_days)
    if int(data.y[booster_rows].sum()) < 1 or len(dates) < 2:
        # Too short to keep a gap: fit on everything and leave the output uncalibrated.
        booster_rows = np.ones_like(slice_rows)
        slice_rows = np.zeros_like(slice_rows)
    train = data.take(booster_rows)
    if np.unique(train.y).size < 2:
        raise Refusal("one_class", positives=train.positives, rows=int(train.y.size))
    booster = lgb.train(
        recipe.params(),
        lgb.Dataset(train.x, label=train.y, feature_name=_safe_names(data.features)),
        num_boost_round=recipe.rounds,
    )
    fitted = Fitted(booster, list(data.features))
    calib = data.take(slice_rows)
    fitted.info = {
        "booster_rows": int(train.y.size),
        "calibration_rows": int(calib.y.size),
        "calibration_from": str(start) if calib.y.size else None,
    }
    if calib.positives >= MIN_CALIBRATION_POSITIVES:
        fitted.platt = _platt(fitted.raw(calib.x), calib.y)
    return fitted


def _logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.log(clipped / (1.0 - clipped)), dtype=np.float64)


def _platt(raw: FloatArray, y: FloatArray) -> tuple[float, float] | None:
    """Platt's two parameters on the slice; None when the slice does not rank at all (a
    slope ≤ 0 would invert the booster's order: the raw output is then kept as it is)."""
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(_logit(raw).reshape(-1, 1), y)
    a, b = float(model.coef_[0][0]), float(model.intercept_[0])
    return (a, b) if a > 0 else None


def _safe_names(features: list[str]) -> list[str]:
    """LightGBM forbids some characters in feature names (``:`` is fine, JSON ones not)."""
    return [f"f{i}" for i in range(len(features))]


@dataclass(frozen=True)
class Validation:
    """The held-out result: the split, the headline metrics and the fitted model."""

    metrics: dict[str, Any]
    fitted: Fitted
    train_rows: int
    train_positives: int


def validate(data: Dataset, recipe: Recipe, *, check: bool = True) -> Validation:
    """Split by time, fit on the earlier rows, measure on the held-out period.

    With ``check`` the refusal rules apply (too few dates or churners, weak AUC) and a
    :class:`Refusal` carries the numbers."""
    labelled = data.labelled()
    dates = labelled.dates()
    if check and len(dates) < MIN_DATES:
        raise Refusal("too_few_dates", dates=len(dates), needed=MIN_DATES)
    if len(dates) < 2:
        raise Refusal("too_few_dates", dates=len(dates), needed=MIN_DATES)
    start = _cut(dates, recipe.holdout_share)
    held = labelled.take(labelled.as_of >= start)
    train = labelled.take(_window_ends_before(labelled.as_of, start, recipe.horizon_days))
    # The published model learns from every labelled row: that is the training history
    # whose churned accounts must be enough (the validation model sees fewer of them).
    if check and labelled.churned < MIN_TRAIN_POSITIVES:
        raise Refusal(
            "too_few_train_positives", positives=labelled.churned, needed=MIN_TRAIN_POSITIVES
        )
    if check and held.churned < MIN_HELDOUT_POSITIVES:
        raise Refusal(
            "too_few_heldout_positives", positives=held.churned, needed=MIN_HELDOUT_POSITIVES
        )
    fitted = fit(train, recipe)
    metrics = evaluation.summary(held.y, fitted.predict(held.x))
    metrics["raw_auc"] = evaluation.auc(held.y, fitted.raw(held.x))
    metrics["periods"] = {
        "train_from": str(train.as_of.min()) if train.y.size else None,
        "train_to": str(train.as_of.max()) if train.y.size else None,
        "heldout_from": str(start),
        "heldout_to": str(held.as_of.max()),
        "observation_dates": len(dates),
    }
    metrics["train"] = {
        "rows": int(train.y.size),
        "positives": train.positives,
        "churned_accounts": train.churned,
    }
    metrics["labelled"] = {
        "rows": int(labelled.y.size),
        "positives": labelled.positives,
        "churned_accounts": labelled.churned,
    }
    metrics["heldout"] = {
        "rows": int(held.y.size),
        "positives": held.positives,
        "churned_accounts": held.churned,
    }
    auc = metrics["auc"]
    if check and (auc is None or auc < MIN_AUC):
        raise Refusal("weak_model", auc=auc, needed=MIN_AUC, metrics=metrics)
    return Validation(metrics, fitted, int(train.y.size), train.positives)


def top_reasons(
    fitted: Fitted, x: FloatArray, *, limit: int = 3
) -> list[list[tuple[str, float, float]]]:
    """Per row, the features that raise the risk most: (feature, value, contribution),
    largest contribution first; features that lower the risk are not reasons."""
    if x.shape[0] == 0:
        return []
    contrib = fitted.contributions(x)
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :limit]
    reasons: list[list[tuple[str, float, float]]] = []
    for row in range(x.shape[0]):
        picked = []
        for col in order[row]:
            value = float(contrib[row, col])
            if value <= 0.0:
                break
            picked.append((fitted.features[col], float(x[row, col]), value))
        reasons.append(picked)
    return reasons
