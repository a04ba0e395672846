"""Pure rules of the renewals centre: the suggested forecast, the outcome of a renewal,
forecast accuracy, and a closing plan's progress. Plain values in and out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kizuna.models.renewal import ClosingStepStatus, RenewalForecast, RenewalOutcome

# Renewals are created for term end dates up to this many days ahead.
HORIZON_DAYS = 180
# Windows of the renewals page (days ahead).
WINDOWS = (30, 60, 90, 180)
# After the renewal date the outcome is (re)settled from the lines for this many days, so
# a renewal contract entered late still counts; after that the outcome is final.
SETTLE_DAYS = 30
# A line at stake whose end date moved this far (or more) past the renewal date was
# renewed early (an auto-renewal recorded before the date); a smaller move is a new date.
EARLY_RENEWAL_DAYS = HORIZON_DAYS

# Suggested forecast from health (documented in docs/renewals.md):
AT_RISK_PROBABILITY = 0.5  # churn risk ≥ 50 % → at risk
LIKELY_PROBABILITY = 0.25  # churn risk ≥ 25 % → likely (not commit)
RISKY = frozenset({RenewalForecast.AT_RISK, RenewalForecast.CHURN})
CATEGORIES = tuple(RenewalForecast)


@dataclass(frozen=True)
class Suggestion:
    forecast: RenewalForecast
    reasons: list[dict[str, Any]]  # [{"code": ..., "value": ...}] why (empty for commit)


def suggest(band: str | None, probability: float | None) -> Suggestion:
    """The forecast the system suggests for a renewal from the account's health.

    - **at risk**: health band red, or churn risk ≥ 50 %;
    - **likely**: band yellow or unknown / not scored, or churn risk ≥ 25 %;
    - **commit**: band green and churn risk below 25 % (or no churn model).

    ``churn`` is never suggested: only a person says a customer is leaving.
    """
    reasons: list[dict[str, Any]] = []
    if band == "red":
        reasons.append({"code": "health_red", "value": band})
    if probability is not None and probability >= AT_RISK_PROBABILITY:
        reasons.append({"code": "churn_risk_high", "value": round(probability, 4)})
    if reasons:
        return Suggestion(RenewalForecast.AT_RISK, reasons)
    if band == "yellow":
        reasons.append({"code": "health_yellow", "value": band})
    if band in (None, "unknown"):
        reasons.append({"code": "health_unknown", "value": band or "unknown"})
    if probability is not None and probability >= LIKELY_PROBABILITY:
        reasons.append({"code": "churn_risk_elevated", "value": round(probability, 4)})
    if reasons:
        return Suggestion(RenewalForecast.LIKELY, reasons)
    return Suggestion(RenewalForecast.COMMIT, [])


def default_forecast_mrr(forecast: RenewalForecast, at_stake: int) -> int:
    """Expected MRR after the renewal when nobody gave one: nothing for churn, else the
    MRR at stake (the customer renews as they are)."""
    return 0 if forecast is RenewalForecast.CHURN else at_stake


def outcome_of(at_stake: int, actual: int) -> RenewalOutcome:
    """Renewed / expanded / contracted / churned from the MRR at stake and after."""
    if actual <= 0:
        return RenewalOutcome.CHURNED
    if actual > at_stake:
        return RenewalOutcome.EXPANDED
    if actual < at_stake:
        return RenewalOutcome.CONTRACTED
    return RenewalOutcome.RENEWED


def settles(renews_on: date, today: date) -> bool:
    """Whether the sync (re)settles the outcome today: from the renewal date (the first
    day of the new term, when the new lines are active) for ``SETTLE_DAYS`` days."""
    return renews_on <= today <= renews_on + timedelta(days=SETTLE_DAYS)


def in_window(renews_on: date, today: date, days: int) -> bool:
    return today <= renews_on <= today + timedelta(days=days)


@dataclass(frozen=True)
class Accuracy:
    """Forecast vs actual of settled renewals."""

    forecast_mrr: int  # Σ forecast MRR
    actual_mrr: int  # Σ actual MRR
    at_stake_mrr: int
    count: int
    hits: int  # forecast category agreed with the outcome
    # 1 − |Σ actual − Σ forecast| / Σ forecast (None without a forecast amount)
    mrr_accuracy: float | None
    hit_rate: float | None  # hits / count


def category_hit(forecast: RenewalForecast, outcome: RenewalOutcome) -> bool:
    """Was the category right? commit and likely when the customer renewed at least in
    full (renewed or expanded); at risk when MRR was lost (contracted or churned); churn
    when the customer left."""
    if forecast is RenewalForecast.CHURN:
        return outcome is RenewalOutcome.CHURNED
    if forecast is RenewalForecast.AT_RISK:
        return outcome in (RenewalOutcome.CHURNED, RenewalOutcome.CONTRACTED)
    return outcome in (RenewalOutcome.RENEWED, RenewalOutcome.EXPANDED)


def accuracy(rows: Iterable[tuple[RenewalForecast, RenewalOutcome, int, int, int]]) -> Accuracy:
    """``rows``: (forecast, outcome, at stake, forecast MRR, actual MRR) of settled renewals."""
    forecast_mrr = actual_mrr = at_stake = count = hits = 0
    for forecast, outcome, stake, expected, actual in rows:
        count += 1
        at_stake += stake
        forecast_mrr += expected
        actual_mrr += actual
        hits += category_hit(forecast, outcome)
    mrr_accuracy = (
        max(0.0, 1 - abs(actual_mrr - forecast_mrr) / forecast_mrr) if forecast_mrr else None
    )
    return Accuracy(
        forecast_mrr,
        actual_mrr,
        at_stake,
        count,
        hits,
        mrr_accuracy,
        hits / count if count else None,
    )


# ---------------------------------------------------------------------------- closing plans


@dataclass(frozen=True)
class StepState:
    status: ClosingStepStatus
    due_on: date | None


def is_overdue(status: ClosingStepStatus, due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today and status is not ClosingStepStatus.DONE


def progress(steps: Sequence[StepState]) -> int:
    """Percent of steps done (0 for a plan without steps), rounded down."""
    if not steps:
        return 0
    done = sum(1 for s in steps if s.status is ClosingStepStatus.DONE)
    return done * 100 // len(steps)


def overdue_count(steps: Sequence[StepState], today: date) -> int:
    return sum(1 for s in steps if is_overdue(s.status, s.due_on, today))
