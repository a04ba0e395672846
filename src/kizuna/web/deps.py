"""Page dependencies: the logged-in actor with a declared permission, and CSRF checks.

Each page route depends on exactly one ``page(permission)``; the permission-matrix test
finds it through the ``permission`` attribute, as for the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.auth.secrets import same
from kizuna.db.session import Database
from kizuna.kit.errors import DomainError, Forbidden, Unauthenticated

SESSION_COOKIE = "kizuna_session"
LOCALE_COOKIE = "kizuna_locale"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(DomainError):
    """No valid session: the web error handler redirects to the login page."""

    code = "login_required"


@dataclass(frozen=True)
class PageContext:
    actor: Actor
    csrf_token: str


def get_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    with database.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def check_csrf(request: Request, expected: str) -> None:
    """Unsafe methods must echo the session's CSRF token (form field or HTMX header)."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        form = await request.form()
        sent = str(form.get(CSRF_FIELD, ""))
    if not sent or not same(sent, expected):
        raise Forbidden("CSRF token missing or wrong", code="csrf")


def page(permission: Permission) -> Callable[..., object]:
    """Dependency: the session's actor, who must hold ``permission``."""

    async def dependency(request: Request, session: DbSession) -> PageContext:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise LoginRequired("login required")
        try:
            with session.begin():
                resolved = auth.resolve_session(session, cookie, ip=client_ip(request))
        except Unauthenticated:
            raise LoginRequired("session expired") from None
        await check_csrf(request, resolved.csrf_token)
        resolved.actor.require(permission)
        return PageContext(resolved.actor, resolved.csrf_token)

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"page_{permission.name.lower()}"
    return dependency


def public_page() -> None:
    """Declares a page open to anyone (login)."""


public_page.permission = Permission.PUBLIC  # type: ignore[attr-defined]

Signed = Annotated[PageContext, Depends(page(Permission.AUTHENTICATED))]
Reader = Annotated[PageContext, Depends(page(Permission.ACCOUNT_READ))]
AccountEditor = Annotated[PageContext, Depends(page(Permission.ACCOUNT_WRITE))]
ActivityEditor = Annotated[PageContext, Depends(page(Permission.ACTIVITY_WRITE))]
UserViewer = Annotated[PageContext, Depends(page(Permission.USER_READ))]
UserAdmin = Annotated[PageContext, Depends(page(Permission.USER_ADMIN))]
ProductEditor = Annotated[PageContext, Depends(page(Permission.PRODUCT_WRITE))]
CustomFieldAdmin = Annotated[PageContext, Depends(page(Permission.CUSTOM_FIELD_ADMIN))]
AuditReader = Annotated[PageContext, Depends(page(Permission.AUDIT_READ))]
ContactEditor = Annotated[PageContext, Depends(page(Permission.CONTACT_WRITE))]
SubscriptionEditor = Annotated[PageContext, Depends(page(Permission.SUBSCRIPTION_WRITE))]
SurveyEditor = Annotated[PageContext, Depends(page(Permission.SURVEY_WRITE))]
Importer = Annotated[PageContext, Depends(page(Permission.IMPORT_RUN))]
Exporter = Annotated[PageContext, Depends(page(Permission.EXPORT_RUN))]
SalesReader = Annotated[PageContext, Depends(page(Permission.SALES_READ))]
PipelineEditor = Annotated[PageContext, Depends(page(Permission.PIPELINE_WRITE))]
SalesAdmin = Annotated[PageContext, Depends(page(Permission.SALES_ADMIN))]
