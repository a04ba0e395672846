"""Task pages over HTTP (SQLite and PostgreSQL): the cockpit in Japanese and English, row
actions through HTMX and plain forms, the Account 360 panel, a task's page, the nav badge
and KAI."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_team, make_user
from kizuna.auth.service import actor_for_user
from kizuna.kit.clock import today, utc_now
from kizuna.models import Activity, Playbook, Task, User
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import TaskStatus
from kizuna.task import service
from kizuna.task.schemas import TaskCreate
from webtools import csrf_of, web_login

TODAY = today("Asia/Tokyo")
HTMX = {"HX-Request": "true"}


def _task(session: Session, user_id: uuid.UUID, **fields: object) -> Task:
    owner = session.get(User, user_id)
    assert owner is not None
    data = {"account_id": make_account(session, name="株式会社サンプル").id, "title": "QBR準備"}
    task = service.create_task(
        session, actor_for_user(owner), TaskCreate.model_validate(data | fields)
    )
    session.commit()
    return task


def test_cockpit_in_japanese_with_counts_and_overdue(
    app_client: TestClient, session: Session
) -> None:
    me = web_login(app_client, session, Role.CSM)
    _task(session, me.id, title="期限切れの電話", due_on=TODAY - timedelta(days=2))
    _task(session, me.id, title="今日の会議", due_on=TODAY)
    _task(session, me.id, title="来週の準備", due_on=TODAY + timedelta(days=6))
    page = app_client.get("/tasks")
    assert page.status_code == 200
    html = page.text
    assert "今日" in html
    assert "期限切れ" in html
    assert "期限切れの電話" in html
    assert "今日の会議" in html
    assert "来週の準備" not in html  # upcoming, not today
    assert "2日超過" in html
    assert 'class="due due-late"' in html
    assert 'data-testid="tab-team"' not in html  # a CSM has no team view
    upcoming = app_client.get("/tasks", params={"tab": "upcoming"}).text
    assert "来週の準備" in upcoming
    assert "あと6日" in upcoming
    badge = app_client.get("/tasks/badge").text
    assert 'data-testid="tasks-badge"' in badge
    assert ">2<" in badge
    assert app_client.get("/tasks", params={"tab": "team"}).status_code == 200


def test_cockpit_in_english(app_client: TestClient, session: Session) -> None:
    me = web_login(app_client, session, Role.CSM, locale="en")
    _task(session, me.id, title="Call back", due_on=TODAY - timedelta(days=1))
    html = app_client.get("/tasks").text
    assert "Today" in html
    assert "1 day overdue" in html
    assert "Complete" in html


def test_complete_through_htmx_returns_the_row_and_logs_an_activity(
    app_client: TestClient, session: Session
) -> None:
    me = web_login(app_client, session, Role.CSM)
    task = _task(session, me.id, due_on=TODAY)
    csrf = csrf_of(app_client.get("/tasks").text)
    response = app_client.post(
        f"/tasks/{task.id}/complete",
        data={
            "csrf_token": csrf,
            "outcome": "done_success",
            "log_activity": "proposal",
            "note": "見積送付",
            "back": "/tasks",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "tasks-changed"
    assert f'id="task-{task.id}"' in response.text
    assert "タスクを完了しました。" in response.text
    session.expire_all()
    done = session.get(Task, task.id)
    assert done is not None
    assert done.status is TaskStatus.DONE
    activity = session.get(Activity, done.activity_id)
    assert activity is not None
    assert activity.kind is ActivityKind.PROPOSAL
    # completing again: the row says why, nothing changes
    again = app_client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf, "outcome": "not_needed"},
        headers=HTMX,
    )
    assert "すでにクローズ済み" in again.text
    assert "HX-Trigger" not in again.headers


def test_plain_forms_redirect_back_with_a_message(app_client: TestClient, session: Session) -> None:
    me = web_login(app_client, session, Role.CSM)
    task = _task(session, me.id, due_on=TODAY, steps=[{"title": "資料"}])
    csrf = csrf_of(app_client.get(f"/tasks/{task.id}").text)
    snoozed = app_client.post(
        f"/tasks/{task.id}/snooze",
        data={"csrf_token": csrf, "choice": "tomorrow", "back": "/tasks?tab=today"},
        follow_redirects=False,
    )
    assert snoozed.status_code == 303
    assert snoozed.headers["location"] == "/tasks?tab=today"
    session.expire_all()
    stored = session.get(Task, task.id)
    assert stored is not None
    assert stored.snoozed_until == TODAY + timedelta(days=1)
    assert "QBR準備" not in app_client.get("/tasks").text
    off_site = app_client.post(
        f"/tasks/{task.id}/steps/0",
        data={"csrf_token": csrf, "done": "true", "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert off_site.headers["location"] == f"/tasks/{task.id}"
    session.expire_all()
    assert session.get(Task, task.id).steps[0]["done"] is True  # type: ignore[union-attr]
    bad = app_client.post(
        f"/tasks/{task.id}/snooze",
        data={"csrf_token": csrf, "choice": "date", "until": TODAY.isoformat()},
        headers=HTMX,
    )
    assert "明日以降の日付を選んでください。" in bad.text


def test_account_panel_and_new_task_form(app_client: TestClient, session: Session) -> None:
    me = web_login(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    detail = app_client.get(f"/accounts/{account.id}").text
    assert f'hx-get="/accounts/{account.id}/tasks-panel"' in detail
    csrf = csrf_of(detail)
    blank = app_client.post(f"/accounts/{account.id}/tasks", data={"csrf_token": csrf, "title": ""})
    assert blank.status_code == 422
    made = app_client.post(
        f"/accounts/{account.id}/tasks",
        data={
            "csrf_token": csrf,
            "title": "キックオフ日程調整",
            "due_on": TODAY.isoformat(),
            "priority": "urgent",
            "steps": "候補日を送る\n\n資料を共有\n",
        },
        headers=HTMX,
    )
    assert made.status_code == 200
    assert "キックオフ日程調整" in made.text
    task = session.scalars(select(Task).where(Task.account_id == account.id)).one()
    assert task.assignee_id == me.id
    assert [s["title"] for s in task.steps] == ["候補日を送る", "資料を共有"]
    panel = app_client.get(f"/accounts/{account.id}/tasks-panel").text
    assert "キックオフ日程調整" in panel
    assert "緊急" in panel


def test_task_page_shows_why_a_playbook_created_it(
    app_client: TestClient, session: Session
) -> None:
    me = web_login(app_client, session, Role.CSM)
    playbook = Playbook(key=f"drop-{uuid.uuid4().hex[:6]}", name="ヘルス急落レビュー")
    session.add(playbook)
    session.flush()
    task = Task(
        account_id=make_account(session).id,
        title="状況確認",
        source="playbook",
        playbook_id=playbook.id,
        playbook_version=3,
        assignee_id=me.id,
        due_on=TODAY,
        why={
            "trigger": {"type": "health_dropped", "points": 10, "days": 7},
            "checks": [
                {
                    "fact": "health.change_7d",
                    "op": "lte",
                    "value": -10,
                    "actual": -14,
                    "passed": True,
                }
            ],
            "audience": [
                {
                    "fact": "account.tier",
                    "op": "in",
                    "value": ["tier1"],
                    "actual": "tier1",
                    "passed": True,
                }
            ],
        },
    )
    session.add(task)
    session.commit()
    html = app_client.get(f"/tasks/{task.id}").text
    assert "このタスクが作られた理由" in html
    assert "7日間でヘルススコアが10ポイント以上低下" in html
    assert "ヘルス急落レビュー" in html
    assert "v3" in html
    assert "-14" in html
    assert "ティア 1" in html or "Tier 1" in html
    cockpit = app_client.get("/tasks", params={"playbook_id": str(playbook.id)}).text
    assert "状況確認" in cockpit


def test_team_tab_for_managers(app_client: TestClient, session: Session) -> None:
    team = make_team(session)
    csm = make_user(session, Role.CSM, team_id=team.id, name="鈴木 一郎")
    session.commit()
    _task(session, csm.id, title="チームの仕事")
    web_login(app_client, session, Role.MANAGER, team_id=team.id)
    html = app_client.get("/tasks", params={"tab": "team"}).text
    assert 'data-testid="tab-team"' in html
    assert "チームの仕事" in html
    assert "鈴木 一郎" in html
    # with nothing of their own, a manager lands on the team's work
    landing = app_client.get("/tasks").text
    assert 'class="tab active" data-testid="tab-team"' in landing
    assert "チームの仕事" in landing


def test_kai_page_and_csv(app_client: TestClient, session: Session) -> None:
    team = make_team(session)
    me = web_login(app_client, session, Role.MANAGER, team_id=team.id)
    session.add(
        Activity(
            account_id=make_account(session).id,
            kind=ActivityKind.PROPOSAL,
            subject="提案",
            occurred_at=utc_now(),
            author_id=me.id,
        )
    )
    session.commit()
    page = app_client.get("/tasks/kai")
    assert page.status_code == 200
    assert "KAI: 担当者ごとの行動量" in page.text
    assert 'id="kai-chart"' in page.text
    assert 'data-testid="kai-proposals">1<' in page.text
    team_page = app_client.get("/tasks/kai", params={"who": "team", "period": "week"})
    assert 'data-testid="kai-people"' in team_page.text
    assert "チーム合計" in team_page.text
    csv_response = app_client.get("/tasks/kai.csv", params={"period": "quarter"})
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.content.startswith("\ufeff".encode())
    assert "proposals" in csv_response.text.splitlines()[0]
