"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from kizuna.auth import service as auth
from kizuna.auth.secrets import new_secret, same
from kizuna.config import Settings
from kizuna.kit.errors import Forbidden, Unauthenticated
from kizuna.kit.i18n import N_, normalise_locale
from kizuna.user import service as users
from kizuna.web.deps import (
    LOCALE_COOKIE,
    SESSION_COOKIE,
    DbSession,
    Signed,
    client_ip,
    public_page,
)
from kizuna.web.render import redirect, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "kizuna_login_csrf"


def _safe_next(value: str | None) -> str:
    """Only same-site relative paths: never redirect to another host after login."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/portfolio"


@router.get("/login", dependencies=[Depends(public_page)])
def login_form(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_secret(24)
    response = render(
        request, None, "auth/login.html", csrf_token=token, next=_safe_next(next), error=None
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login", dependencies=[Depends(public_page)])
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/portfolio",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same(cookie, csrf_token):
        raise Forbidden("CSRF token missing or wrong", code="csrf")
    settings: Settings = request.app.state.settings
    policy = auth.LoginPolicy(
        settings.session_days, settings.login_max_failures, settings.login_lockout_minutes
    )
    try:
        with session.begin():
            opened = auth.login(
                session,
                email,
                password,
                policy=policy,
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
            )
    except Unauthenticated as exc:
        error = (
            N_("Account locked after repeated failures. Try again later.")
            if exc.code == "locked"
            else N_("Wrong e-mail address or password.")
        )
        return render(
            request,
            None,
            "auth/login.html",
            status_code=401,
            csrf_token=cookie,
            next=_safe_next(next),
            error=error,
            email=email,
        )
    response = redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        expires=opened.expires_at,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Signed, session: DbSession) -> Response:
    with session.begin():
        auth.logout(session, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/locale", dependencies=[Depends(public_page)])
def switch_locale(
    request: Request,
    session: DbSession,
    locale: Annotated[str, Form()],
    back: Annotated[str, Form()] = "/portfolio",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Switch language; for a logged-in user it is saved on their profile too."""
    chosen = normalise_locale(locale)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with session.begin():
            try:
                resolved = auth.resolve_session(session, cookie)
            except Unauthenticated:
                resolved = None
            if resolved is not None:
                if not same(csrf_token, resolved.csrf_token):
                    raise Forbidden("CSRF token missing or wrong", code="csrf")
                users.update_own_locale(session, resolved.actor, chosen)
    response = redirect(_safe_next(back))
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response
