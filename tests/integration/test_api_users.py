"""Users and /me through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import PASSWORD, all_pages, api_as, make_team, make_user, token_for
from kizuna.auth.passwords import verify_password
from kizuna.kit.clock import utc_now
from kizuna.models import User
from kizuna.models.enums import Role


def test_create_read_update_deactivate(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    team = make_team(session)
    session.commit()
    created = app_client.post(
        "/api/v1/users",
        json={
            "email": "Sato@Example.JP",
            "name": "佐藤 一郎",
            "role": "csm",
            "password": "kizuna-secret-42",
            "team_id": str(team.id),
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "sato@example.jp"
    assert "password_hash" not in user
    assert "password" not in user
    stored = session.scalar(select(User).where(User.email == "sato@example.jp"))
    assert stored is not None
    assert verify_password(stored.password_hash, "kizuna-secret-42")

    got = app_client.get(f"/api/v1/users/{user['id']}").json()
    assert (got["team_id"], got["timezone"]) == (str(team.id), "Asia/Tokyo")

    patched = app_client.patch(
        f"/api/v1/users/{user['id']}",
        json={"role": "manager", "locale": "en", "capacity_accounts": 40, "team_id": None},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["role"], patched.json()["locale"]) == ("manager", "en")
    assert (patched.json()["capacity_accounts"], patched.json()["team_id"]) == (40, None)

    assert app_client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert app_client.get(f"/api/v1/users/{user['id']}").json()["is_active"] is False


def test_invalid_input_names_the_field(app_client: TestClient, session: Session) -> None:
    admin = api_as(app_client, session, Role.ADMIN)
    base = {"name": "X", "role": "csm", "password": "kizuna-secret-42"}
    duplicate = app_client.post("/api/v1/users", json={**base, "email": admin.email.upper()})
    assert duplicate.status_code == 422
    assert [e["field"] for e in duplicate.json()["errors"]] == ["email"]

    weak = app_client.post("/api/v1/users", json={**base, "email": "a@b.jp", "password": "short"})
    assert [e["field"] for e in weak.json()["errors"]] == ["password"]

    zone = app_client.patch(f"/api/v1/users/{admin.id}", json={"timezone": "Mars/Olympus"})
    assert [e["field"] for e in zone.json()["errors"]] == ["timezone"]


def test_last_admin_cannot_be_demoted_or_deactivated(
    app_client: TestClient, session: Session
) -> None:
    for other in session.scalars(select(User).where(User.role == Role.ADMIN)):
        other.is_active = False
    admin = api_as(app_client, session, Role.ADMIN)
    demote = app_client.patch(f"/api/v1/users/{admin.id}", json={"role": "csm"})
    assert demote.status_code == 409
    assert demote.json()["code"] == "last_admin"
    assert app_client.delete(f"/api/v1/users/{admin.id}").status_code == 409


def test_unlock_and_set_password(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    locked = make_user(session, locked_until=utc_now() + timedelta(minutes=10), failed_logins=3)
    session.commit()
    unlocked = app_client.post(f"/api/v1/users/{locked.id}/unlock")
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked_until"] is None

    changed = app_client.put(
        f"/api/v1/users/{locked.id}/password", json={"password": "another-secret-7"}
    )
    assert changed.status_code == 204
    session.expire_all()
    assert verify_password(session.get_one(User, locked.id).password_hash, "another-secret-7")


def test_me_reads_and_updates_own_profile(app_client: TestClient, session: Session) -> None:
    me = api_as(app_client, session, Role.READ_ONLY)
    assert app_client.get("/api/v1/me").json()["id"] == str(me.id)
    patched = app_client.patch("/api/v1/me", json={"locale": "en", "timezone": "Europe/Paris"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["locale"], patched.json()["timezone"]) == ("en", "Europe/Paris")
    assert patched.json()["role"] == "read_only"

    wrong = app_client.post(
        "/api/v1/me/password", json={"current_password": "nope", "new_password": "x" * 12}
    )
    assert [e["field"] for e in wrong.json()["errors"]] == ["current_password"]
    ok = app_client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "brand-new-pass-1"},
    )
    assert ok.status_code == 204


def test_read_scoped_token_cannot_change_the_profile(
    app_client: TestClient, session: Session
) -> None:
    me = make_user(session)
    app_client.headers["Authorization"] = f"Bearer {token_for(session, me, ['read'])}"
    session.commit()
    assert app_client.get("/api/v1/me").status_code == 200
    assert app_client.patch("/api/v1/me", json={"locale": "en"}).status_code == 403


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    team = make_team(session)
    for name in ["青木", "石井", "上田", "江藤", "大野"]:
        make_user(session, Role.SUPPORT, name=name, team_id=team.id)
    make_user(session, Role.SUPPORT, name="退職者", team_id=team.id, is_active=False)
    session.commit()
    params = {"team_id": str(team.id), "is_active": "true", "sort": "-name", "limit": 2}
    names = [u["name"] for u in all_pages(app_client, "/api/v1/users", params)]
    assert names == sorted(["青木", "石井", "上田", "江藤", "大野"], reverse=True)
    found = app_client.get("/api/v1/users", params={"q": "退職"}).json()["items"]
    assert [u["name"] for u in found] == ["退職者"]


def test_non_admins_cannot_manage_users(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    other = make_user(session)
    session.commit()
    body = {"email": "n@example.jp", "name": "N", "role": "csm", "password": "kizuna-secret-42"}
    assert app_client.post("/api/v1/users", json=body).status_code == 403
    assert app_client.post(f"/api/v1/users/{other.id}/unlock").status_code == 403
    assert app_client.get(f"/api/v1/users/{other.id}").status_code == 200
