"""The churn-model page (/health/model) and the calibration lab page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from churn_company import TODAY, plant_company
from kizuna.auth.actor import Actor
from kizuna.health.churn import service
from kizuna.models.enums import Role
from kizuna.models.health import HealthScorecard, HealthScorecardVersion
from webtools import csrf_of, web_login

ZONE = "Asia/Tokyo"


def test_model_page_shows_metrics_history_and_risk(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    plant_company(session, accounts=120)
    system = Actor.system("test")
    service.train(session, system, data_dir=tmp_path, zone=ZONE, today=date(2023, 12, 1))
    model = service.train(session, system, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert model.status == "published"
    service.score_accounts(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/health/model")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="calibration-chart"' in html
    assert 'data-testid="importance-table"' in html
    assert 'data-testid="risk-table"' in html
    assert f"{model.metrics['auc']:.3f}" in html
    # The refused first run, in Japanese with its numbers.
    assert "履歴が足りません" in html
    assert 'data-status="refused"' in html
    assert 'data-testid="retrain-form"' not in html  # CSM may not retrain


def test_empty_model_page_and_retrain_button(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/health/model")
    assert 'data-testid="model-empty"' in page.text
    posted = app_client.post(
        "/health/model/train", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert "トレーニング" in app_client.get("/health/model").text


def test_lab_page_runs_and_compares_versions(app_client: TestClient, session: Session) -> None:
    card = HealthScorecard(key="lab", name="ラボ")
    session.add(card)
    session.flush()
    doc = {
        "groups": [{"key": "g", "name": "G", "weight": 1}],
        "measures": [
            {
                "key": "nps",
                "name": "NPS",
                "group": "g",
                "signal": "nps_latest",
                "weight": 1,
                "scoring": {"kind": "linear", "worst": 0, "best": 10},
            }
        ],
    }
    for number, status in ((1, "published"), (2, "draft")):
        session.add(
            HealthScorecardVersion(
                scorecard_id=card.id, number=number, status=status, definition=doc
            )
        )
    web_login(app_client, session, Role.ADMIN)
    page = app_client.get("/admin/scorecards/lab/lab")
    assert page.status_code == 200
    assert 'data-testid="run-1"' in page.text
    assert 'data-testid="run-2"' in page.text
    ran = app_client.post(
        "/admin/scorecards/lab/lab/run",
        data={"csrf_token": csrf_of(page.text), "number": "2", "v": ["1", "2"]},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    assert ran.headers["location"] == "/admin/scorecards/lab/lab?v=1&v=2"
    after = app_client.get(ran.headers["location"]).text
    assert 'data-testid="lab-chart"' in after
    assert 'data-testid="auc-churn-2"' in after
    only = app_client.get("/admin/scorecards/lab/lab?v=1").text
    assert 'data-testid="run-2"' not in only
    assert app_client.get("/admin/scorecards/nothing/lab").status_code == 404


def test_lab_is_for_health_admins(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM)
    assert app_client.get("/admin/scorecards/default/lab").status_code == 403
