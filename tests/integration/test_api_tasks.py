"""/api/v1/tasks and /api/v1/kai over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account, make_team, make_user, token_for
from kizuna.kit.clock import today
from kizuna.models import Activity
from kizuna.models.enums import Role

TODAY = today("Asia/Tokyo")


def test_create_list_get_update_and_complete_with_an_activity(
    app_client: TestClient, session: Session
) -> None:
    me = api_as(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/tasks",
        json={
            "account_id": str(account.id),
            "title": "更新前のヒアリング",
            "due_on": TODAY.isoformat(),
            "priority": "high",
            "steps": [{"title": "議題を送る"}, {"title": "日程調整"}],
        },
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["assignee_id"] == str(me.id)
    assert task["bucket"] == "today"
    assert task["account_name"] == account.name

    listed = app_client.get("/api/v1/tasks", params={"view": "today"}).json()
    assert [t["id"] for t in listed["items"]] == [task["id"]]
    counts = app_client.get("/api/v1/tasks/counts").json()
    assert (counts["today"], counts["open"]) == (1, 1)

    ticked = app_client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"steps": [{"title": "議題を送る", "done": True}, {"title": "日程調整"}]},
    )
    assert ticked.json()["steps"][0]["done"] is True

    done = app_client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"outcome": "done_success", "note": "合意", "log_activity": "meeting"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["outcome"]) == ("done", "done_success")
    activity = app_client.get(f"/api/v1/activities/{body['activity_id']}").json()
    assert (activity["kind"], activity["subject"], activity["author_id"]) == (
        "meeting",
        "更新前のヒアリング",
        str(me.id),
    )
    again = app_client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "done_success"}
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_a_bad_activity_kind_leaves_the_task_open(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    task = app_client.post(
        "/api/v1/tasks", json={"account_id": str(account.id), "title": "電話する"}
    ).json()
    before = session.scalar(select(func.count(Activity.id)))
    bad = app_client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"outcome": "done_success", "log_activity": "carrier_pigeon"},
    )
    assert bad.status_code == 422
    assert "log_activity" in bad.text
    bad_outcome = app_client.post(f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "maybe"})
    assert bad_outcome.status_code == 422
    assert app_client.get(f"/api/v1/tasks/{task['id']}").json()["status"] == "open"
    assert session.scalar(select(func.count(Activity.id))) == before


def test_snooze_reassign_cancel_and_reopen(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    team = make_team(session)
    colleague = make_user(session, Role.CSM, team_id=team.id)
    account = make_account(session)
    session.commit()
    task = app_client.post(
        "/api/v1/tasks",
        json={"account_id": str(account.id), "title": "QBR準備", "due_on": TODAY.isoformat()},
    ).json()
    past = app_client.post(f"/api/v1/tasks/{task['id']}/snooze", json={"until": TODAY.isoformat()})
    assert past.status_code == 422
    assert past.json()["errors"][0]["loc"] == ["body", "until"]
    snoozed = app_client.post(
        f"/api/v1/tasks/{task['id']}/snooze",
        json={"until": (TODAY + timedelta(days=2)).isoformat()},
    ).json()
    assert snoozed["bucket"] == "upcoming"
    assert app_client.get("/api/v1/tasks", params={"view": "today"}).json()["items"] == []

    moved = app_client.post(
        f"/api/v1/tasks/{task['id']}/reassign", json={"assignee_id": str(colleague.id)}
    ).json()
    assert (moved["assignee_id"], moved["team_id"], moved["team_name"]) == (
        str(colleague.id),
        str(team.id),
        team.name,
    )
    cancelled = app_client.post(f"/api/v1/tasks/{task['id']}/cancel", json={"note": "不要"})
    assert cancelled.json()["status"] == "cancelled"
    assert app_client.post(f"/api/v1/tasks/{task['id']}/cancel").status_code == 409
    reopened = app_client.post(f"/api/v1/tasks/{task['id']}/reopen").json()
    assert reopened["status"] == "open"


def test_team_scope_needs_team_read(app_client: TestClient, session: Session) -> None:
    team = make_team(session)
    csm = make_user(session, Role.CSM, team_id=team.id)
    manager = make_user(session, Role.MANAGER, team_id=team.id)
    account = make_account(session)
    session.commit()
    app_client.headers["Authorization"] = f"Bearer {token_for(session, csm)}"
    session.commit()
    made = app_client.post(
        "/api/v1/tasks", json={"account_id": str(account.id), "title": "フォロー"}
    ).json()
    refused = app_client.get("/api/v1/tasks", params={"scope": "team"})
    assert refused.status_code == 403
    app_client.headers["Authorization"] = f"Bearer {token_for(session, manager)}"
    session.commit()
    items = all_pages(app_client, "/api/v1/tasks", {"scope": "team"})
    assert [t["id"] for t in items] == [made["id"]]
    assert app_client.get("/api/v1/tasks", params={"scope": "all"}).status_code == 403


def test_read_scoped_tokens_and_read_only_users_cannot_write(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account = make_account(session)
    session.commit()
    response = app_client.post("/api/v1/tasks", json={"account_id": str(account.id), "title": "x"})
    assert response.status_code == 403
    api_as(app_client, session, Role.CSM, scopes=["read"])
    assert (
        app_client.post(
            "/api/v1/tasks", json={"account_id": str(account.id), "title": "x"}
        ).status_code
        == 403
    )
    assert app_client.get("/api/v1/tasks").status_code == 200


def test_kai_api_counts_my_actions(app_client: TestClient, session: Session) -> None:
    me = api_as(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    for kind in ("call", "call", "proposal", "meeting"):
        app_client.post(
            "/api/v1/activities",
            json={
                "account_id": str(account.id),
                "kind": kind,
                "subject": "KAI",
                "occurred_at": f"{TODAY.isoformat()}T03:00:00+09:00",
            },
        )
    report = app_client.get("/api/v1/kai", params={"period": "week"}).json()
    assert report["period"] == "week"
    assert [p["user_id"] for p in report["people"]] == [str(me.id)]
    total = report["total"]
    assert (total["calls"], total["proposals"], total["meetings"]) == (2, 1, 1)
    assert len(report["totals"]) == 6
    assert report["totals"][-1]["counts"]["calls"] == 2
    assert app_client.get("/api/v1/kai", params={"team_id": str(me.id)}).status_code == 403
