"""Health entrypoint services: rescore every account (scores, history, churn risk,
expansion signals), back-fill the history, and read scores for the API and pages."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page
from kizuna.health import expansion, schedule, scorecards, snapshots
from kizuna.health.churn import service as churn
from kizuna.health.definition import validate_definition
from kizuna.health.explain import expanded
from kizuna.health.schemas import ScoreDetail, ScoreOut
from kizuna.health.scorecards import Active
from kizuna.health.scoring import BANDS
from kizuna.health.signals.history import History, load_history
from kizuna.health.signals.outcomes import customer_at
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.memory import collect_young_only
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.health import HealthScore, HealthScorecard, HealthScorecardVersion
from kizuna.models.job import Job


@dataclass
class RescoreResult:
    today: date
    accounts: int = 0  # accounts scored today
    bands: dict[str, int] = field(default_factory=dict)
    scorecards: dict[str, int] = field(default_factory=dict)
    history_rows: int = 0
    churn_scored: int = 0
    expansion_signals: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Plan:
    history: History
    chosen: dict[str, Active]


def _plan(
    session: Session,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    extra: Sequence[str] = (),
    since: date | None = None,
) -> _Plan | None:
    """The published scorecards, each account's scorecard, and one history load for the
    union of their columns and ``extra`` (None when no scorecard is published)."""
    active = scorecards.active_scorecards(session)
    if not active:
        return None
    accounts = [
        (str(i), t.value if t else None, p.value if p else None)
        for i, t, p in session.execute(select(Account.id, Account.tier, Account.phase))
    ]
    chosen = scorecards.assign(active, accounts)
    columns = list(dict.fromkeys([*(c for a in active for c in a.definition.columns()), *extra]))
    history = load_history(
        session, data_dir=data_dir, zone=zone, today=today, columns=columns, since=since
    )
    return _Plan(history, chosen)


def _customers_on(
    plan: _Plan, days: list[date]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.datetime64]]:
    """(account, day) pairs of paying customers (MRR > 0 the day before) on each day."""
    ids = np.array(plan.history.account_ids, dtype=object)
    all_ids = np.tile(ids, len(days))
    all_days = np.repeat(np.array(days, dtype="datetime64[D]"), len(ids))
    paying = customer_at(plan.history, all_ids, all_days)
    return all_ids[paying], all_days[paying]


def rescore_all(
    session: Session, actor: Actor, *, data_dir: Path, zone: str, today: date
) -> RescoreResult:
    """Score every paying customer with its scorecard as of ``today``: the current score
    with its explanation, today's history row, then churn risk and expansion signals.
    Accounts that are not customers lose their current score."""
    actor.require(Permission.HEALTH_ADMIN)
    with collect_young_only():
        return _rescore_all(session, data_dir=data_dir, zone=zone, today=today)


def _rescore_all(session: Session, *, data_dir: Path, zone: str, today: date) -> RescoreResult:
    started = time.perf_counter()
    result = RescoreResult(today=today)
    # One history load serves the scorecards, churn scoring and expansion: the union of
    # their columns, read only as far back as today's windows reach (``since``).
    extra = [*churn.columns(session), *expansion.columns(session)]
    plan = _plan(session, data_dir=data_dir, zone=zone, today=today, extra=extra, since=today)
    history = plan.history if plan is not None else None
    if plan is None:
        snapshots.write_latest(session, [], today)
    else:
        ids, days = _customers_on(plan, [today])
        batches = snapshots.score_rows(plan.history, plan.chosen, ids, days)
        result.history_rows = snapshots.write_history(session, batches, [today])
        result.accounts = snapshots.write_latest(session, batches, today)
        bands: Counter[str] = Counter()
        for b in batches:
            bands.update(str(x) for x in b.scored.band)
            result.scorecards[b.active.scorecard.key] = len(b.frame)
        result.bands = {band: bands.get(band, 0) for band in ("green", "yellow", "red", "unknown")}
    session.flush()
    kw: dict[str, Any] = {"data_dir": data_dir, "zone": zone, "today": today, "history": history}
    result.churn_scored = churn.score_accounts(session, **kw)
    result.expansion_signals = expansion.detect(session, **kw)
    result.seconds = time.perf_counter() - started
    return result


def backfill_days(today: date, days: int) -> list[date]:
    """Weekly steps back from ``today`` (today − 7, − 14, …) within ``days``, oldest first."""
    return sorted(today - timedelta(days=d) for d in range(7, days + 1, 7))


def backfill(
    session: Session, actor: Actor, *, data_dir: Path, zone: str, today: date, days: int
) -> int:
    """Write history rows for past days (weekly steps within ``days`` before today), each
    scored only from data before that day, with today's scorecard assignment and published
    versions. Returns the rows written."""
    actor.require(Permission.HEALTH_ADMIN)
    past = backfill_days(today, days)
    plan = _plan(session, data_dir=data_dir, zone=zone, today=today)
    if plan is None or not past:
        return 0
    ids, as_of = _customers_on(plan, past)
    batches = snapshots.score_rows(plan.history, plan.chosen, ids, as_of)
    return snapshots.write_history(session, batches, past)


# -- reading scores --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreFilters:
    bands: list[str] = field(default_factory=list)
    score_min: float | None = None
    score_max: float | None = None
    dropped_by: float | None = None
    days: int = 7
    scorecard: str | None = None


SCORE_SORTS = {
    "score": SortField(func.coalesce(HealthScore.score, -1.0)),
    "change_7d": SortField(func.coalesce(HealthScore.change_7d, 0.0)),
    "name": SortField(Account.name),
}


def _score_select() -> Select[Any]:
    stmt = (
        select(HealthScore, Account.name, HealthScorecard.key, HealthScorecardVersion.number)
        .join(Account, Account.id == HealthScore.account_id)
        .join(HealthScorecardVersion, HealthScorecardVersion.id == HealthScore.version_id)
        .join(HealthScorecard, HealthScorecard.id == HealthScorecardVersion.scorecard_id)
    )
    return cast("Select[Any]", stmt)


def _score_out(row: Any) -> ScoreOut:
    score: HealthScore = row[0]
    return ScoreOut(
        account_id=score.account_id,
        account_name=row[1],
        scorecard_key=row[2],
        version=row[3],
        scored_on=score.scored_on,
        score=score.score,
        band=score.band,
        score_7d_ago=score.score_7d_ago,
        change_7d=score.change_7d,
    )


def list_scores(
    session: Session,
    actor: Actor,
    filters: ScoreFilters,
    *,
    sort: str = "score",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ScoreOut]:
    """Current scores, worst first by default. ``dropped_by`` keeps the accounts whose
    score fell by at least that many points over ``days`` (a signal for playbooks)."""
    actor.require(Permission.HEALTH_READ)
    unknown = [b for b in filters.bands if b not in BANDS]
    if unknown:
        raise Invalid(FieldProblem(("query", "band"), "unknown_value", f"no band {unknown[0]!r}"))
    stmt = _score_select()
    if filters.bands:
        stmt = stmt.where(HealthScore.band.in_(filters.bands))
    if filters.score_min is not None:
        stmt = stmt.where(HealthScore.score >= filters.score_min)
    if filters.score_max is not None:
        stmt = stmt.where(HealthScore.score <= filters.score_max)
    if filters.scorecard:
        stmt = stmt.where(HealthScorecard.key == filters.scorecard)
    if filters.dropped_by is not None:
        if filters.days == snapshots.LOOKBACK:
            stmt = stmt.where(HealthScore.change_7d <= -filters.dropped_by)
        else:
            ids = list(snapshots.dropped(session, points=filters.dropped_by, days=filters.days))
            stmt = stmt.where(HealthScore.account_id.in_(ids))
    return keyset_page(
        session,
        stmt,
        fields=SCORE_SORTS,
        sort=sort,
        id_column=HealthScore.account_id,
        cursor=cursor,
        limit=limit,
        to_item=_score_out,
    )


def get_score(session: Session, actor: Actor, account_id: uuid.UUID) -> ScoreDetail:
    """The account's current score with its explanation (NotFound when it has none)."""
    actor.require(Permission.HEALTH_READ)
    access_account(session, actor, account_id)
    stmt = _score_select().add_columns(HealthScorecardVersion.definition)
    row = session.execute(stmt.where(HealthScore.account_id == account_id)).first()
    if row is None:
        raise NotFound("no health score for this account", code="not_scored")
    return ScoreDetail(
        **_score_out(row).model_dump(),
        explanation=expanded(row[0].explanation, validate_definition(row[4])),
        computed_at=row[0].computed_at,
    )


def queue_rescore(session: Session, actor: Actor) -> Job | None:
    """Queue a rescore of every account (None when one is already waiting)."""
    actor.require(Permission.HEALTH_ADMIN)
    return schedule.request_rescore(session)
