"""Event sources admin and the event debugger through the browser's forms."""

from __future__ import annotations

import base64
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account
from kizuna.models import EventSource, UsageUser
from kizuna.models.enums import Role
from webtools import csrf_of, web_login

_KEY = re.compile(r'data-testid="write-key" [^>]*|value="(kzw_[^"]+)"')


def submit(client: TestClient, url: str, data: dict[str, Any], *, page: str = "") -> Response:
    token = csrf_of(client.get(page or url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def shown_key(html: str) -> str:
    match = re.search(r'value="(kzw_[^"]+)"', html)
    assert match, "no write key on the page"
    return match.group(1)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_admin_creates_a_source_and_sees_the_key_once(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.ADMIN)
    assert "/admin/event-sources" in app_client.get("/admin/event-sources").text
    created = submit(
        app_client,
        "/admin/event-sources/new",
        {
            "name": "Web app",
            "group_match": "domain",
            "trait_1": "employees",
            "target_1": "employee_count",
        },
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    key = shown_key(created.text)
    assert 'host="http://testserver"' in created.text  # the snippet points at this server
    session.expire_all()
    source = session.scalar(select(EventSource).where(EventSource.name == "Web app"))
    assert source is not None
    assert (source.group_match, source.trait_mapping) == ("domain", {"employees": "employee_count"})
    assert key not in app_client.get(f"/admin/event-sources/{source.id}").text
    sent = app_client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(key))
    assert sent.status_code == 200


def test_edit_disable_rotate_and_bad_mapping(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    first = submit(app_client, "/admin/event-sources/new", {"name": "App"})
    old_key = shown_key(first.text)
    session.expire_all()
    source = session.scalar(select(EventSource).where(EventSource.name == "App"))
    assert source is not None
    url = f"/admin/event-sources/{source.id}"

    bad = submit(app_client, url, {"name": "App", "trait_1": "seats", "target_1": "mrr_amount"})
    assert bad.status_code == 422
    assert 'data-testid="error-trait_mapping"' in bad.text

    saved = submit(app_client, url, {"name": "App", "trait_1": "industry", "target_1": "industry"})
    assert saved.status_code == 303
    session.expire_all()
    refreshed = session.get(EventSource, source.id)
    assert refreshed is not None
    assert refreshed.enabled is False  # the checkbox was not sent
    assert refreshed.trait_mapping == {"industry": "industry"}
    refused = app_client.post(
        "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(old_key)
    )
    assert refused.status_code == 403

    rotated = submit(app_client, f"{url}/rotate", {}, page=url)
    new_key = shown_key(rotated.text)
    assert new_key != old_key
    submit(app_client, url, {"name": "App", "enabled": "true"})
    assert (
        app_client.post(
            "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(new_key)
        ).status_code
        == 200
    )

    deleted = submit(app_client, f"{url}/delete", {}, page=url)
    assert deleted.status_code == 409  # its event still waits in the inbox
    assert 'data-testid="alert"' in deleted.text


def test_debugger_shows_events_rejections_and_links_groups(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, name="株式会社アクメ", external_id="ACME-9")
    web_login(app_client, session, Role.ADMIN)
    key = shown_key(submit(app_client, "/admin/event-sources/new", {"name": "App"}).text)
    batch = [
        {"type": "group", "userId": "u-1", "groupId": "legacy-1", "traits": {"name": "Acme old"}},
        {"type": "track", "userId": "u-1", "event": "Report Exported"},
        {"type": "track", "userId": "u-2"},
    ]
    app_client.post("/v1/batch", json={"batch": batch}, headers=basic(key))

    page = app_client.get("/usage/debugger")
    assert page.status_code == 200
    assert "Report Exported" in page.text
    assert "event: required for track" in page.text
    assert "legacy-1" in page.text
    partial = app_client.get("/usage/debugger/events")
    assert 'hx-trigger="every 3s"' in partial.text
    assert "<html" not in partial.text

    group_row = re.search(r'action="/usage/debugger/groups/([0-9a-f-]+)/link"', page.text)
    assert group_row
    url = f"/usage/debugger/groups/{group_row.group(1)}/link"
    missing = submit(app_client, url, {"account": "no such"}, page="/usage/debugger")
    assert missing.status_code == 303
    linked = submit(app_client, url, {"account": "ACME-9"}, page="/usage/debugger")
    assert linked.status_code == 303
    session.expire_all()
    user = session.scalar(select(UsageUser).where(UsageUser.user_id == "u-1"))
    assert user is not None
    assert user.account_id == account.id
    assert "株式会社アクメ" in app_client.get("/usage/debugger/events").text


def test_readers_use_the_debugger_but_not_the_admin(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/usage/debugger")
    assert page.status_code == 200
    assert "/link" not in page.text  # linking is for source admins
    assert app_client.get("/admin/event-sources", follow_redirects=False).status_code == 403
