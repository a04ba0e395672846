"""API tokens through the REST API: shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from factories import api_as, make_user, token_for
from kizuna.kit.clock import utc_now
from kizuna.models import ApiToken
from kizuna.models.enums import Role


def bearer(client: TestClient, secret: str) -> None:
    client.headers["Authorization"] = f"Bearer {secret}"


def test_secret_is_shown_once_and_stored_hashed(app_client: TestClient, session: Session) -> None:
    me = api_as(app_client, session, Role.CSM)
    created = app_client.post("/api/v1/tokens", json={"name": "BI連携", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["token"]
    assert secret.startswith("kzn_")
    assert "token_hash" not in body
    assert (body["user_id"], body["scopes"]) == (str(me.id), ["read"])

    row = session.scalar(select(ApiToken).where(ApiToken.id == uuid.UUID(body["id"])))
    assert row is not None
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.token_hash, row.prefix, row.name}

    listed = app_client.get("/api/v1/tokens").json()["items"]
    assert body["id"] in {t["id"] for t in listed}
    assert all("token" not in t and "token_hash" not in t for t in listed)

    bearer(app_client, secret)
    assert app_client.get("/api/v1/me").json()["id"] == str(me.id)


def test_read_scope_cannot_post(app_client: TestClient, session: Session) -> None:
    user = make_user(session, Role.ADMIN)
    bearer(app_client, token_for(session, user, ["read"]))
    session.commit()
    assert app_client.get("/api/v1/accounts").status_code == 200
    assert app_client.post("/api/v1/accounts", json={"name": "X社"}).status_code == 403
    minted = app_client.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]})
    assert minted.status_code == 403


def test_write_token_cannot_mint_a_wider_one(app_client: TestClient, session: Session) -> None:
    user = make_user(session, Role.ADMIN)
    bearer(app_client, token_for(session, user, ["write"]))
    session.commit()
    wider = app_client.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]})
    assert wider.status_code == 403
    same = app_client.post("/api/v1/tokens", json={"name": "x", "scopes": ["write"]})
    assert same.status_code == 201


def test_expired_token_is_401(app_client: TestClient, session: Session) -> None:
    user = make_user(session)
    secret = token_for(session, user)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id)
        .values(expires_at=utc_now() - timedelta(minutes=1))
    )
    session.commit()
    bearer(app_client, secret)
    response = app_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_revoked_token_is_401(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    created = app_client.post("/api/v1/tokens", json={"name": "tmp", "scopes": ["write"]}).json()
    assert app_client.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    bearer(app_client, created["token"])
    assert app_client.get("/api/v1/me").status_code == 401


def test_invalid_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    response = app_client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["root"], "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"scopes", "expires_at"}


def test_only_admins_see_or_mint_others_tokens(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    other = make_user(session)
    token_for(session, other)
    session.commit()
    others = app_client.get("/api/v1/tokens", params={"user_id": str(other.id)})
    assert others.status_code == 403
    minted = app_client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"], "user_id": str(other.id)}
    )
    assert minted.status_code == 403
    theirs = session.scalar(select(ApiToken.id).where(ApiToken.user_id == other.id))
    assert app_client.delete(f"/api/v1/tokens/{theirs}").status_code == 404

    api_as(app_client, session, Role.ADMIN)
    listed = app_client.get("/api/v1/tokens", params={"user_id": str(other.id)})
    assert [t["id"] for t in listed.json()["items"]] == [str(theirs)]
