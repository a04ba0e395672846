"""/api/v1/health: scorecards, versions, YAML, signals, scores and rescore, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product, make_survey_response
from kizuna.auth.actor import Actor
from kizuna.health import service
from kizuna.kit.clock import today
from kizuna.models.enums import Role
from kizuna.models.job import Job

SYSTEM = Actor.system("test")


def definition(best: float = 10) -> dict[str, Any]:
    return {
        "groups": [{"key": "engagement", "name": "関係性", "weight": 1}],
        "measures": [
            {
                "key": "nps",
                "name": "NPS",
                "group": "engagement",
                "signal": "nps_latest",
                "weight": 1,
                "scoring": {"kind": "linear", "worst": 0, "best": best},
            }
        ],
        "min_coverage": 0,
    }


def test_scorecard_lifecycle(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    body = {"key": "tier1", "name": "ティア1", "applies_to": {"tiers": ["tier1"]},
            "priority": 5, "definition": definition()}  # fmt: skip
    created = app_client.post("/api/v1/health/scorecards", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["draft_version"] == 1
    assert created.json()["published_version"] is None

    published = app_client.post("/api/v1/health/scorecards/tier1/publish", json={"note": "first"})
    assert published.json()["published_version"] == 1
    updated = app_client.patch(
        "/api/v1/health/scorecards/tier1", json={"definition": definition(8), "note": "stricter"}
    )
    assert [(v["number"], v["status"]) for v in updated.json()["versions"]] == [
        (2, "draft"),
        (1, "published"),
    ]
    assert app_client.post("/api/v1/health/scorecards/tier1/publish", json={}).status_code == 200
    again = app_client.post("/api/v1/health/scorecards/tier1/publish", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "no_draft"

    listed = app_client.get("/api/v1/health/scorecards").json()
    assert [s["key"] for s in listed] == ["default", "tier1"]

    exported = app_client.get("/api/v1/health/scorecards/tier1/yaml")
    assert exported.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(exported.text)
    document["key"] = "tier1_copy"
    imported = app_client.post(
        "/api/v1/health/scorecards/import",
        content=yaml.safe_dump(document, allow_unicode=True).encode(),
        headers={"content-type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] is True
    assert session.scalar(select(Job.id).where(Job.name == "health.rescore")) is not None


def test_invalid_definitions_answer_422_naming_the_path(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.ADMIN)
    bad = definition()
    bad["measures"][0]["signal"] = "usage:nothing:week"
    response = app_client.post(
        "/api/v1/health/scorecards", json={"key": "bad", "name": "x", "definition": bad}
    )
    assert response.status_code == 422
    fields = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "definition", "measures", 0, "signal"] in fields
    response = app_client.post(
        "/api/v1/health/scorecards/import",
        content=b"key: bad\nname: x\ndefinition: {groups: []}\n",
    )
    assert response.status_code == 422
    assert app_client.get("/api/v1/health/scorecards/nope").status_code == 404


def test_signals_scores_and_rescore(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    api_as(app_client, session, Role.ADMIN)
    signals = {s["key"]: s for s in app_client.get("/api/v1/health/signals").json()}
    assert signals["nps_latest"]["group"] == "engagement"
    assert "usage:active_users:week" in signals

    day = today()
    account = make_account(session, name="採点テスト株式会社")
    make_line(session, account, make_product(session), mrr=10_000, start=day - timedelta(days=200))
    make_survey_response(session, account, score=9, responded_on=day - timedelta(days=10))
    service.rescore_all(session, SYSTEM, data_dir=tmp_path, zone="Asia/Tokyo", today=day)
    session.commit()

    page = app_client.get("/api/v1/health/scores", params={"limit": 1}).json()
    assert [i["account_name"] for i in page["items"]] == ["採点テスト株式会社"]
    assert page["items"][0]["scorecard_key"] == "default"
    detail = app_client.get(f"/api/v1/health/scores/{account.id}").json()
    nps = next(m for m in detail["explanation"]["measures"] if m["signal"] == "nps_latest")
    assert nps["value"] == 9.0
    assert nps["points"] == 100.0
    assert nps["observed_on"] == (day - timedelta(days=10)).isoformat()
    # Stored compactly, the explanation is read in full: names, group and weight come
    # from the version's definition, on the API and on Account 360 alike.
    assert (nps["name_en"], nps["group"], nps["imputed"]) == ("NPS (latest)", "engagement", False)
    assert detail["explanation"]["changes"] == []
    panel = app_client.get(f"/api/v1/accounts/{account.id}/health").json()
    shown = [m for g in panel["groups"] for m in g["measures"] if m["key"] == nps["key"]]
    assert [(m["name_en"], m["value"], m["points"], m["weight"]) for m in shown] == [
        (nps["name_en"], 9.0, 100.0, nps["weight"])
    ]
    assert app_client.get("/api/v1/health/scores", params={"band": "purple"}).status_code == 422
    dropped = app_client.get("/api/v1/health/scores", params={"dropped_by": 5, "days": 7})
    assert dropped.json()["items"] == []

    queued = app_client.post("/api/v1/health/rescore")
    assert queued.status_code == 202
    assert queued.json()["job_id"] is not None
    assert app_client.post("/api/v1/health/rescore").json()["job_id"] is None  # one waits


def test_read_only_users_read_but_cannot_change(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    assert app_client.get("/api/v1/health/scorecards").status_code == 200
    assert app_client.post("/api/v1/health/rescore").status_code == 403
    response = app_client.patch("/api/v1/health/scorecards/default", json={"name": "x"})
    assert response.status_code == 403
