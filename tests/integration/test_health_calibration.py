"""The calibration lab on the planted company: a version whose measure separates the
churners gets a high AUC and the right band rates; one that does not, does not."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from churn_company import TODAY, plant_company, plant_future_leak
from kizuna.auth.actor import Actor
from kizuna.health import calibration
from kizuna.kit.errors import Invalid, NotFound
from kizuna.models.audit import AuditEvent
from kizuna.models.health import HealthScorecard, HealthScorecardVersion

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ZONE = "Asia/Tokyo"


def definition(signal: str, worst: float, best: float) -> dict[str, Any]:
    return {
        "groups": [{"key": "engagement", "name": "関係性", "weight": 1}],
        "measures": [
            {
                "key": "m",
                "name": "測定",
                "group": "engagement",
                "signal": signal,
                "weight": 1,
                "scoring": {"kind": "linear", "worst": worst, "best": best},
            }
        ],
    }


def make_versions(session: Session) -> HealthScorecard:
    card = HealthScorecard(key="lab", name="ラボ")
    session.add(card)
    session.flush()
    session.add_all(
        [
            HealthScorecardVersion(
                scorecard_id=card.id,
                number=1,
                status="published",
                definition=definition("nps_latest", 0, 10),
            ),
            HealthScorecardVersion(
                scorecard_id=card.id,
                number=2,
                status="draft",
                definition=definition("mrr", 50_000, 56_000),  # unrelated to churn
            ),
        ]
    )
    session.flush()
    return card


def version(session: Session, number: int) -> HealthScorecardVersion:
    return session.scalars(
        select(HealthScorecardVersion)
        .join(HealthScorecard)
        .where(HealthScorecard.key == "lab", HealthScorecardVersion.number == number)
    ).one()


def test_as_of_dates_have_complete_outcome_windows() -> None:
    dates = calibration.as_of_dates(date(2025, 6, 30), months=12, step_days=28, horizon_days=90)
    assert dates[-1] == date(2025, 4, 1)
    assert all((b - a).days == 28 for a, b in itertools.pairwise(dates))
    assert dates[0] >= date(2024, 7, 5)
    assert len(dates) == 10


@sqlite_only
def test_a_separating_version_gets_a_high_auc_and_right_band_rates(
    session: Session, tmp_path: Path
) -> None:
    plant_company(session)
    make_versions(session)
    good = calibration.backtest_version(
        session, version(session, 1).id, data_dir=tmp_path, zone=ZONE, today=TODAY
    )
    weak = calibration.backtest_version(
        session, version(session, 2).id, data_dir=tmp_path, zone=ZONE, today=TODAY
    )
    churn = good["churn"]
    assert churn["auc"] > 0.8
    assert churn["bottom_decile_lift"] > 2.0
    bands = churn["bands"]
    assert bands["red"]["rate"] > 3 * bands["green"]["rate"]
    assert sum(b["accounts"] for b in bands.values()) == churn["rows"] == good["rows"]
    # Downturn includes churn, so at least as many positives.
    assert good["downturn"]["positives"] >= churn["positives"]
    assert 0.35 < weak["churn"]["auc"] < 0.65
    assert version(session, 1).backtest == good  # kept on the version
    assert len(good["as_of"]) == 10


@sqlite_only
def test_the_lab_ignores_a_planted_future_leak(session: Session, tmp_path: Path) -> None:
    planted = plant_company(session)
    make_versions(session)
    target = version(session, 1).id
    today = date(2025, 3, 3)
    clean = calibration.backtest_version(session, target, data_dir=tmp_path, zone=ZONE, today=today)
    plant_future_leak(session, planted, on_or_after=today)
    leaked = calibration.backtest_version(
        session, target, data_dir=tmp_path, zone=ZONE, today=today
    )
    for kind in ("churn", "downturn"):
        assert leaked[kind] == clean[kind]


def test_non_backtestable_signals_are_blanked(session: Session, tmp_path: Path) -> None:
    card = HealthScorecard(key="fields", name="項目")
    session.add(card)
    session.flush()
    v = HealthScorecardVersion(
        scorecard_id=card.id, number=1, definition=definition("field:employee_count", 0, 100)
    )
    session.add(v)
    session.flush()
    result = calibration.backtest_version(session, v.id, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert result["blanked"] == ["field:employee_count"]
    assert result["churn"]["auc"] is None


def test_run_for_is_audited_and_checks_its_input(session: Session, tmp_path: Path) -> None:
    make_versions(session)
    actor = Actor.system("test")
    calibration.run_for(session, actor, "lab", 1, data_dir=tmp_path, zone=ZONE, today=TODAY)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "health_scorecard_version.backtest")
    ).one()
    assert event.summary.startswith("lab v1")
    with pytest.raises(Invalid, match="months"):
        calibration.run_for(
            session, actor, "lab", 1, data_dir=tmp_path, zone=ZONE, today=TODAY, months=0
        )
    with pytest.raises(NotFound):
        calibration.run_for(session, actor, "lab", 9, data_dir=tmp_path, zone=ZONE, today=TODAY)
