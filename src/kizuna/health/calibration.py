"""The calibration lab: back-test a scorecard version on history before publishing it.

For as-of dates every ``step_days`` over the last ``months`` whose outcome window is over
(``as_of + horizon ≤ today``), every paying account is scored with the version exactly as
the daily scoring would have scored it then (signals from data dated before the as-of day),
and compared with what happened next: churn, or a downturn (churn or MRR down ≥ 10 %).

A signal that has no history (a current field value, ``backtestable=False``) is blanked to
NaN, so the version's missing-data rule applies to it, as it would have then.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import evaluation, scorecards
from kizuna.health.definition import Definition, validate_definition
from kizuna.health.scoring import BANDS, score_frame
from kizuna.health.signals import catalogue, outcomes
from kizuna.health.signals.frame import SignalFrame
from kizuna.health.signals.history import History, load_history, signal_frame
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.models.health import HealthScorecardVersion

OUTCOMES: tuple[Literal["churn", "downturn"], ...] = ("churn", "downturn")


def _check(months: int, step_days: int, horizon_days: int) -> None:
    problems = []
    if not 1 <= months <= 60:
        problems.append(FieldProblem(("months",), "out_of_range", "months must be 1–60"))
    if not 7 <= step_days <= 366:
        problems.append(FieldProblem(("step_days",), "out_of_range", "step_days must be 7–366"))
    if not 7 <= horizon_days <= 365:
        problems.append(
            FieldProblem(("horizon_days",), "out_of_range", "horizon_days must be 7–365")
        )
    if problems:
        raise Invalid(problems)


def as_of_dates(today: date, *, months: int, step_days: int, horizon_days: int) -> list[date]:
    """Oldest first: the latest day whose outcome window is over, then every ``step_days``
    back, not earlier than ``months`` × 30 days before ``today``."""
    last = today - timedelta(days=horizon_days)
    first = today - timedelta(days=30 * months)
    count = (last - first).days // step_days + 1 if last >= first else 0
    return sorted(last - timedelta(days=step_days * k) for k in range(count))


def blanked_columns(session: Session, definition: Definition) -> list[str]:
    """The definition's signals a back-test must treat as missing (see the module doc)."""
    blanked = []
    for key in definition.columns():
        try:
            spec = catalogue.resolve_signal(session, key)
        except Invalid:
            blanked.append(key)
            continue
        if not spec.backtestable:
            blanked.append(key)
    return blanked


def _frame(
    history: History,
    ids: np.ndarray[Any, np.dtype[np.object_]],
    days: np.ndarray[Any, np.dtype[np.datetime64]],
    columns: list[str],
    blanked: list[str],
) -> SignalFrame:
    readable = [c for c in columns if c not in blanked]
    frame = signal_frame(history, ids, days, readable)
    values = dict(frame.values)
    observed = dict(frame.observed_on)
    for key in blanked:
        values[key] = np.full(len(ids), np.nan)
        observed[key] = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]")
    return SignalFrame(ids, days, values, observed)


def run(
    session: Session,
    definition: Definition,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    months: int = 12,
    step_days: int = 28,
    horizon_days: int = 90,
) -> dict[str, Any]:
    """Back-test ``definition``: AUC of (100 − score) against each outcome, lift of the
    lowest-scored decile, the outcome rate per colour band, counts and dates."""
    _check(months, step_days, horizon_days)
    columns = definition.columns()
    blanked = blanked_columns(session, definition)
    readable = [c for c in columns if c not in blanked]
    history = load_history(session, data_dir=data_dir, zone=zone, today=today, columns=readable)
    dates = as_of_dates(today, months=months, step_days=step_days, horizon_days=horizon_days)
    all_ids = np.asarray(history.account_ids, dtype=object)
    ids = np.tile(all_ids, len(dates))
    days = np.repeat(np.asarray(dates, dtype="datetime64[D]"), len(all_ids))
    if ids.size:
        paying = np.asarray(outcomes.customer_at(history, ids, days), dtype=bool)
        ids, days = ids[paying], days[paying]
    result: dict[str, Any] = {
        "run_at": utc_now().isoformat(),
        "today": today.isoformat(),
        "months": months,
        "step_days": step_days,
        "horizon_days": horizon_days,
        "as_of": [d.isoformat() for d in dates],
        "blanked": blanked,
        "rows": int(ids.size),
    }
    if ids.size == 0:
        result["scored"] = 0
        result.update({kind: _empty() for kind in OUTCOMES})
        return result
    scored = score_frame(definition, _frame(history, ids, days, columns, blanked))
    result["scored"] = int((~np.isnan(scored.score)).sum())
    for kind in OUTCOMES:
        y = np.asarray(
            outcomes.labels(history, ids, days, horizon_days=horizon_days, kind=kind),
            dtype=np.float64,
        )
        result[kind] = _measure(y, scored.score, scored.band)
    return result


def _empty() -> dict[str, Any]:
    return {"auc": None, "bottom_decile_lift": None, "rows": 0, "positives": 0, "bands": {}}


def _measure(
    y: np.ndarray[Any, np.dtype[np.float64]],
    score: np.ndarray[Any, np.dtype[np.float64]],
    band: np.ndarray[Any, np.dtype[np.object_]],
) -> dict[str, Any]:
    known = ~np.isnan(y)
    rates = evaluation.rate_by_band(y, band)
    return {
        "auc": evaluation.auc(y, 100.0 - score),
        "bottom_decile_lift": evaluation.bottom_decile_lift(y, score),
        "rows": int(known.sum()),
        "positives": int(np.nansum(y)),
        "base_rate": float(np.nanmean(y)) if known.any() else None,
        "bands": {b: rates[b] for b in BANDS if b in rates},
    }


def backtest_version(
    session: Session,
    version_id: uuid.UUID,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    months: int = 12,
    step_days: int = 28,
    horizon_days: int = 90,
) -> dict[str, Any]:
    """Back-test one stored version and keep the result on it (``version.backtest``)."""
    version = session.get(HealthScorecardVersion, version_id)
    if version is None:
        raise NotFound("version not found")
    definition = validate_definition(version.definition)
    result = run(
        session,
        definition,
        data_dir=data_dir,
        zone=zone,
        today=today,
        months=months,
        step_days=step_days,
        horizon_days=horizon_days,
    )
    version.backtest = result
    session.flush()
    return result


def backtest_published(session: Session, *, data_dir: Path, zone: str, today: date) -> int:
    """Back-test every published version (``kizuna demo`` does, so the lab opens with
    figures); returns how many were back-tested."""
    published = session.scalars(
        select(HealthScorecardVersion.id).where(HealthScorecardVersion.status == "published")
    ).all()
    for version_id in published:
        backtest_version(session, version_id, data_dir=data_dir, zone=zone, today=today)
    return len(published)


def run_for(
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    months: int = 12,
    step_days: int = 28,
    horizon_days: int = 90,
) -> HealthScorecardVersion:
    """The lab's "run back-test" (HEALTH_ADMIN), audit-logged."""
    actor.require(Permission.HEALTH_ADMIN)
    version = scorecards.get_version(session, actor, key, number)
    result = backtest_version(
        session,
        version.id,
        data_dir=data_dir,
        zone=zone,
        today=today,
        months=months,
        step_days=step_days,
        horizon_days=horizon_days,
    )
    audit.record(
        session,
        actor,
        "health_scorecard_version.backtest",
        "health_scorecard_version",
        version.id,
        summary=f"{key} v{number}: churn AUC {_fmt(result['churn']['auc'])}",
        changes={"backtest": [None, {k: result[k] for k in ("months", "rows", "scored")}]},
    )
    return version


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
