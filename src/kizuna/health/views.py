"""Read models of the health pages and API: one account's health, and the dashboard.

Everything here reads rows written by the scorer (``health_score``, ``health_score_history``),
the churn model (``churn_risk``) and expansion detection (``expansion_signal``); nothing is
computed from raw data, so the pages stay fast and show exactly what the API returns.
Measure and signal names come from the scorecard version that produced the score and from
the signal catalogue, so an explanation is readable even after the scorecard changed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health.definition import validate_definition
from kizuna.health.explain import COMPACT, expanded
from kizuna.health.signals.catalogue import SignalSpec, available_signals
from kizuna.models.health import (
    ChurnModel,
    ChurnRisk,
    ExpansionSignal,
    HealthScore,
    HealthScorecard,
    HealthScorecardVersion,
    HealthScoreHistory,
)

BANDS = ("green", "yellow", "red", "unknown")
HISTORY_DAYS = 180


@dataclass(frozen=True)
class SignalName:
    """How a signal is shown: names in both languages and the unit of its values."""

    key: str
    name: str
    name_en: str
    unit: str
    higher_is_better: bool = True
    state: bool = False  # a current state: as fresh as yesterday's data, whenever it changed


@dataclass(frozen=True)
class MeasureView:
    key: str
    name: str
    name_en: str
    signal: SignalName
    value: float | None
    points: float | None
    weight: float
    contribution: float | None
    observed_on: date | None
    age_days: int | None  # how old the newest data behind the value is
    previous_value: float | None  # one week earlier (the history row 7 days before)
    previous_points: float | None
    change_points: float | None  # points − previous points: "what changed since last week"


@dataclass(frozen=True)
class GroupView:
    key: str
    name: str
    name_en: str
    weight: float
    score: float | None
    measures: list[MeasureView]


@dataclass(frozen=True)
class RiskReason:
    signal: SignalName
    value: float | None
    contribution: float


@dataclass(frozen=True)
class RiskView:
    probability: float
    model_number: int
    horizon_days: int
    scored_on: date
    reasons: list[RiskReason]


@dataclass(frozen=True)
class ExpansionView:
    kind: str  # seats | option | renewal
    subject: str  # product code of an option signal, else ""
    strength: float
    detected_on: date
    evidence: dict[str, Any]


@dataclass(frozen=True)
class AccountHealth:
    account_id: uuid.UUID
    account_name: str
    scored: bool  # False: no score row (not a paying customer, or never scored)
    score: float | None = None
    band: str = "unknown"
    change_7d: float | None = None
    score_7d_ago: float | None = None
    scored_on: date | None = None
    scorecard_name: str = ""
    scorecard_name_en: str = ""
    version_number: int | None = None
    groups: list[GroupView] = field(default_factory=list)
    history: list[tuple[date, float | None]] = field(default_factory=list)
    risk: RiskView | None = None
    expansion: list[ExpansionView] = field(default_factory=list)


def account_health(
    session: Session, actor: Actor, account_id: uuid.UUID, *, today: date
) -> AccountHealth:
    """One account's score with its explanation, history, churn risk and expansion signals."""
    actor.require(Permission.HEALTH_READ)
    account = access_account(session, actor, account_id)
    names = signal_names(session)
    expansion = [expansion_view(s) for s in _expansion_rows(session, account.id)]
    risk = _risk(session, account.id, names)
    row = session.execute(
        select(HealthScore, HealthScorecardVersion.number, HealthScorecardVersion.definition)
        .add_columns(HealthScorecard.name, HealthScorecard.name_en)
        .join(HealthScorecardVersion, HealthScorecardVersion.id == HealthScore.version_id)
        .join(HealthScorecard, HealthScorecard.id == HealthScorecardVersion.scorecard_id)
        .where(HealthScore.account_id == account.id)
    ).one_or_none()
    if row is None:
        return AccountHealth(account.id, account.name, False, risk=risk, expansion=expansion)
    score: HealthScore = row[0]
    history = session.execute(
        select(HealthScoreHistory.scored_on, HealthScoreHistory.score)
        .where(
            HealthScoreHistory.account_id == account.id,
            HealthScoreHistory.scored_on >= today - timedelta(days=HISTORY_DAYS),
        )
        .order_by(HealthScoreHistory.scored_on)
    ).all()
    return AccountHealth(
        account_id=account.id,
        account_name=account.name,
        scored=True,
        score=score.score,
        band=score.band,
        change_7d=score.change_7d,
        score_7d_ago=score.score_7d_ago,
        scored_on=score.scored_on,
        scorecard_name=row.name,
        scorecard_name_en=row.name_en or row.name,
        version_number=row.number,
        groups=explain(score.explanation, row.definition, names, today=today),
        history=[(d, s) for d, s in history],
        risk=risk,
        expansion=expansion,
    )


def signal_names(session: Session) -> dict[str, SignalName]:
    """Every known signal's display names and unit (one catalogue read)."""
    return {spec.key: _name_of(spec) for spec in available_signals(session)}


def _name_of(spec: SignalSpec) -> SignalName:
    return SignalName(
        spec.key, spec.name, spec.name_en, str(spec.unit), spec.higher_is_better, spec.state
    )


def _signal(names: dict[str, SignalName], key: str) -> SignalName:
    """The catalogue entry of ``key``; a signal no longer in the catalogue (a disabled usage
    metric) keeps its key as its name rather than breaking the explanation."""
    return names.get(key) or SignalName(key, key, key, "count")


def explain(
    explanation: dict[str, Any],
    definition: dict[str, Any],
    names: dict[str, SignalName],
    *,
    today: date,
) -> list[GroupView]:
    """The stored explanation grouped by the definition's groups, in the definition's order.

    Pure: the explanation carries the numbers, the definition the names and groups.
    """
    explanation = _full(explanation, definition)
    defined = {m.get("key"): m for m in definition.get("measures", [])}
    by_group: dict[str, list[MeasureView]] = defaultdict(list)
    for item in explanation.get("measures", []):
        spec = defined.get(item.get("key"), {})
        measure = _measure(item, spec, names, today)
        by_group[str(item.get("group") or spec.get("group") or "")].append(measure)
    scores = {g.get("key"): g for g in explanation.get("groups", [])}
    groups: list[GroupView] = []
    for g in definition.get("groups", []):
        key = str(g.get("key"))
        stored = scores.get(key, {})
        groups.append(
            GroupView(
                key=key,
                name=str(g.get("name") or key),
                name_en=str(g.get("name_en") or g.get("name") or key),
                weight=float(g.get("weight", 0) or 0),
                score=_number(stored.get("score")),
                measures=by_group.pop(key, []),
            )
        )
    for key, measures in by_group.items():  # measures of groups the definition lacks
        groups.append(GroupView(key, key or "—", key or "—", 0.0, None, measures))
    return groups


def _full(explanation: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """The explanation in full (``explain.expanded``: stored compactly, it needs the
    definition of the version it was scored with, validated as the rescore did)."""
    if explanation.get("form") != COMPACT:
        return explanation
    return expanded(explanation, validate_definition(definition))


def _age(today: date, observed: date | None, *, state: bool) -> int | None:
    """Days since the data behind a value; a state (MRR, tenure) is as of yesterday."""
    if observed is None:
        return None
    return min(1, (today - observed).days) if state else (today - observed).days


def _measure(
    item: dict[str, Any], spec: dict[str, Any], names: dict[str, SignalName], today: date
) -> MeasureView:
    signal = _signal(names, str(item.get("signal") or spec.get("signal") or item.get("key")))
    observed = as_day(item.get("observed_on"))
    points, previous = _number(item.get("points")), _number(item.get("previous_points"))
    return MeasureView(
        key=str(item.get("key")),
        name=str(item.get("name") or spec.get("name") or signal.name),
        name_en=str(item.get("name_en") or spec.get("name_en") or signal.name_en),
        signal=signal,
        value=_number(item.get("value")),
        points=points,
        weight=float(item.get("weight", spec.get("weight", 0)) or 0),
        contribution=_number(item.get("contribution")),
        observed_on=observed,
        age_days=_age(today, observed, state=signal.state),
        previous_value=_number(item.get("previous_value")),
        previous_points=previous,
        change_points=points - previous if points is not None and previous is not None else None,
    )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN → None


def as_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _risk(session: Session, account_id: uuid.UUID, names: dict[str, SignalName]) -> RiskView | None:
    row = session.execute(
        select(ChurnRisk, ChurnModel.number, ChurnModel.horizon_days)
        .join(ChurnModel, ChurnModel.id == ChurnRisk.model_id)
        .where(ChurnRisk.account_id == account_id)
    ).one_or_none()
    if row is None:
        return None
    risk: ChurnRisk = row[0]
    return RiskView(
        probability=risk.probability,
        model_number=row.number,
        horizon_days=row.horizon_days,
        scored_on=risk.scored_on,
        reasons=reasons(risk.reasons, names),
    )


def reasons(stored: list[dict[str, Any]], names: dict[str, SignalName]) -> list[RiskReason]:
    return [
        RiskReason(
            _signal(names, str(r.get("feature"))),
            _number(r.get("value")),
            float(r.get("contribution") or 0.0),
        )
        for r in stored
    ]


def _expansion_rows(session: Session, account_id: uuid.UUID) -> list[ExpansionSignal]:
    return list(
        session.scalars(
            select(ExpansionSignal)
            .where(ExpansionSignal.account_id == account_id)
            .order_by(ExpansionSignal.strength.desc(), ExpansionSignal.kind)
        )
    )


def expansion_view(signal: ExpansionSignal) -> ExpansionView:
    return ExpansionView(
        signal.kind, signal.subject, signal.strength, signal.detected_on, dict(signal.evidence)
    )
