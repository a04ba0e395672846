"""The churn-risk model's use cases: train (publish or refuse), back-test, score accounts,
and predict arbitrary (account, date) rows for audits.

Every entrypoint owns its transaction; these functions flush, never commit.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.bulk import insert_rows
from kizuna.health.churn import features as feature_matrix
from kizuna.health.churn import observations
from kizuna.health.churn import train as fitting
from kizuna.health.signals import outcomes
from kizuna.health.signals.history import History, load_history
from kizuna.kit.clock import today as local_today
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.models.account import Account
from kizuna.models.health import ChurnModel, ChurnRisk
from kizuna.models.job import Job, JobStatus
from kizuna.scheduler import service as scheduler

TRAIN_JOB = "health.train_model"
MAX_HORIZON_DAYS = 365

# English texts of the refusal codes (the web page translates its own copies).
REFUSALS = {
    "too_few_dates": "too little history: {dates} weekly observation dates with a known "
    "outcome, at least {needed} needed",
    "too_few_train_positives": "too little history: {positives} churned accounts in the "
    "training period, at least {needed} needed",
    "too_few_heldout_positives": "too little history: {positives} churned accounts in the "
    "held-out period, at least {needed} needed",
    "weak_model": "the model does not separate churners well enough: held-out AUC {auc} "
    "(at least {needed} needed)",
    "no_labelled_rows": "no observation has a known outcome yet",
    "one_class": "every observation in the training period has the same outcome",
}


def refusal_text(code: str, params: Mapping[str, Any]) -> str:
    shown = {k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in params.items()}
    try:
        return REFUSALS[code].format(**shown)
    except (KeyError, IndexError):
        return code


def _check_horizon(horizon_days: int) -> None:
    if not 7 <= horizon_days <= MAX_HORIZON_DAYS:
        raise Invalid(
            FieldProblem(
                ("horizon_days",), "out_of_range", f"horizon must be 7–{MAX_HORIZON_DAYS} days"
            )
        )


@dataclass(frozen=True)
class Prepared:
    history: History
    data: fitting.Dataset
    features: list[str]


def _prepare(
    session: Session, *, data_dir: Path, zone: str, today: date, horizon_days: int, until: date
) -> Prepared:
    """Load history once and build every observation with as-of ≤ ``until``."""
    features = feature_matrix.feature_keys(session)
    history = load_history(session, data_dir=data_dir, zone=zone, today=today, columns=features)
    dates = observations.observation_dates(observations.first_day(session), until)
    data, _ids = observations.build(history, dates, features, horizon_days=horizon_days)
    return Prepared(history, data, features)


def current_model(session: Session) -> ChurnModel | None:
    return session.scalars(
        select(ChurnModel)
        .where(ChurnModel.status == "published")
        .order_by(ChurnModel.number.desc())
    ).first()


def list_models(session: Session, actor: Actor, *, limit: int = 50) -> list[ChurnModel]:
    actor.require(Permission.HEALTH_READ)
    return list(session.scalars(select(ChurnModel).order_by(ChurnModel.number.desc()).limit(limit)))


def get_current(session: Session, actor: Actor) -> ChurnModel:
    actor.require(Permission.HEALTH_READ)
    model = current_model(session)
    if model is None:
        raise NotFound("no churn-risk model is published", code="no_model")
    return model


def train(
    session: Session,
    actor: Actor,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    horizon_days: int = 90,
) -> ChurnModel:
    """Validate on a held-out period, then publish a model refitted on every labelled row
    (retiring the previous one) — or record a refusal and keep the previous model."""
    actor.require(Permission.HEALTH_ADMIN)
    _check_horizon(horizon_days)
    started = time.perf_counter()
    recipe = fitting.Recipe(horizon_days=horizon_days)
    prepared = _prepare(
        session, data_dir=data_dir, zone=zone, today=today, horizon_days=horizon_days, until=today
    )
    data = prepared.data.labelled()
    number = int(session.scalar(select(func.max(ChurnModel.number))) or 0) + 1
    model = ChurnModel(
        number=number,
        horizon_days=horizon_days,
        train_until=today,
        trained_at=utc_now(),
        observations=int(data.y.size),
        positives=data.churned,
        features=prepared.features,
        trained_by_id=actor.user_id,
    )
    try:
        validation = fitting.validate(prepared.data, recipe)
        fitted = fitting.fit(data, recipe)
    except fitting.Refusal as refusal:
        details = {k: v for k, v in refusal.params.items() if k != "metrics"}
        model.status = "refused"
        model.message = refusal_text(refusal.code, details)
        model.metrics = {
            **refusal.params.get("metrics", {}),
            "refusal": {"code": refusal.code, **details},
        }
    else:
        model.status = "published"
        model.metrics = {**validation.metrics, "importance": fitted.importance()}
        model.model_text = fitted.model_text()
        model.calibration = fitted.calibration()
        for previous in session.scalars(select(ChurnModel).where(ChurnModel.status == "published")):
            previous.status = "retired"
    model.seconds = round(time.perf_counter() - started, 3)
    session.add(model)
    session.flush()
    audit.record(
        session,
        actor,
        f"churn_model.{'publish' if model.status == 'published' else 'refuse'}",
        "churn_model",
        model.id,
        summary=f"#{number} {model.status}" + (f": {model.message}" if model.message else ""),
        changes={"auc": [None, model.metrics.get("auc")], "horizon_days": [None, horizon_days]},
    )
    return model


def backtest(
    session: Session, *, data_dir: Path, zone: str, today: date, horizon_days: int = 90
) -> dict[str, Any]:
    """The same time split and recipe as training, without publishing: held-out metrics,
    and the refusal a training run would meet (``refusal``: None when it would publish)."""
    _check_horizon(horizon_days)
    recipe = fitting.Recipe(horizon_days=horizon_days)
    prepared = _prepare(
        session, data_dir=data_dir, zone=zone, today=today, horizon_days=horizon_days, until=today
    )
    result: dict[str, Any] = {"horizon_days": horizon_days, "features": prepared.features}
    try:
        result.update(fitting.validate(prepared.data, recipe).metrics)
        result["refusal"] = None
    except fitting.Refusal as refusal:
        details = {k: v for k, v in refusal.params.items() if k != "metrics"}
        result["refusal"] = {
            "code": refusal.code,
            "message": refusal_text(refusal.code, details),
            **details,
        }
        with contextlib.suppress(fitting.Refusal):
            result.update(fitting.validate(prepared.data, recipe, check=False).metrics)
    return result


def columns(session: Session) -> list[str]:
    """The signals ``score_accounts`` reads: the published model's features that still
    resolve (none without a published model)."""
    model = current_model(session)
    return [] if model is None else feature_matrix.readable(session, model.features)


def score_accounts(
    session: Session,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    account_ids: Sequence[uuid.UUID] | None = None,
    history: History | None = None,
) -> int:
    """Write ``churn_risk`` (probability and top reasons, as of ``today``) for every paying
    account, or the given ones, with the published model; an account that is no longer a
    customer loses its row. 0 and no change when no model is published.

    ``history``: one already loaded for ``today`` that holds ``columns(session)`` (the
    rescore loads once for everything it scores); None loads what today's frame needs."""
    model = current_model(session)
    if model is None:
        return 0
    fitted = fitting.Fitted.load(model.model_text, list(model.features), model.calibration)
    present = feature_matrix.readable(session, model.features)
    if history is None:
        history = load_history(
            session, data_dir=data_dir, zone=zone, today=today, columns=present, since=today
        )
    wanted = (
        np.asarray([str(a) for a in account_ids], dtype=object)
        if account_ids is not None
        else np.asarray(history.account_ids, dtype=object)
    )
    known = set(history.account_ids)
    ids = np.asarray([a for a in wanted if a in known], dtype=object)
    days = np.full(ids.size, np.datetime64(today, "D"))
    paying = np.asarray(outcomes.customer_at(history, ids, days), dtype=bool) if ids.size else ids
    scope = delete(ChurnRisk)
    if account_ids is not None:
        scope = scope.where(ChurnRisk.account_id.in_([uuid.UUID(str(a)) for a in wanted]))
    session.execute(scope)
    ids, days = ids[paying], days[paying]
    x = feature_matrix.matrix(history, ids, days, model.features, present)
    probabilities = fitted.predict(x) if ids.size else np.empty(0)
    reasons = fitting.top_reasons(fitted, x)
    now = utc_now()
    # One bulk insert (``db.bulk``): an ORM object per account cost ~0.1 ms each.
    insert_rows(
        session,
        ChurnRisk.__table__,
        [
            {
                "account_id": uuid.UUID(str(account)),
                "model_id": model.id,
                "scored_on": today,
                "probability": float(probability),
                "reasons": [
                    {"feature": f, "value": None if np.isnan(v) else v, "contribution": c}
                    for f, v, c in why
                ],
                "computed_at": now,
            }
            for account, probability, why in zip(ids, probabilities, reasons, strict=True)
        ],
    )
    return int(ids.size)


def _parse_rows(
    session: Session, rows: Sequence[Mapping[str, str]]
) -> tuple[list[str], list[date]]:
    """Account ids and dates of the requested rows; problems name the CSV line (the header
    is line 1) and the column."""
    wanted = {(r.get("account_external_id") or "").strip() for r in rows}
    query = select(Account.external_id, Account.id).where(Account.external_id.in_(wanted))
    found: dict[str | None, uuid.UUID] = {row[0]: row[1] for row in session.execute(query)}
    problems: list[FieldProblem] = []
    ids: list[str] = []
    days: list[date] = []
    for line, row in enumerate(rows, start=2):
        external = (row.get("account_external_id") or "").strip()
        if external not in found:
            problems.append(
                FieldProblem(
                    ("line", line, "account_external_id"),
                    "unknown",
                    f"line {line}: no account has external id {external!r}",
                )
            )
        else:
            ids.append(str(found[external]))
        raw = (row.get("date") or "").strip()
        try:
            days.append(date.fromisoformat(raw))
        except ValueError:
            problems.append(
                FieldProblem(
                    ("line", line, "date"),
                    "invalid",
                    f"line {line}: date must be YYYY-MM-DD, got {raw!r}",
                )
            )
    if problems:
        raise Invalid(problems[:50])
    return ids, days


def predict(
    session: Session,
    rows: Sequence[Mapping[str, str]],
    *,
    train_until: date,
    horizon_days: int = 90,
    data_dir: Path,
    zone: str,
    today: date | None = None,
) -> list[float]:
    """Each row's churn-risk probability (``account_external_id``, ``date``), from data
    dated before the row's date, with a model trained only on observations whose outcome
    window ended by ``train_until`` (``as_of + horizon ≤ train_until``)."""
    _check_horizon(horizon_days)
    ids, days = _parse_rows(session, rows)
    if not rows:
        return []
    today = today or local_today(zone)
    prepared = _prepare(
        session,
        data_dir=data_dir,
        zone=zone,
        today=today,
        horizon_days=horizon_days,
        until=train_until - timedelta(days=horizon_days),
    )
    try:
        fitted = fitting.fit(prepared.data, fitting.Recipe(horizon_days=horizon_days))
    except fitting.Refusal as refusal:
        raise Invalid(
            FieldProblem(
                ("train_until",),
                "too_early",
                "no model can be trained from the outcomes known before "
                f"{train_until.isoformat()} ({refusal_text(refusal.code, refusal.params)})",
            )
        ) from None
    x = feature_matrix.matrix(
        prepared.history,
        np.asarray(ids, dtype=object),
        np.asarray(days, dtype="datetime64[D]"),
        prepared.features,
    )
    return [float(p) for p in fitted.predict(x)]


def request_training(
    session: Session, *, horizon_days: int = 90, delay: timedelta | None = None
) -> Job | None:
    """Queue a training run unless one is already waiting (None then). The weekly run is a
    schedule (``jobs/schedules.py``); this is the on-demand one. Training runs are
    singletons: two never run at the same time."""
    waiting = session.scalar(
        select(Job.id).where(Job.name == TRAIN_JOB, Job.status == JobStatus.QUEUED).limit(1)
    )
    if waiting is not None:
        return None
    return scheduler.request_run(
        session, TRAIN_JOB, delay=delay or timedelta(0), payload={"horizon_days": horizon_days}
    )


def queue_training(session: Session, actor: Actor, *, horizon_days: int = 90) -> Job:
    """Retrain on request (HEALTH_ADMIN): a new job, or the one already waiting."""
    actor.require(Permission.HEALTH_ADMIN)
    _check_horizon(horizon_days)
    job = request_training(session, horizon_days=horizon_days)
    if job is None:
        existing = session.scalars(
            select(Job).where(Job.name == TRAIN_JOB, Job.status == JobStatus.QUEUED).limit(1)
        ).one()
        return existing
    audit.record(session, actor, "churn_model.train", "job", job.id, summary=TRAIN_JOB)
    return job
