"""Helpers for page tests through TestClient: log in as a role, read a form's CSRF token."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import PASSWORD, make_user
from kizuna.models import User
from kizuna.models.enums import Role

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on the page."""
    match = _CSRF.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def web_login(client: TestClient, session: Session, role: Role, **fields: Any) -> User:
    """Create a user with ``role`` and log ``client`` in through the login form."""
    user = make_user(session, role, **fields)
    session.commit()  # the app reads through its own session
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return user
