"""API dependencies: the database session and the permission-checked actor.

Every route declares exactly one permission by depending on ``need(permission)``; the
permission-matrix test fails the suite for any route that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.auth.secrets import same
from kizuna.db.session import Database
from kizuna.kit.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "kizuna_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """A session; the route handler owns the transaction (``with session.begin():``)."""
    with database.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def authenticate(request: Request, session: Session) -> Actor:
    """Bearer token, or the web session cookie (with the CSRF header on unsafe methods)."""
    header = request.headers.get("authorization", "")
    with session.begin():
        if header.lower().startswith("bearer "):
            return auth.resolve_token(session, header[7:].strip(), ip=client_ip(request))
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthenticated("authentication required", code="unauthenticated")
        resolved = auth.resolve_session(session, cookie, ip=client_ip(request))
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same(sent, resolved.csrf_token):
            raise Forbidden("CSRF token missing or wrong", code="csrf")
    return resolved.actor


def need(permission: Permission) -> Callable[..., Actor]:
    """A dependency resolving the actor and requiring ``permission`` of it."""

    def dependency(request: Request, session: DbSession) -> Actor:
        actor = authenticate(request, session)
        actor.require(permission)
        return actor

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"need_{permission.name.lower()}"
    return dependency


def public() -> None:
    """Declares a route open to anyone (ingest endpoints check their own keys)."""


public.permission = Permission.PUBLIC  # type: ignore[attr-defined]

Authenticated = Annotated[Actor, Depends(need(Permission.AUTHENTICATED))]
AccountReader = Annotated[Actor, Depends(need(Permission.ACCOUNT_READ))]
AccountWriter = Annotated[Actor, Depends(need(Permission.ACCOUNT_WRITE))]
AccountDeleter = Annotated[Actor, Depends(need(Permission.ACCOUNT_DELETE))]
ContactWriter = Annotated[Actor, Depends(need(Permission.CONTACT_WRITE))]
ActivityWriter = Annotated[Actor, Depends(need(Permission.ACTIVITY_WRITE))]
SurveyWriter = Annotated[Actor, Depends(need(Permission.SURVEY_WRITE))]
SubscriptionWriter = Annotated[Actor, Depends(need(Permission.SUBSCRIPTION_WRITE))]
ProductWriter = Annotated[Actor, Depends(need(Permission.PRODUCT_WRITE))]
CustomFieldAdmin = Annotated[Actor, Depends(need(Permission.CUSTOM_FIELD_ADMIN))]
UserReader = Annotated[Actor, Depends(need(Permission.USER_READ))]
UserAdmin = Annotated[Actor, Depends(need(Permission.USER_ADMIN))]
AuditReader = Annotated[Actor, Depends(need(Permission.AUDIT_READ))]
ImportRunner = Annotated[Actor, Depends(need(Permission.IMPORT_RUN))]
Exporter = Annotated[Actor, Depends(need(Permission.EXPORT_RUN))]
SalesReader = Annotated[Actor, Depends(need(Permission.SALES_READ))]
PipelineWriter = Annotated[Actor, Depends(need(Permission.PIPELINE_WRITE))]
SalesAdmin = Annotated[Actor, Depends(need(Permission.SALES_ADMIN))]
