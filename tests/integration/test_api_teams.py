"""Teams through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_team, make_user
from kizuna.models import User
from kizuna.models.enums import Role, TeamKind


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    created = app_client.post("/api/v1/teams", json={"name": "CS第一チーム", "kind": "csm"})
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["member_count"] == 0

    member = make_user(session, Role.CSM)
    member.team_id = uuid.UUID(team["id"])
    session.commit()
    got = app_client.get(f"/api/v1/teams/{team['id']}").json()
    assert got["member_count"] == 1
    members = app_client.get(f"/api/v1/teams/{team['id']}/members").json()["items"]
    assert [m["id"] for m in members] == [str(member.id)]

    patched = app_client.patch(f"/api/v1/teams/{team['id']}", json={"kind": "cs_ops"})
    assert (patched.json()["kind"], patched.json()["name"]) == ("cs_ops", "CS第一チーム")

    assert app_client.delete(f"/api/v1/teams/{team['id']}").status_code == 204
    assert app_client.get(f"/api/v1/teams/{team['id']}").status_code == 404
    session.expire_all()
    assert session.get_one(User, member.id).team_id is None  # members stay, without a team


def test_duplicate_name_and_bad_kind_name_the_field(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.ADMIN)
    make_team(session, name="サポート")
    session.commit()
    duplicate = app_client.post("/api/v1/teams", json={"name": "サポート", "kind": "support"})
    assert duplicate.status_code == 422
    assert [e["field"] for e in duplicate.json()["errors"]] == ["name"]
    bad = app_client.post("/api/v1/teams", json={"name": "X", "kind": "pirates"})
    assert [e["field"] for e in bad.json()["errors"]] == ["kind"]


def test_list_is_sorted_by_name_with_counts(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    b = make_team(session, TeamKind.SALES, name="B営業")
    make_team(session, TeamKind.SUPPORT, name="Aサポート")
    make_user(session, team_id=b.id)
    session.commit()
    page = app_client.get("/api/v1/teams").json()
    mine = [
        (t["name"], t["member_count"]) for t in page["items"] if t["name"] in {"B営業", "Aサポート"}
    ]
    assert mine == [("Aサポート", 0), ("B営業", 1)]
    assert page["next_cursor"] is None


def test_non_admins_cannot_manage_teams(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    team = make_team(session)
    session.commit()
    assert app_client.post("/api/v1/teams", json={"name": "X", "kind": "csm"}).status_code == 403
    assert app_client.delete(f"/api/v1/teams/{team.id}").status_code == 403
    assert app_client.get(f"/api/v1/teams/{team.id}").status_code == 200
