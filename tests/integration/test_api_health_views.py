"""/api/v1 health read models (SQLite and PostgreSQL): an account's health, the dashboard,
and the paged expansion list."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account
from health_factories import (
    TODAY,
    make_model,
    make_risk,
    make_score,
    make_signal,
    make_version,
    paying,
    plant_dashboard,
)
from kizuna.models.enums import Role


def test_account_health(app_client: TestClient, session: Session) -> None:
    account = paying(session, "株式会社API", 100_000)
    make_score(session, account, make_version(session), score=80, band="green", today=TODAY,
               change_7d=5, history=((7, 75.0), (0, 80.0)))  # fmt: skip
    make_risk(session, account, make_model(session), 0.42, TODAY)
    make_signal(session, account, "seats", strength=0.7, today=TODAY)
    api_as(app_client, session, Role.READ_ONLY)

    body = app_client.get(f"/api/v1/accounts/{account.id}/health").json()

    assert body["scored"] is True
    assert (body["score"], body["band"], body["change_7d"]) == (80, "green", 5)
    measure = body["groups"][0]["measures"][0]
    assert measure["key"] == "seats"
    assert measure["value"] == 0.6
    assert measure["contribution"] == 30
    assert measure["age_days"] == 3
    assert measure["previous_points"] == 50
    assert measure["signal"]["unit"] == "ratio"
    assert body["history"] == [[str(TODAY.fromordinal(TODAY.toordinal() - 7)), 75.0],
                               [str(TODAY), 80.0]]  # fmt: skip
    assert body["risk"]["probability"] == 0.42
    assert body["risk"]["reasons"][0]["signal"]["key"] == "days_since_dm_touch"
    assert body["expansion"][0]["evidence"]["seats"] == 20


def test_account_health_of_a_missing_account(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    response = app_client.get(f"/api/v1/accounts/{uuid.uuid4()}/health")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_dashboard(app_client: TestClient, session: Session) -> None:
    plant_dashboard(session)
    api_as(app_client, session, Role.CSM)
    body = app_client.get("/api/v1/health/dashboard").json()
    assert body["scored"] == 4
    assert {b["band"]: b["accounts"] for b in body["bands"]} == {
        "green": 1,
        "yellow": 2,
        "red": 1,
        "unknown": 0,
    }
    assert body["at_risk"]["threshold"] == 0.3
    assert body["at_risk"]["either_mrr"] == {"JPY": 150_000}
    assert body["top_risks"][0]["probability"] == 0.6
    assert [m["change_7d"] for m in body["movers_down"]] == [-9, -1]
    assert len(body["trend"]) == 2


def test_expansion_list_pages_and_filters(app_client: TestClient, session: Session) -> None:
    for _ in range(3):
        account = make_account(session)
        make_signal(session, account, "seats", strength=0.5, today=TODAY)
        make_signal(session, account, "renewal", strength=0.8, today=TODAY,
                    evidence={"score": 80, "band": "green", "days_to_renewal": 10})  # fmt: skip
    api_as(app_client, session, Role.CSM)

    items = all_pages(app_client, "/api/v1/health/expansion", {"limit": 2})
    assert len(items) == 6
    assert [i["kind"] for i in items[:3]] == ["renewal"] * 3  # strongest first
    seats = app_client.get("/api/v1/health/expansion", params={"kind": "seats"}).json()
    assert {i["kind"] for i in seats["items"]} == {"seats"}
    assert seats["items"][0]["account_name"].startswith("株式会社テスト")
    assert app_client.get("/api/v1/health/expansion", params={"kind": "nope"}).status_code == 422
    bad_cursor = app_client.get("/api/v1/health/expansion", params={"cursor": "xyz"})
    assert bad_cursor.status_code == 422
