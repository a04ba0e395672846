"""Accounts through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product, make_user
from kizuna.kit.clock import today
from kizuna.models.enums import Role


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    created = app_client.post("/api/v1/accounts", json={"name": "株式会社絆商事", "tier": "tier1"})
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    assert created.json()["mrr_amount"] == 0

    got = app_client.get(f"/api/v1/accounts/{account_id}")
    assert got.json()["name"] == "株式会社絆商事"

    patched = app_client.patch(f"/api/v1/accounts/{account_id}", json={"industry": "製造業"})
    assert patched.status_code == 200
    assert patched.json()["industry"] == "製造業"
    assert patched.json()["tier"] == "tier1"

    assert app_client.delete(f"/api/v1/accounts/{account_id}").status_code == 204
    missing = app_client.get(f"/api/v1/accounts/{account_id}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_invalid_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    response = app_client.post("/api/v1/accounts", json={"name": "", "employee_count": -3})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "employee_count"}


def test_unknown_owner_is_rejected_by_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    response = app_client.post(
        "/api/v1/accounts",
        json={"name": "X社", "csm_owner_id": "0190a0a0-0000-7000-8000-000000000000"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "csm_owner_id"


def test_list_sorts_by_mrr_and_pages_with_cursor(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    product = make_product(session)
    start = today() - timedelta(days=30)
    for i, mrr in enumerate([5000, 1000, 3000, 4000, 2000]):
        account = make_account(session, name=f"会社{i}", industry="小売業")
        make_line(session, account, product, mrr=mrr, start=start)
    make_account(session, name="別業種", industry="製造業")
    session.commit()

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"sort": "-mrr", "limit": 2, "industry": "小売業"}
        if cursor:
            params["cursor"] = cursor
        page = app_client.get("/api/v1/accounts", params=params).json()
        seen += [item["mrr_amount"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [5000, 4000, 3000, 2000, 1000]


def test_read_only_cannot_write(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    response = app_client.post("/api/v1/accounts", json={"name": "X"})
    assert response.status_code == 403


def test_no_credentials_is_401(app_client: TestClient, session: Session) -> None:
    make_user(session)
    assert app_client.get("/api/v1/accounts").status_code == 401
