"""Daily scores: scoring (account, day) rows with their scorecards, writing the latest
score with its explanation and the per-day history, and finding accounts whose score
dropped.

Writes are bulk statements (delete what is replaced, then one multi-row insert), inside the
caller's transaction: a rescore is all or nothing.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.db.bulk import insert_rows
from kizuna.health.explain import (
    Prepared,
    Previous,
    explanation_documents,
    history_documents,
    prepare,
)
from kizuna.health.scorecards import Active
from kizuna.health.scoring import Scored, score_frame
from kizuna.health.signals.frame import SignalFrame
from kizuna.health.signals.history import History, signal_frame
from kizuna.kit.clock import utc_now
from kizuna.models.health import HealthScore, HealthScoreHistory

LOOKBACK = 7  # "what changed since last week"


@dataclass(frozen=True)
class Batch:
    """Rows (account, day) scored by one scorecard version."""

    active: Active
    frame: SignalFrame
    scored: Scored

    @cached_property
    def prepared(self) -> Prepared:
        """The explanation columns, shared by the history and the latest-score writes."""
        return prepare(self.active.definition, self.frame, self.scored)


def _take(frame: SignalFrame, index: npt.NDArray[np.int64]) -> SignalFrame:
    return SignalFrame(
        account_ids=frame.account_ids[index],
        as_of=frame.as_of[index],
        values={k: v[index] for k, v in frame.values.items()},
        observed_on={k: v[index] for k, v in frame.observed_on.items()},
    )


def score_rows(
    history: History,
    chosen: dict[str, Active],
    account_ids: npt.NDArray[np.object_],
    days: npt.NDArray[np.datetime64],
) -> list[Batch]:
    """Score the rows ``zip(account_ids, days)`` (accounts without a scorecard skipped):
    one signal frame over the union of the columns, then one score per scorecard."""
    columns = list(dict.fromkeys(c for a in chosen.values() for c in a.definition.columns()))
    keep = np.fromiter((a in chosen for a in account_ids), bool, len(account_ids))
    ids, as_of = account_ids[keep], days[keep]
    if not len(ids):
        return []
    frame = signal_frame(history, ids, as_of, columns)
    cards = np.array([chosen[a].version.id for a in ids], dtype=object)
    batches = []
    for active in {a.version.id: a for a in chosen.values()}.values():
        index = np.flatnonzero(cards == active.version.id)
        if len(index):
            part = _take(frame, index)
            batches.append(Batch(active, part, score_frame(active.definition, part)))
    return batches


def _score(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 2)


def write_history(session: Session, batches: Sequence[Batch], days: Sequence[date]) -> int:
    """Replace the history rows of ``days`` with the batches' rows."""
    if days:
        session.execute(delete(HealthScoreHistory).where(HealthScoreHistory.scored_on.in_(days)))
    rows = []
    for b in batches:
        days = b.frame.as_of.astype("datetime64[D]").astype(object).tolist()
        scores = [_score(x) for x in b.scored.score.tolist()]
        measures = history_documents(b.active.definition, b.prepared)
        rows += [
            {
                "account_id": uuid.UUID(b.frame.account_ids[i]),
                "scored_on": days[i],
                "version_id": b.active.version.id,
                "score": scores[i],
                "band": str(b.scored.band[i]),
                "measures": measures[i],
            }
            for i in range(len(b.frame))
        ]
    insert_rows(session, HealthScoreHistory.__table__, rows)
    return len(rows)


def previous_rows(session: Session, today: date, days: int = LOOKBACK) -> dict[str, Previous]:
    """Per account, the latest history row on or before ``today - days`` (within a week
    before that): (day, score, measures)."""
    target = today - timedelta(days=days)
    rows = session.execute(
        select(
            HealthScoreHistory.account_id,
            HealthScoreHistory.scored_on,
            HealthScoreHistory.score,
            HealthScoreHistory.measures,
        )
        .where(
            HealthScoreHistory.scored_on <= target,
            HealthScoreHistory.scored_on > target - timedelta(days=7),
        )
        .order_by(HealthScoreHistory.scored_on)
    )
    return {str(a): (day, score, measures) for a, day, score, measures in rows}


def write_latest(session: Session, batches: Sequence[Batch], today: date) -> int:
    """Replace every account's current score (accounts not in ``batches`` lose theirs)."""
    previous = previous_rows(session, today)
    now = utc_now()
    rows = []
    for b in batches:
        accounts = [str(a) for a in b.frame.account_ids]
        before: list[Previous | None] = [previous.get(a) for a in accounts]
        scores = [_score(x) for x in b.scored.score.tolist()]
        bands = [str(x) for x in b.scored.band]
        explanations = explanation_documents(
            b.active.definition,
            b.prepared,
            scorecard=b.active.scorecard.key,
            version=b.active.version.number,
            previous=before,
        )
        for i, (account, prior) in enumerate(zip(accounts, before, strict=True)):
            score = scores[i]
            earlier = prior[1] if prior else None
            rows.append(
                {
                    "account_id": uuid.UUID(account),
                    "version_id": b.active.version.id,
                    "scored_on": today,
                    "score": score,
                    "band": bands[i],
                    "score_7d_ago": earlier,
                    "change_7d": (
                        round(score - earlier, 2)
                        if score is not None and earlier is not None
                        else None
                    ),
                    "explanation": explanations[i],
                    "computed_at": now,
                }
            )
    session.execute(delete(HealthScore))
    insert_rows(session, HealthScore.__table__, rows)
    return len(rows)


def dropped(session: Session, *, points: float, days: int = 7) -> dict[uuid.UUID, float]:
    """Accounts whose current score is at least ``points`` below their score ``days``
    earlier (the latest history row on or before that day, within a week): {id: drop}."""
    current = dict(
        session.execute(
            select(HealthScore.account_id, HealthScore.score).where(HealthScore.score.is_not(None))
        ).all()
    )
    scored_on = session.scalar(select(HealthScore.scored_on).limit(1))
    if not current or scored_on is None:
        return {}
    earlier = previous_rows(session, scored_on, days)
    result = {}
    for account_id, score in current.items():
        before = earlier.get(str(account_id))
        if before is not None and before[1] is not None and score is not None:
            drop = before[1] - score
            if drop >= points:
                result[account_id] = round(drop, 2)
    return result
