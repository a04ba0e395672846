"""Every page declares one permission, and every role gets 403 exactly where it lacks it."""

from __future__ import annotations

import re
import uuid
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import PASSWORD, make_user
from kizuna.auth import service as auth
from kizuna.auth.permissions import ROLE_PERMISSIONS, Permission
from kizuna.models.enums import Role
from kizuna.web.deps import SESSION_COOKIE
from routing import route_permission, routes

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_every_page_declares_exactly_one_permission(app_client: TestClient) -> None:
    pages = routes(cast(FastAPI, app_client.app), api=False)
    assert {"/portfolio", "/accounts/{account_id}", "/login"} <= {p for p, _ in pages}
    problems = []
    for path, route in pages:
        try:
            route_permission(path, route)
        except AssertionError as exc:
            problems.append(str(exc))
    assert problems == []


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(app_client: TestClient, session: Session, role: Role) -> None:
    make_user(session, role, email=f"{role.value}@matrix.test")
    opened = auth.login(session, f"{role.value}@matrix.test", PASSWORD, policy=auth.LoginPolicy())
    session.commit()
    app_client.cookies.set(SESSION_COOKIE, opened.token)
    headers = {"X-CSRF-Token": opened.csrf_token}
    checked, wrong = 0, []
    for path, route in routes(cast(FastAPI, app_client.app), api=False):
        permission = route_permission(path, route)
        if permission is Permission.PUBLIC or path == "/logout":
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for method in sorted(route.methods - {"HEAD"}):
            status = app_client.request(
                method, url, headers=headers, data={}, follow_redirects=False
            ).status_code
            allowed = permission in ROLE_PERMISSIONS[role]
            checked += 1
            if (status == 403) == allowed or status == 401:
                wrong.append(f"{method} {path} needs {permission.value}: got {status}")
    assert checked > 10
    assert wrong == []
