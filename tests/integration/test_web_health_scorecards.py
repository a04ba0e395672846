"""The scorecard admin pages: list, editor (rows added, errors next to fields), save into
a draft, publish, YAML download and upload; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.health import scorecards
from kizuna.models.enums import Role
from webtools import csrf_of, web_login

SYSTEM = Actor.system("test")
_INPUT = re.compile(r'<input name="([^"]+)" value="([^"]*)"')
_SELECTED = re.compile(r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', re.S)


def form_of(html: str) -> dict[str, Any]:
    """The editor's fields as the browser would send them (inputs and selected options)."""
    data: dict[str, Any] = dict(_INPUT.findall(html))
    for name, value in _SELECTED.findall(html):
        data.setdefault(name, value)
    data["csrf_token"] = csrf_of(html)
    return data


def test_list_and_editor_render_in_japanese_and_english(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.ADMIN, locale="en")
    page = app_client.get("/admin/scorecards")
    assert "Health scorecards" in page.text
    assert "Rescore now" in page.text
    web_login(app_client, session, Role.ADMIN)
    page = app_client.get("/admin/scorecards")
    assert page.status_code == 200
    assert "ヘルススコアカード" in page.text
    assert "標準ヘルススコア (DEAR)" in page.text
    editor = app_client.get("/admin/scorecards/default")
    assert editor.status_code == 200
    assert 'name="m-0-signal"' in editor.text
    assert "導入完了度" in editor.text  # groups and the signal picker's optgroups
    assert "/admin/scorecards/default/lab" in editor.text


def test_save_makes_a_draft_and_publish_retires(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    data = form_of(app_client.get("/admin/scorecards/default").text)
    assert data["m-0-kind"] == "linear"
    data.update({"m-0-weight": "5", "note": "オンボーディング重視"})
    saved = app_client.post("/admin/scorecards/default", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    detail = scorecards.get_scorecard(session, SYSTEM, "default")
    assert (detail.published_version, detail.draft_version) == (1, 2)
    assert detail.definition["measures"][0]["weight"] == 5
    editor = app_client.get("/admin/scorecards/default")
    published = app_client.post(
        "/admin/scorecards/default/publish",
        data={"csrf_token": csrf_of(editor.text), "note": ""},
        follow_redirects=False,
    )
    assert published.status_code == 303
    detail = scorecards.get_scorecard(session, SYSTEM, "default")
    assert [(v.number, v.status) for v in detail.versions] == [(2, "published"), (1, "retired")]


def test_errors_are_shown_next_to_the_field(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    data = form_of(app_client.get("/admin/scorecards/default").text)
    tenure = next(k[:-3] for k, v in data.items() if k.endswith("-key") and v == "tenure")
    data.update({f"{tenure}steps": "90:60, 0:30", "m-0-weight": "heavy", "g-1-weight": "0"})
    response = app_client.post("/admin/scorecards/default", data=data)
    assert response.status_code == 422
    assert f'data-testid="error-{tenure}steps"' in response.text or (
        f'data-testid="error-{tenure}scoring"' in response.text
    )
    assert 'data-testid="error-m-0-weight"' in response.text
    assert 'data-testid="error-g-1-weight"' in response.text
    assert 'value="heavy"' in response.text  # what was typed stays
    assert "数値で入力してください" in response.text
    data.update({"m-1-missing": "fixed", "m-1-missing_points": ""})
    response = app_client.post("/admin/scorecards/default", data=data)
    assert 'data-testid="error-m-1-missing_points"' in response.text
    assert scorecards.get_scorecard(session, SYSTEM, "default").draft_version is None


def test_add_and_remove_rows_without_saving(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    data = form_of(app_client.get("/admin/scorecards/new").text)
    count = len([k for k in data if k.startswith("m-") and k.endswith("-key")])
    added = app_client.post("/admin/scorecards/new", data={**data, "action": "add_measure"})
    assert f'name="m-{count}-key"' in added.text
    removed = app_client.post("/admin/scorecards/new", data={**data, "action": "remove_measure_0"})
    assert f'name="m-{count - 2}-key"' in removed.text
    assert f'name="m-{count - 1}-key"' not in removed.text
    created = app_client.post(
        "/admin/scorecards/new",
        data={**data, "key": "enterprise", "name": "大企業向け", "tiers": "tier1"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    detail = scorecards.get_scorecard(session, SYSTEM, "enterprise")
    assert detail.draft_version == 1
    assert [t.value for t in detail.applies_to.tiers] == ["tier1"]


def test_yaml_download_and_upload(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    text = app_client.get("/admin/scorecards/default/yaml").text
    page = app_client.get("/admin/scorecards")
    response = app_client.post(
        "/admin/scorecards-import",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("s.yaml", text.replace("key: default", "key: copied"), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/scorecards/copied"
    bad = app_client.post(
        "/admin/scorecards-import",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("s.yaml", "key: [", "application/yaml")},
    )
    assert bad.status_code == 422
    assert 'data-testid="import-error"' in bad.text


def test_csms_cannot_open_the_admin(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM)
    assert app_client.get("/admin/scorecards").status_code == 403
