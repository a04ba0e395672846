"""Login, lockout, sessions and tokens at the service level (C15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import PASSWORD, make_user, token_for
from kizuna.auth import service as auth
from kizuna.auth.permissions import Permission
from kizuna.auth.secrets import digest
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Unauthenticated
from kizuna.models import ApiToken, AuditEvent, WebSession
from kizuna.models.enums import Role

POLICY = auth.LoginPolicy(session_days=14, max_failures=3, lockout_minutes=15)


def test_login_opens_a_session_stored_hashed(session: Session) -> None:
    user = make_user(session, email="a@example.jp")
    opened = auth.login(session, "A@example.jp ", PASSWORD, policy=POLICY)
    row = session.get(WebSession, digest(opened.token))
    assert row is not None
    assert row.user_id == user.id
    assert session.scalar(select(WebSession).where(WebSession.token_hash == opened.token)) is None
    resolved = auth.resolve_session(session, opened.token)
    assert resolved.actor.user_id == user.id
    assert resolved.csrf_token == opened.csrf_token


def test_wrong_password_and_unknown_email_look_the_same(session: Session) -> None:
    make_user(session, email="b@example.jp")
    with pytest.raises(Unauthenticated) as wrong:
        auth.login(session, "b@example.jp", "not-the-password", policy=POLICY)
    with pytest.raises(Unauthenticated) as unknown:
        auth.login(session, "nobody@example.jp", "not-the-password", policy=POLICY)
    assert wrong.value.code == unknown.value.code == "invalid_credentials"


def test_lockout_after_repeated_failures_even_with_the_right_password(session: Session) -> None:
    user = make_user(session, email="c@example.jp")
    for _ in range(POLICY.max_failures):
        with pytest.raises(Unauthenticated):
            auth.login(session, "c@example.jp", "wrong-password!", policy=POLICY)
    assert user.locked_until is not None
    assert user.locked_until > utc_now()
    with pytest.raises(Unauthenticated) as locked:
        auth.login(session, "c@example.jp", PASSWORD, policy=POLICY)
    assert locked.value.code == "locked"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id)))
    assert "user.locked" in set(actions)


def test_lock_expires(session: Session) -> None:
    user = make_user(session, email="d@example.jp")
    user.locked_until = utc_now() - timedelta(seconds=1)
    assert auth.login(session, "d@example.jp", PASSWORD, policy=POLICY).token


def test_logout_revokes_the_session(session: Session) -> None:
    make_user(session, email="e@example.jp")
    opened = auth.login(session, "e@example.jp", PASSWORD, policy=POLICY)
    auth.logout(session, opened.token)
    with pytest.raises(Unauthenticated):
        auth.resolve_session(session, opened.token)


def test_deactivated_user_loses_sessions_and_tokens(session: Session) -> None:
    user = make_user(session, email="f@example.jp")
    opened = auth.login(session, "f@example.jp", PASSWORD, policy=POLICY)
    secret = token_for(session, user)
    user.is_active = False
    with pytest.raises(Unauthenticated):
        auth.resolve_session(session, opened.token)
    with pytest.raises(Unauthenticated):
        auth.resolve_token(session, secret)


def test_expired_session_is_rejected(session: Session) -> None:
    make_user(session, email="g@example.jp")
    opened = auth.login(session, "g@example.jp", PASSWORD, policy=POLICY)
    row = session.get(WebSession, digest(opened.token))
    assert row is not None
    row.expires_at = utc_now() - timedelta(seconds=1)
    with pytest.raises(Unauthenticated):
        auth.resolve_session(session, opened.token)


def test_token_actor_is_narrowed_by_scope(session: Session) -> None:
    user = make_user(session, Role.MANAGER)
    secret = token_for(session, user, scopes=["read"])
    actor = auth.resolve_token(session, secret)
    assert actor.can(Permission.ACCOUNT_READ)
    assert not any(p.value.endswith(":write") for p in actor.permissions)
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored is not None
    assert stored.token_hash == digest(secret)
    assert secret not in (stored.token_hash, stored.prefix)
