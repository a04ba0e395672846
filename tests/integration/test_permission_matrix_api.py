"""Every API route declares one permission, and every role gets exactly what it grants.

A new route without ``need(...)`` (or ``public``) in its dependencies fails this suite. The
walk calls each route as each role, with a random id for path parameters and an empty JSON
body: a role lacking the permission must get 403, a role holding it anything but 401/403
(typically 200, 404 or 422). An unexpected 500 raises inside the test client.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import Route

from factories import make_user, token_for
from kizuna.auth.permissions import ROLE_PERMISSIONS, Permission
from kizuna.models.enums import Role
from routing import route_permission, routes

_PATH_PARAM = re.compile(r"\{[^}]+\}")
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_every_api_route_declares_exactly_one_permission(app_client: TestClient) -> None:
    api = routes(cast(FastAPI, app_client.app), api=True)
    assert len(api) > 40
    problems = []
    for path, route in api:
        try:
            route_permission(path, route)
        except AssertionError as exc:
            problems.append(str(exc))
    assert problems == []


@sqlite_only
def test_plain_routes_declare_their_permission_on_the_endpoint(app_client: TestClient) -> None:
    """Routes outside FastAPI's dependency system (the /v1 ingestion hot path) are invisible
    to the walk above, so each must say on its endpoint that it is public."""
    app = cast(FastAPI, app_client.app)
    own_docs = {app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url}
    plain = [
        route
        for route in app.router.routes
        if isinstance(route, Route)
        and not isinstance(route, APIRoute)
        and route.path not in own_docs
    ]
    assert [route.path for route in plain] == ["/v1/{call}"]
    for route in plain:
        assert getattr(route.endpoint, "permission", None) is Permission.PUBLIC, route.path


@sqlite_only
@pytest.mark.parametrize("role", list(Role))
def test_role_gets_exactly_its_permissions(
    app_client: TestClient, session: Session, role: Role
) -> None:
    user = make_user(session, role)
    app_client.headers["Authorization"] = f"Bearer {token_for(session, user, ['admin'])}"
    session.commit()
    granted = ROLE_PERMISSIONS[role]
    wrong: list[str] = []
    for path, route in routes(cast(FastAPI, app_client.app), api=True):
        permission = route_permission(path, route)
        url = _PATH_PARAM.sub(str(uuid.uuid4()), path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            status = _call(app_client, method, url)
            allowed = permission in granted
            if (status == 403) == allowed or (allowed and status == 401):
                wrong.append(f"{method} {path} needs {permission.value}: got {status}")
    assert wrong == []


def _call(client: TestClient, method: str, path: str) -> int:
    kwargs: dict[str, Any] = {} if method in {"GET", "DELETE"} else {"json": {}}
    return client.request(method, path, **kwargs).status_code
