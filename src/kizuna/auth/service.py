"""Log in and out, resolve sessions and API tokens into actors, manage tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from kizuna.auth.permissions import Permission, Scope, role_permissions, token_permissions
from kizuna.auth.secrets import digest, new_secret
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import FieldProblem, Forbidden, Invalid, NotFound, Unauthenticated
from kizuna.models.enums import ActorKind
from kizuna.models.user import ApiToken, User, WebSession

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "kzn_"


@dataclass(frozen=True)
class LoginPolicy:
    session_days: int = 14
    max_failures: int = 5
    lockout_minutes: int = 15


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ResolvedSession:
    actor: Actor
    csrf_token: str


def actor_for_user(user: User, *, ip: str = "") -> Actor:
    return Actor(
        user_id=user.id,
        role=user.role,
        permissions=role_permissions(user.role),
        kind=ActorKind.USER,
        name=user.name,
        locale=user.locale,
        timezone=user.timezone,
        ip=ip,
        team_id=user.team_id,
    )


def login(
    session: Session,
    email: str,
    password: str,
    *,
    policy: LoginPolicy,
    ip: str = "",
    user_agent: str = "",
) -> NewSession:
    """Check credentials and open a server-side session. Locks the user after failures."""
    now = utc_now()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(DUMMY_HASH, password)
        raise Unauthenticated("invalid e-mail or password", code="invalid_credentials")
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthenticated("account locked; try again later", code="locked")
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lockout_minutes)
            user.failed_logins = 0
            audit.record(session, actor_for_user(user, ip=ip), "user.locked", "user", user.id)
        log.info("login.failed", user_id=str(user.id), ip=ip)
        raise Unauthenticated("invalid e-mail or password", code="invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token = new_secret()
    expires_at = now + timedelta(days=policy.session_days)
    web_session = WebSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=new_secret(24),
        created_at=now,
        expires_at=expires_at,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(web_session)
    audit.record(session, actor_for_user(user, ip=ip), "user.login", "user", user.id)
    return NewSession(token, web_session.csrf_token, expires_at)


def logout(session: Session, token: str) -> None:
    """Revoke the session behind ``token`` (idempotent)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == digest(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


def resolve_session(session: Session, token: str, *, ip: str = "") -> ResolvedSession:
    now = utc_now()
    row = session.get(WebSession, digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthenticated("session expired", code="session_expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("session expired", code="session_expired")
    if now - row.last_seen_at > timedelta(minutes=5):
        row.last_seen_at = now
    return ResolvedSession(actor_for_user(user, ip=ip), row.csrf_token)


def resolve_token(session: Session, raw: str, *, ip: str = "") -> Actor:
    now = utc_now()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("invalid API token", code="invalid_token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("API token expired", code="token_expired")
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("invalid API token", code="invalid_token")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return Actor(
        user_id=user.id,
        role=user.role,
        permissions=token_permissions(user.role, token.scopes),
        kind=ActorKind.TOKEN,
        name=user.name,
        locale=user.locale,
        timezone=user.timezone,
        ip=ip,
        token_id=token.id,
        team_id=user.team_id,
    )


_SCOPE_RANK = {Scope.READ.value: 0, Scope.WRITE.value: 1, Scope.ADMIN.value: 2}


def require_write_scope(session: Session, actor: Actor) -> list[str] | None:
    """Refuse a change made with a read-only API token; return the token's scopes, if any.

    Read scope keeps ``AUTHENTICATED`` (so such a token can read its owner's profile), so
    actions under that permission that change something (own profile, own tokens) call this.
    """
    if actor.token_id is None:
        return None
    token = session.get(ApiToken, actor.token_id)
    scopes = list(token.scopes) if token else []
    if _widest(scopes) < _SCOPE_RANK[Scope.WRITE.value]:
        raise Forbidden("this API token is read-only", code="read_only_token")
    return scopes


def _widest(scopes: list[str]) -> int:
    return max((_SCOPE_RANK.get(s, 0) for s in scopes), default=0)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(
    session: Session,
    actor: Actor,
    *,
    user_id: uuid.UUID | None,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
) -> IssuedToken:
    """Issue a token for ``user_id`` (None: the actor); the secret is returned once only.

    A token may only issue tokens if it can write, and never with a wider scope than its own.
    """
    user_id = user_id or actor.user_id
    if user_id is None:
        raise NotFound("user not found")
    if user_id != actor.user_id:
        actor.require(Permission.USER_ADMIN)
    own = require_write_scope(session, actor)
    if own is not None and _widest(scopes) > _widest(own):
        raise Forbidden("a token cannot issue a token wider than itself", code="scope_escalation")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    problems = _token_problems(name, scopes, expires_at)
    if problems:
        raise Invalid(problems)
    secret = TOKEN_PREFIX + new_secret()
    token = ApiToken(
        user_id=user_id,
        name=name.strip(),
        prefix=secret[:12],
        token_hash=digest(secret),
        scopes=sorted(set(scopes)),
        created_at=utc_now(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", "api_token", token.id, summary=token.name)
    return IssuedToken(token, secret)


def _token_problems(
    name: str, scopes: list[str], expires_at: datetime | None
) -> list[FieldProblem]:
    problems = []
    if not name.strip():
        problems.append(FieldProblem(("body", "name"), "required", "name is required"))
    valid = {s.value for s in Scope}
    bad = [s for s in scopes if s not in valid]
    if not scopes or bad:
        problems.append(
            FieldProblem(
                ("body", "scopes"), "invalid_scope", f"scopes must be among {sorted(valid)}"
            )
        )
    if expires_at is not None and expires_at <= utc_now():
        problems.append(
            FieldProblem(("body", "expires_at"), "in_past", "expiry must be in the future")
        )
    return problems


def list_tokens(session: Session, actor: Actor, user_id: uuid.UUID | None) -> list[ApiToken]:
    """The tokens of ``user_id`` (None: the actor's own); others' need USER_ADMIN."""
    user_id = user_id or actor.user_id
    if user_id != actor.user_id:
        actor.require(Permission.USER_ADMIN)
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
    return list(session.scalars(stmt))


def revoke_token(session: Session, actor: Actor, token_id: uuid.UUID) -> None:
    require_write_scope(session, actor)
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.can(Permission.USER_ADMIN)):
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        audit.record(session, actor, "token.revoke", "api_token", token.id, summary=token.name)
