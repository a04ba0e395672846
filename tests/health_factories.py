"""Planted health rows for the health pages, read models and API tests: a scorecard version,
current scores with an explanation, history, churn risks and expansion signals, inserted
directly (the scorer and the model have their own tests)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.kit.clock import today as local_today
from kizuna.models.account import Account
from kizuna.models.health import (
    ChurnModel,
    ChurnRisk,
    ExpansionSignal,
    HealthScore,
    HealthScorecard,
    HealthScorecardVersion,
    HealthScoreHistory,
)

_seq = itertools.count(1)
TODAY = local_today()  # the MRR roll-up is as of today: lines are planted around it

DEFINITION: dict[str, Any] = {
    "groups": [
        {"key": "deployment", "name": "導入完了度", "name_en": "Deployment", "weight": 50},
        {"key": "engagement", "name": "関係性", "name_en": "Engagement", "weight": 50},
    ],
    "measures": [
        {"key": "seats", "name": "シート有効化率", "name_en": "Seat activation",
         "group": "deployment", "signal": "seat_activation", "weight": 1},
        {"key": "nps", "name": "NPS (最新)", "name_en": "NPS (latest)",
         "group": "engagement", "signal": "nps_latest", "weight": 1},
    ],
    "bands": {"red_below": 40, "green_from": 70},
}  # fmt: skip


def make_version(session: Session) -> HealthScorecardVersion:
    n = next(_seq)
    card = HealthScorecard(key=f"test-{n}", name=f"テスト{n}", name_en=f"Test {n}")
    session.add(card)
    session.flush()
    version = HealthScorecardVersion(
        scorecard_id=card.id, number=1, status="published", definition=DEFINITION
    )
    session.add(version)
    session.flush()
    return version


def explanation(seat_share: float | None, nps: float | None, today: date) -> dict[str, Any]:
    """An explanation as the scorer stores it: seats worth 60 points, NPS 9 → 100 points."""
    return {
        "groups": [
            {"key": "deployment", "score": 60.0 if seat_share is not None else None},
            {"key": "engagement", "score": 100.0 if nps is not None else None},
        ],
        "measures": [
            {"key": "seats", "name": "シート有効化率", "name_en": "Seat activation",
             "group": "deployment", "signal": "seat_activation", "value": seat_share,
             "points": 60.0, "weight": 1, "contribution": 30.0,
             "observed_on": (today - timedelta(days=3)).isoformat(),
             "previous_value": 0.5, "previous_points": 50.0},
            {"key": "nps", "name": "NPS (最新)", "name_en": "NPS (latest)",
             "group": "engagement", "signal": "nps_latest", "value": nps,
             "points": 100.0, "weight": 1, "contribution": 50.0,
             "observed_on": today.isoformat(), "previous_value": None,
             "previous_points": None},
        ],
    }  # fmt: skip


def make_score(
    session: Session,
    account: Account,
    version: HealthScorecardVersion,
    *,
    score: float | None,
    band: str,
    today: date,
    change_7d: float | None = None,
    history: tuple[tuple[int, float], ...] = (),
) -> HealthScore:
    """The current score (with an explanation) and history rows ``(days ago, score)``."""
    row = HealthScore(
        account_id=account.id,
        version_id=version.id,
        scored_on=today,
        score=score,
        band=band,
        score_7d_ago=score - change_7d if score is not None and change_7d is not None else None,
        change_7d=change_7d,
        explanation=explanation(0.6, 9, today),
    )
    session.add(row)
    for days_ago, past in history:
        session.add(
            HealthScoreHistory(
                account_id=account.id,
                scored_on=today - timedelta(days=days_ago),
                version_id=version.id,
                score=past,
                band="green" if past >= 70 else ("red" if past < 40 else "yellow"),
            )
        )
    session.flush()
    return row


def make_model(session: Session, *, number: int = 1) -> ChurnModel:
    model = ChurnModel(
        number=number, status="published", horizon_days=90, train_until=date(2026, 1, 1)
    )
    session.add(model)
    session.flush()
    return model


def make_risk(
    session: Session, account: Account, model: ChurnModel, probability: float, today: date
) -> ChurnRisk:
    risk = ChurnRisk(
        account_id=account.id,
        model_id=model.id,
        scored_on=today,
        probability=probability,
        reasons=[
            {"feature": "days_since_dm_touch", "value": 120.0, "contribution": 0.8},
            {"feature": "nps_latest", "value": 3.0, "contribution": 0.4},
        ],
    )
    session.add(risk)
    session.flush()
    return risk


def make_signal(
    session: Session,
    account: Account,
    kind: str,
    *,
    strength: float,
    today: date,
    subject: str = "",
    evidence: dict[str, Any] | None = None,
) -> ExpansionSignal:
    signal = ExpansionSignal(
        account_id=account.id,
        kind=kind,
        subject=subject,
        detected_on=today,
        strength=strength,
        evidence=evidence
        or {"active_users": 19, "seats": 20, "utilisation": 0.95, "product": "プラン"},
    )
    session.add(signal)
    session.flush()
    return signal


def paying(session: Session, name: str, mrr: int) -> Account:
    account = make_account(session, name=name)
    make_line(session, account, make_product(session), mrr=mrr, start=TODAY - timedelta(days=400))
    return account


def plant_dashboard(session: Session) -> dict[str, Account]:
    version = make_version(session)
    model = make_model(session)
    accounts = {
        "green": paying(session, "緑", 300_000),
        "yellow": paying(session, "黄", 200_000),
        "red": paying(session, "赤", 100_000),
        "risky": paying(session, "危", 50_000),
    }
    make_score(session, accounts["green"], version, score=85, band="green", today=TODAY,
               change_7d=12, history=((7, 73.0), (0, 85.0)))  # fmt: skip
    make_score(session, accounts["yellow"], version, score=55, band="yellow", today=TODAY,
               change_7d=-9, history=((7, 64.0), (0, 55.0)))  # fmt: skip
    make_score(session, accounts["red"], version, score=20, band="red", today=TODAY,
               change_7d=-1)  # fmt: skip
    make_score(session, accounts["risky"], version, score=65, band="yellow", today=TODAY)
    make_risk(session, accounts["risky"], model, 0.6, TODAY)
    make_risk(session, accounts["red"], model, 0.1, TODAY)
    make_signal(session, accounts["green"], "renewal", strength=0.9, today=TODAY,
                evidence={"score": 85, "band": "green", "days_to_renewal": 20})  # fmt: skip
    make_signal(session, accounts["yellow"], "seats", strength=0.5, today=TODAY)
    make_account(session, name="未スコア")  # not scored: not in the figures
    return accounts
