"""The playbook pages: list, builder (rows added, errors next to fields), save as draft,
the inline dry run, publish, evaluate now, detail with why, versions and snoozes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account
from kizuna.models import Task
from kizuna.models.enums import Role
from webtools import csrf_of, web_login


def _form(csrf: str, **extra: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf, "key": "web_pb", "name": "ウェブ", "description": "",
        "team_id": "", "note": "", "t-type": "renewal_in", "t-renewal_days": "",
        "audience_segment": "", "ac.match": "all", "ac.present": "1",
        "ac.0.kind": "rule", "ac.0.fact": "account.employee_count", "ac.0.op": "gte",
        "ac.0.value": "100",
        "x-0-type": "create_task", "x-0-title": "電話: {account}", "x-0-assignee": "owner:csm",
        "x-0-due_in_days": "3", "x-0-priority": "high", "x-0-steps": "準備\n電話",
        "x-0-description": "", "cooldown_days": "0",
    }  # fmt: skip
    data.update(extra)
    return data


def test_build_dry_run_publish_and_see_the_why(app_client: TestClient, session: Session) -> None:
    make_account(session, name="ページ社", employee_count=300)
    session.commit()
    web_login(app_client, session, Role.MANAGER)
    listing = app_client.get("/playbooks")
    assert listing.status_code == 200
    assert "プレイブック" in listing.text
    editor = app_client.get("/playbooks/new")
    assert 'name="t-type"' in editor.text
    csrf = csrf_of(editor.text)

    # "add an e-mail" re-renders the form one row longer, saving nothing.
    more = app_client.post("/playbooks/new", data=_form(csrf, action="add_email_owner"))
    assert 'name="x-1-subject"' in more.text
    # A missing number is named next to its field.
    bad = app_client.post("/playbooks/new", data=_form(csrf), follow_redirects=False)
    assert bad.status_code == 422
    assert 'data-testid="error-t-days"' in bad.text

    saved = app_client.post("/playbooks/new", data=_form(csrf, **{
        "t-type": "condition", "tc.match": "all", "tc.present": "1", "tc.0.kind": "rule",
        "tc.0.fact": "account.employee_count", "tc.0.op": "gte", "tc.0.value": "200",
    }), follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/playbooks/web_pb/edit"

    dry = app_client.post("/playbooks/web_pb/dry-run", data=_form(csrf, **{
        "t-type": "condition", "tc.match": "all", "tc.present": "1", "tc.0.kind": "rule",
        "tc.0.fact": "account.employee_count", "tc.0.op": "gte", "tc.0.value": "200",
    }))  # fmt: skip
    assert dry.status_code == 200
    assert "ページ社" in dry.text
    assert 'data-testid="would-fire">1<' in dry.text
    assert session.scalar(select(Task)) is None

    detail = app_client.get("/playbooks/web_pb")
    assert 'data-testid="publish"' in detail.text
    published = app_client.post("/playbooks/web_pb/publish", data={"csrf_token": csrf},
                                follow_redirects=False)  # fmt: skip
    assert published.status_code == 303
    ran = app_client.post("/playbooks/web_pb/run", data={"csrf_token": csrf})
    assert ran.status_code == 200
    task = session.scalar(select(Task))
    assert task is not None
    assert task.title == "電話: ページ社"
    detail = app_client.get("/playbooks/web_pb")
    assert 'data-testid="firing"' in detail.text
    assert "従業員数" in detail.text  # the why, with the fact's name
    until = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    snoozed = app_client.post("/playbooks/web_pb/snooze", data={
        "csrf_token": csrf, "account_id": str(task.account_id), "until": until,
    })  # fmt: skip
    assert "ページ社" in snoozed.text.split('data-testid="snoozes"')[1]

    # Editing makes draft v2, and the versions show the difference.
    form = _form(csrf, **{"t-type": "condition", "tc.match": "all", "tc.present": "1",
                 "tc.0.kind": "rule", "tc.0.fact": "account.employee_count", "tc.0.op": "gte",
                 "tc.0.value": "250"})  # fmt: skip
    app_client.post("/playbooks/web_pb/edit", data=form)
    app_client.post("/playbooks/web_pb/publish", data={"csrf_token": csrf})
    versions = app_client.get("/playbooks/web_pb").text.split('data-testid="versions"')[1]
    assert "v2" in versions
    assert "+" in versions
    assert "250" in versions


def test_readers_see_but_cannot_build(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM, locale="en")
    page = app_client.get("/playbooks")
    assert page.status_code == 200
    assert "New playbook" not in page.text
    assert app_client.get("/playbooks/new").status_code == 403
