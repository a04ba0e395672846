"""/api/v1/journey and an account's journey through HTTP (SQLite and PostgreSQL): the
definition and its editing, evaluation, board and stalled, checks, moves, goals, and who
may do what."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product
from kizuna.models.enums import Phase, Role


def _paying(session: Session, name: str) -> str:
    account = make_account(session, name=name)
    make_line(session, account, make_product(session), mrr=5_000, start=date(2025, 1, 1))
    return str(account.id)


def test_definition_read_and_edit(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    journey = app_client.get("/api/v1/journey").json()
    assert [p["phase"] for p in journey["phases"]] == ["onboarding", "adoption", "expansion"]
    assert journey["phases"][0]["steps"][0]["key"] == "initial_setup"

    updated = app_client.put("/api/v1/journey/phases/onboarding", json={"target_days": 60})
    assert updated.status_code == 200, updated.text
    assert updated.json()["phases"][0]["target_days"] == 60
    assert app_client.put("/api/v1/journey/phases/nope", json={"target_days": 5}).status_code == 404

    bad = app_client.post(
        "/api/v1/journey/steps",
        json={"key": "tagged", "phase": "adoption", "name": "タグ",
              "criteria": {"any": [{"fact": "tags", "op": "between", "value": 3}]}},
    )  # fmt: skip
    assert bad.status_code == 422
    assert [e["loc"][-1] for e in bad.json()["errors"]] == ["criteria.any[0].op"]

    created = app_client.post(
        "/api/v1/journey/steps",
        json={"key": "tagged", "phase": "adoption", "name": "タグ", "position": 0,
              "criteria": {"all": [{"fact": "tags", "op": "has", "value": "go"}]}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["position"] == 0
    patched = app_client.patch("/api/v1/journey/steps/tagged", json={"required": False})
    assert patched.json()["required"] is False
    assert app_client.patch("/api/v1/journey/steps/none", json={}).status_code == 404

    text = app_client.get("/api/v1/journey/yaml").text
    assert "tagged" in text
    assert app_client.delete("/api/v1/journey/steps/tagged").status_code == 204
    imported = app_client.post("/api/v1/journey/import", content=text.encode())
    assert imported.status_code == 200, imported.text
    assert imported.json()["steps_created"] == 1
    refused = app_client.post("/api/v1/journey/import", content=b"phases: 3")
    assert refused.status_code == 422


def test_evaluate_check_move_and_read_an_account(app_client: TestClient, session: Session) -> None:
    account_id = _paying(session, "API 顧客")
    api_as(app_client, session, Role.ADMIN)
    result = app_client.post("/api/v1/journey/evaluate", json={"account_ids": [account_id]})
    assert result.status_code == 200, result.text
    assert result.json()["entered"] == 1
    assert result.json()["accounts"] == 1

    view = app_client.get(f"/api/v1/accounts/{account_id}/journey").json()
    assert view["phase"] == "onboarding"
    assert view["days_in_phase"] == 0
    first = view["phases"][0]["steps"][0]
    assert first["key"] == "initial_setup"
    assert not first["done"]
    assert first["checks"]
    assert first["criteria_passed"] is False

    checked = app_client.post(
        f"/api/v1/accounts/{account_id}/journey/steps/initial_setup",
        json={"done": True, "note": "キックオフで確認"},
    )
    assert checked.status_code == 200, checked.text
    step = checked.json()["phases"][0]["steps"][0]
    assert step["done"]
    assert step["note"] == "キックオフで確認"
    assert step["completed_by"]

    moved = app_client.post(
        f"/api/v1/accounts/{account_id}/journey/phase",
        json={"phase": "adoption", "reason": "導入完了の合意"},
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["phase"] == "adoption"
    assert [h["phase"] for h in body["history"]] == ["adoption", "onboarding"]
    no_reason = app_client.post(
        f"/api/v1/accounts/{account_id}/journey/phase", json={"phase": "expansion", "reason": ""}
    )
    assert no_reason.status_code == 422

    stalled = app_client.get(
        "/api/v1/journey/stalled", params={"phase": "any", "overdue_only": False}
    )
    assert stalled.status_code == 200
    assert [i["name"] for i in stalled.json()["items"]] == ["API 顧客"]
    board = app_client.get("/api/v1/journey/board").json()
    assert [c["count"] for c in board["columns"]] == [0, 1, 0]


def test_goals(app_client: TestClient, session: Session) -> None:
    account_id = _paying(session, "ゴール")
    api_as(app_client, session, Role.CSM)
    url = f"/api/v1/accounts/{account_id}/goals"
    created = app_client.post(
        url, json={"title": "残業時間20%削減", "metric": "月間残業時間", "target_value": "-20%",
                   "due_on": "2026-03-31"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    goal_id = created.json()["id"]
    assert app_client.post(url, json={"title": "残業時間20%削減"}).status_code == 422  # duplicate
    achieved = app_client.patch(f"{url}/{goal_id}", json={"status": "achieved"})
    assert achieved.json()["status"] == "achieved"
    assert achieved.json()["achieved_on"]
    assert [g["title"] for g in app_client.get(url).json()] == ["残業時間20%削減"]
    assert app_client.delete(f"{url}/{goal_id}").status_code == 204
    assert app_client.get(url).json() == []


def test_who_may_do_what(app_client: TestClient, session: Session) -> None:
    account_id = _paying(session, "権限")
    api_as(app_client, session, Role.READ_ONLY)
    assert app_client.get("/api/v1/journey").status_code == 200
    assert app_client.get(f"/api/v1/accounts/{account_id}/journey").status_code == 200
    assert app_client.post("/api/v1/journey/evaluate").status_code == 403
    assert app_client.put("/api/v1/journey/phases/adoption", json={}).status_code == 403
    assert (
        app_client.post(
            f"/api/v1/accounts/{account_id}/journey/phase",
            json={"phase": Phase.ADOPTION.value, "reason": "x"},
        ).status_code
        == 403
    )
    api_as(app_client, session, Role.CSM)
    assert app_client.post("/api/v1/journey/steps", json={}).status_code == 403
    moved = app_client.post(
        f"/api/v1/accounts/{account_id}/journey/phase",
        json={"phase": "adoption", "reason": "CSMの判断"},
    )
    assert moved.status_code == 200
    assert (
        app_client.post(
            f"/api/v1/accounts/{account_id}/journey/steps/unknown", json={"done": True}
        ).status_code
        == 404
    )
