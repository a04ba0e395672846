"""Event sources and the debugger's data through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account
from kizuna.auth.secrets import digest
from kizuna.models import AuditEvent, EventSource
from kizuna.models.enums import Role


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_source_lifecycle(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    created = app_client.post(
        "/api/v1/event-sources",
        json={"name": "Web app", "trait_mapping": {"employees": "employee_count"}},
    )
    assert created.status_code == 201, created.text
    source = created.json()
    key = source["write_key"]
    assert key.startswith("kzw_")
    assert source["write_key_hint"] == key[:10]
    stored = session.get(EventSource, uuid.UUID(source["id"]))
    assert stored is not None
    assert stored.write_key_hash == digest(key)  # only the digest is kept
    listed = app_client.get("/api/v1/event-sources").json()
    assert [s["name"] for s in listed] == ["Web app"]
    assert "write_key" not in listed[0]

    disabled = app_client.patch(f"/api/v1/event-sources/{source['id']}", json={"enabled": False})
    assert disabled.json()["enabled"] is False
    assert (
        app_client.post(
            "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(key)
        ).status_code
        == 403
    )

    rotated = app_client.post(f"/api/v1/event-sources/{source['id']}/rotate-key").json()
    assert rotated["write_key"] != key
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == source["id"]))
    )
    assert actions == {"event_source.create", "event_source.update", "event_source.rotate_key"}

    assert app_client.delete(f"/api/v1/event-sources/{source['id']}").status_code == 204
    assert app_client.get(f"/api/v1/event-sources/{source['id']}").status_code == 404


def test_delete_waits_for_pending_events(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    source = app_client.post("/api/v1/event-sources", json={"name": "App"}).json()
    sent = app_client.post(
        "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(source["write_key"])
    )
    assert sent.status_code == 200
    refused = app_client.delete(f"/api/v1/event-sources/{source['id']}")
    assert (refused.status_code, refused.json()["code"]) == (409, "events_pending")


def test_bad_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    app_client.post("/api/v1/event-sources", json={"name": "Dup"})
    dup = app_client.post("/api/v1/event-sources", json={"name": "Dup"})
    assert [(e["field"], e["code"]) for e in dup.json()["errors"]] == [("name", "duplicate")]
    bad_map = app_client.post(
        "/api/v1/event-sources",
        json={"name": "M", "trait_mapping": {"seats": "mrr_amount", "plan": "custom:nope"}},
    )
    assert bad_map.status_code == 422
    assert {(e["loc"][-1], e["code"]) for e in bad_map.json()["errors"]} == {
        ("seats", "unknown_field"),
        ("plan", "unknown_field"),
    }
    bad_match = app_client.post("/api/v1/event-sources", json={"name": "X", "group_match": "fuzzy"})
    assert bad_match.json()["errors"][0]["field"] == "group_match"


def test_recent_events_show_their_account_and_rejections_their_reason(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, name="Acme", external_id="ACME")
    api_as(app_client, session, Role.ADMIN)
    key = app_client.post("/api/v1/event-sources", json={"name": "App"}).json()["write_key"]
    batch = [
        {"type": "group", "userId": "u-1", "groupId": "ACME", "messageId": "g"},
        {"type": "track", "userId": "u-1", "event": "Login", "messageId": "t"},
        {"type": "track", "userId": "u-1", "messageId": "bad"},
    ]
    app_client.post("/v1/batch", json={"batch": batch}, headers=basic(key))
    recent = app_client.get("/api/v1/recent-events").json()
    assert [(e["message_id"], e["account_name"]) for e in recent] == [("t", "Acme"), ("g", "Acme")]
    assert recent[0]["account_id"] == str(account.id)
    newer = app_client.get("/api/v1/recent-events", params={"after_seq": recent[0]["seq"]})
    assert newer.json() == []
    [rejected] = app_client.get("/api/v1/event-rejections").json()
    assert (rejected["reason"], rejected["detail"]) == (
        "missing_event",
        "event: required for track",
    )


def test_readers_see_but_cannot_manage_sources(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    assert app_client.get("/api/v1/event-sources").status_code == 200
    assert app_client.get("/api/v1/event-rejections").status_code == 200
    assert app_client.post("/api/v1/event-sources", json={"name": "X"}).status_code == 403
