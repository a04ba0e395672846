"""/api/v1/health: churn models, the risk list with reasons, retraining, and the
calibration lab's back-test of a scorecard version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from churn_company import TODAY, plant_company
from factories import api_as
from kizuna.auth.actor import Actor
from kizuna.health.churn import service
from kizuna.models.enums import Role
from kizuna.models.health import HealthScorecard, HealthScorecardVersion
from kizuna.models.job import Job

ZONE = "Asia/Tokyo"


def _published(session: Session, tmp_path: Path) -> int:
    plant_company(session, accounts=120)
    model = service.train(session, Actor.system("test"), data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert model.status == "published", model.message
    return service.score_accounts(session, data_dir=tmp_path, zone=ZONE, today=TODAY)


def test_models_and_risk_pages(app_client: TestClient, session: Session, tmp_path: Path) -> None:
    scored = _published(session, tmp_path)
    api_as(app_client, session, Role.CSM)
    models = app_client.get("/api/v1/health/models").json()
    assert [m["status"] for m in models] == ["published"]
    current = app_client.get("/api/v1/health/models/current").json()
    assert current["metrics"]["auc"] > 0.75
    assert "model_text" not in current
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 25, **({"cursor": cursor} if cursor else {})}
        page = app_client.get("/api/v1/health/risk", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == scored
    assert len({item["account_id"] for item in seen}) == scored
    probabilities = [item["probability"] for item in seen]
    assert probabilities == sorted(probabilities, reverse=True)
    top = seen[0]
    assert top["reasons"]
    assert top["reasons"][0]["name"]  # named from the signal catalogue (Japanese by default)
    assert top["external_id"].startswith("P")


def test_no_model_yet_is_404(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    response = app_client.get("/api/v1/health/models/current")
    assert response.status_code == 404
    assert app_client.get("/api/v1/health/risk").json() == {"items": [], "next_cursor": None}
    assert app_client.get("/api/v1/health/risk", params={"cursor": "bad"}).status_code == 422


def test_retraining_is_queued_for_admins_only(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    assert app_client.post("/api/v1/health/models", json={}).status_code == 403
    api_as(app_client, session, Role.MANAGER)
    first = app_client.post("/api/v1/health/models", json={"horizon_days": 60})
    assert first.status_code == 202
    again = app_client.post("/api/v1/health/models", json={})
    assert again.json()["job_id"] == first.json()["job_id"]  # one waiting run is enough
    job = session.scalars(select(Job).where(Job.name == service.TRAIN_JOB)).one()
    assert job.payload == {"horizon_days": 60}
    bad = app_client.post("/api/v1/health/models", json={"horizon_days": 2})
    assert bad.status_code == 422


def test_scorecard_backtest_runs_and_is_kept(app_client: TestClient, session: Session) -> None:
    card = HealthScorecard(key="lab", name="ラボ")
    session.add(card)
    session.flush()
    session.add(
        HealthScorecardVersion(
            scorecard_id=card.id,
            number=1,
            status="draft",
            definition={
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
            },
        )
    )
    api_as(app_client, session, Role.ADMIN)
    url = "/api/v1/health/scorecards/lab/versions/1/backtest"
    assert app_client.get(url).json()["backtest"] is None
    ran = app_client.post(url, json={"months": 6, "step_days": 14})
    assert ran.status_code == 200, ran.text
    body = ran.json()["backtest"]
    assert body["months"] == 6
    assert set(body) >= {"churn", "downturn", "as_of", "rows", "blanked"}
    assert app_client.get(url).json()["backtest"] == body
    assert app_client.post(url, json={"months": 0}).status_code == 422
    missing = app_client.post("/api/v1/health/scorecards/lab/versions/7/backtest", json={})
    assert missing.status_code == 404
    api_as(app_client, session, Role.CSM)
    assert app_client.post(url, json={}).status_code == 403
    assert app_client.get(url).status_code == 200
