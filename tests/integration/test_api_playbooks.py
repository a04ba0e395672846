"""/api/v1/playbooks: build, publish, dry-run, run, firings, snoozes, YAML; permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import api_as, make_account
from kizuna.models import PlaybookFiring, Task
from kizuna.models.enums import Role

DEFINITION: dict[str, Any] = {
    "trigger": {"type": "condition",
                "condition": {"fact": "account.employee_count", "op": "gte", "value": 100}},
    "actions": [{"type": "create_task", "title": "Call {account}", "due_in_days": 3}],
}  # fmt: skip


def test_build_dry_run_publish_run_and_read_the_why(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, name="API社", employee_count=500)
    session.commit()
    api_as(app_client, session, Role.MANAGER)
    created = app_client.post("/api/v1/playbooks", json={"key": "api", "name": "API",
                              "definition": DEFINITION})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    assert created.json()["versions"][0]["status"] == "draft"

    dry = app_client.post("/api/v1/playbooks/api/dry-run")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["run_id"] is None
    assert report["playbooks"][0]["fired"][0]["account_name"] == "API社"
    assert report["playbooks"][0]["fired"][0]["tasks"][0]["title"] == "Call API社"
    assert session.scalar(select(func.count()).select_from(Task)) == 0

    assert app_client.post("/api/v1/playbooks/api/run").status_code == 409  # not active yet
    published = app_client.post("/api/v1/playbooks/api/publish", json={"note": "go"})
    assert published.json()["status"] == "active"
    ran = app_client.post("/api/v1/playbooks/api/run")
    assert ran.status_code == 200
    assert ran.json()["fired"] == 1
    firings = app_client.get("/api/v1/playbooks/api/firings").json()
    assert firings[0]["why"]["checks"][0]["actual"] == 500
    assert (
        app_client.get(f"/api/v1/playbooks/firings?account_id={account.id}").json()[0][
            "playbook_key"
        ]
        == "api"
    )
    runs = app_client.get("/api/v1/playbooks/api/runs").json()
    assert runs[0]["fired"] == 1
    listed = app_client.get("/api/v1/playbooks").json()
    assert listed[0]["open_tasks"] == 1

    # A new definition goes into draft v2; the versions say so.
    changed = {**DEFINITION, "cooldown_days": 7}
    patched = app_client.patch("/api/v1/playbooks/api", json={"definition": changed})
    assert [v["status"] for v in patched.json()["versions"]] == ["draft", "published"]
    assert app_client.post("/api/v1/playbooks/api/pause").json()["status"] == "paused"
    assert app_client.post("/api/v1/playbooks/api/resume").json()["status"] == "active"


def test_bad_definitions_are_problems_naming_the_path(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.ADMIN)
    bad = {"trigger": {"type": "renewal_in"}, "actions": [{"type": "slack", "text": ""}]}
    response = app_client.post("/api/v1/playbooks", json={"key": "bad", "name": "x",
                               "definition": bad})  # fmt: skip
    assert response.status_code == 422
    text = response.text
    assert "definition.trigger.days" in text
    assert "definition.actions[0].text" in text


def test_snooze_yaml_and_permissions(app_client: TestClient, session: Session) -> None:
    account = make_account(session, name="眠る", employee_count=500)
    session.commit()
    api_as(app_client, session, Role.ADMIN)
    app_client.post("/api/v1/playbooks", json={"key": "s", "name": "S", "definition": DEFINITION})
    app_client.post("/api/v1/playbooks/s/publish")
    until = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    snoozed = app_client.post("/api/v1/playbooks/s/snoozes",
                              json={"account_id": str(account.id), "until": until})  # fmt: skip
    assert snoozed.status_code == 201, snoozed.text
    assert app_client.post("/api/v1/playbooks/s/run").json()["playbooks"][0]["skipped"] == {
        "snoozed": 1
    }
    assert app_client.delete(f"/api/v1/playbooks/s/snoozes/{account.id}").status_code == 204
    exported = app_client.get("/api/v1/playbooks/s/yaml")
    assert "key: s" in exported.text
    imported = app_client.post("/api/v1/playbooks/import",
                               content=exported.text.replace("key: s", "key: s2"))  # fmt: skip
    assert imported.status_code == 200, imported.text
    assert imported.json()[0]["created"] is True

    api_as(app_client, session, Role.CSM)  # reads, but does not build
    assert app_client.get("/api/v1/playbooks/s").status_code == 200
    assert app_client.post("/api/v1/playbooks/s/dry-run").status_code == 403
    assert app_client.patch("/api/v1/playbooks/s", json={"name": "x"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(PlaybookFiring)) == 0
