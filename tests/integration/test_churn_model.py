"""The churn-risk model on a planted company: it learns, publishes, scores with reasons,
refuses thin history, and never looks ahead (a planted future leak changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from churn_company import TODAY, plant_company, plant_future_leak
from kizuna.auth.actor import Actor
from kizuna.health.churn import service
from kizuna.kit.errors import Invalid
from kizuna.models.health import ChurnModel, ChurnRisk

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ZONE = "Asia/Tokyo"
ADMIN = Actor.system("test")


def _backtest(session: Session, tmp_path: Path, today: date = TODAY) -> dict[str, object]:
    return service.backtest(session, data_dir=tmp_path, zone=ZONE, today=today)


@sqlite_only
def test_backtest_learns_the_planted_behaviour(session: Session, tmp_path: Path) -> None:
    plant_company(session)
    result = _backtest(session, tmp_path)
    assert result["refusal"] is None
    assert result["auc"] > 0.8
    assert result["top_decile_lift"] > 2.0
    periods = result["periods"]
    gap = date.fromisoformat(periods["heldout_from"]) - date.fromisoformat(periods["train_to"])
    assert gap >= timedelta(days=90)
    assert "nps_latest" in result["features"]


@sqlite_only
def test_train_publishes_and_scores_accounts_with_reasons(session: Session, tmp_path: Path) -> None:
    planted = plant_company(session)
    model = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert model.status == "published", model.message
    assert model.metrics["auc"] > 0.8
    assert model.model_text.startswith("tree")
    assert model.calibration["method"] == "platt"
    assert model.calibration["a"] > 0
    assert set(model.metrics["importance"]) == set(model.features)
    written = service.score_accounts(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    paying = [
        a for a in planted.accounts if (planted.churn_on[a.external_id or ""] or TODAY) >= TODAY
    ]
    assert written == len(paying)
    risks = {r.account_id: r for r in session.scalars(select(ChurnRisk))}
    assert set(risks) == {a.id for a in paying}
    assert all(0.0 <= r.probability <= 1.0 for r in risks.values())
    riskiest = max(risks.values(), key=lambda r: r.probability)
    assert riskiest.reasons
    assert riskiest.reasons[0]["contribution"] > 0
    assert [r["contribution"] for r in riskiest.reasons] == sorted(
        (r["contribution"] for r in riskiest.reasons), reverse=True
    )
    # A second training retires the first.
    second = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY)
    session.refresh(model)
    assert (model.status, second.status, second.number) == ("retired", "published", 2)


def test_refuses_thin_history_and_keeps_the_published_model(
    session: Session, tmp_path: Path
) -> None:
    plant_company(session, accounts=30)
    first = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert first.status == "refused"
    assert first.metrics["refusal"]["code"] == "too_few_train_positives"
    assert first.message.startswith("too little history: ")
    assert "churned accounts in the training period, at least 30 needed" in first.message
    assert service.score_accounts(session, data_dir=tmp_path, zone=ZONE, today=TODAY) == 0
    assert service.current_model(session) is None


@sqlite_only
def test_refusal_leaves_the_previous_model_published(session: Session, tmp_path: Path) -> None:
    plant_company(session)
    published = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY)
    # Half a year earlier there were too few observation dates behind the outcomes.
    refused = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=date(2023, 12, 1))
    assert refused.status == "refused"
    assert refused.metrics["refusal"]["code"] == "too_few_dates"
    assert service.current_model(session) is published


def test_no_history_at_all_is_a_refusal(session: Session, tmp_path: Path) -> None:
    model = service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert model.status == "refused"
    assert model.metrics["refusal"] == {"code": "too_few_dates", "dates": 0, "needed": 26}
    assert session.scalar(select(ChurnModel.number)) == 1


def _rows(planted_accounts: list[str], day: date) -> list[dict[str, str]]:
    return [{"account_external_id": e, "date": day.isoformat()} for e in planted_accounts]


@sqlite_only
@pytest.mark.parametrize(
    ("d", "until"),
    [(date(2025, 3, 3), date(2025, 1, 6)), (date(2024, 12, 2), date(2025, 3, 3))],
    ids=["train-until-before-d", "train-until-after-d"],
)
def test_predict_ignores_a_planted_future_leak(
    session: Session, tmp_path: Path, d: date, until: date
) -> None:
    """Rows at d, a model trained on outcomes known by T: records dated ≥ max(d, T) —
    NPS 0 answers and churns the day after — change no probability."""
    planted = plant_company(session)
    externals = [
        a.external_id or ""
        for a in planted.accounts
        if (planted.churn_on[a.external_id or ""] or TODAY) > d
    ]
    rows = _rows(externals, d)
    kwargs = {"train_until": until, "data_dir": tmp_path, "zone": ZONE, "today": TODAY}
    before = service.predict(session, rows, **kwargs)  # type: ignore[arg-type]
    leak_on = max(d, until)
    assert plant_future_leak(session, planted, on_or_after=leak_on) > 0
    after = service.predict(session, rows, **kwargs)  # type: ignore[arg-type]
    assert after == before
    assert len(set(before)) > 5  # the probabilities do differ between accounts


@sqlite_only
def test_backtest_ignores_a_planted_future_leak(session: Session, tmp_path: Path) -> None:
    """Records dated on or after the back-test's day cannot move its held-out AUC."""
    planted = plant_company(session)
    today = date(2025, 3, 3)
    clean = _backtest(session, tmp_path, today)
    plant_future_leak(session, planted, on_or_after=today)
    leaked = _backtest(session, tmp_path, today)
    assert leaked["auc"] == clean["auc"]
    assert leaked["brier"] == clean["brier"]
    assert leaked["heldout"] == clean["heldout"]


@sqlite_only
def test_the_leak_guard_would_notice_a_feature_reading_the_future(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same back-test with signals computed 89 days *after* each as-of day (what a
    look-ahead bug would do) scores far higher: the equality above is a real guard."""
    from kizuna.health.churn import features

    plant_company(session)
    honest = _backtest(session, tmp_path)["auc"]
    real = features.signal_frame

    def peeking(history, account_ids, as_of, columns):  # type: ignore[no-untyped-def]
        return real(history, account_ids, np.asarray(as_of) + np.timedelta64(89, "D"), columns)

    monkeypatch.setattr(features, "signal_frame", peeking)
    cheating = _backtest(session, tmp_path)["auc"]
    assert cheating > 0.98
    assert cheating > honest + 0.05


def test_predict_names_the_bad_rows(session: Session, tmp_path: Path) -> None:
    rows = [
        {"account_external_id": "nobody", "date": "2025-01-01"},
        {"account_external_id": "", "date": "01/02/2025"},
    ]
    with pytest.raises(Invalid) as caught:
        service.predict(session, rows, train_until=TODAY, data_dir=tmp_path, zone=ZONE, today=TODAY)
    locs = [p.loc for p in caught.value.problems]
    assert locs == [
        ("line", 2, "account_external_id"),
        ("line", 3, "account_external_id"),
        ("line", 3, "date"),
    ]
    assert "line 2: no account has external id 'nobody'" in str(caught.value)


def test_horizon_is_checked(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="horizon"):
        service.train(session, ADMIN, data_dir=tmp_path, zone=ZONE, today=TODAY, horizon_days=3)
