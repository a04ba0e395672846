"""Every page declares one permission, and every role gets 403 exactly where it lacks it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import PASSWORD, make_user
from kizuna.auth import service as auth
from kizuna.auth.permissions import ROLE_PERMISSIONS, Permission
from kizuna.models.enums import Role
from kizuna.web.deps import SESSION_COOKIE

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def declared_permission(route: APIRoute) -> Permission | None:
    stack: list[Any] = [route.dependant]
    while stack:
        dependant = stack.pop()
        permission = getattr(dependant.call, "permission", None)
        if permission is not None:
            return permission  # type: ignore[no-any-return]
        stack.extend(dependant.dependencies)
    return None


def page_routes(client: TestClient) -> list[APIRoute]:
    return [
        r for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and not r.path.startswith("/api/")
    ]


def test_every_page_declares_a_permission(app_client: TestClient) -> None:
    undeclared = [f"{r.methods} {r.path}" for r in page_routes(app_client)
                  if declared_permission(r) is None]
    assert undeclared == [], "pages without page(Permission.X) / public_page"


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(app_client: TestClient, session: Session, role: Role) -> None:
    make_user(session, role, email=f"{role.value}@matrix.test")
    opened = auth.login(session, f"{role.value}@matrix.test", PASSWORD,
                        policy=auth.LoginPolicy())
    session.commit()
    app_client.cookies.set(SESSION_COOKIE, opened.token)
    headers = {"X-CSRF-Token": opened.csrf_token}
    wrong: list[str] = []
    for route in page_routes(app_client):
        permission = declared_permission(route)
        if permission in (None, Permission.PUBLIC) or route.path == "/logout":
            continue
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            status = app_client.request(method, path, headers=headers, data={},
                                        follow_redirects=False).status_code
            allowed = permission in ROLE_PERMISSIONS[role]
            if (status == 403) == allowed or status in (401, 500):
                wrong.append(f"{method} {path} -> {status} (allowed={allowed})")
    assert wrong == []
