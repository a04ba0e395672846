"""The signed-in user's own settings: personal API tokens and profile (language, password)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kizuna.auth import service as auth
from kizuna.auth.permissions import Scope
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.user import service as users
from kizuna.user.schemas import PasswordChange, ProfileUpdate
from kizuna.web.deps import LOCALE_COOKIE, DbSession, PageContext, Signed
from kizuna.web.forms import clean, errors_by_field, parse
from kizuna.web.render import redirect, render
from kizuna.web.routes.users import TIMEZONES

router = APIRouter()


class TokenForm(BaseModel):
    """The create-token form; an empty expiry means the token never expires."""

    name: str = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``auth.create_token``."""
        days = self.expires_in_days
        expires_at = utc_now() + timedelta(days=days) if days else None
        return {
            "name": self.name,
            "scopes": [s.value for s in self.scopes],
            "expires_at": expires_at,
        }


# API tokens ----------------------------------------------------------------------------


@router.get("/settings/tokens")
def token_list(request: Request, ctx: Signed, session: DbSession) -> Response:
    return _tokens_page(request, ctx, session, values={"scopes": ["read"], "expires_in_days": 90})


@router.post("/settings/tokens")
async def create_token(request: Request, ctx: Signed, session: DbSession) -> Response:
    values = clean(await request.form(), ["name", "scopes", "expires_in_days"], lists=["scopes"])
    try:
        form = parse(TokenForm, values)
        with session.begin():
            issued = auth.create_token(session, ctx.actor, user_id=None, **form.arguments())
    except Invalid as exc:
        return _tokens_page(request, ctx, session, values=values, errors=errors_by_field(exc))
    return _created_page(request, ctx, issued)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(token_id: uuid.UUID, ctx: Signed, session: DbSession) -> Response:
    with session.begin():
        auth.revoke_token(session, ctx.actor, token_id)
    return redirect("/settings/tokens", flash=N_("Token revoked."))


def _created_page(request: Request, ctx: PageContext, issued: auth.IssuedToken) -> Response:
    """The one page that ever shows the secret; browsers and proxies must not keep it."""
    response = render(
        request,
        ctx,
        "settings/token_created.html",
        active="tokens",
        token=issued.token,
        secret=issued.secret,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _tokens_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        return render(
            request,
            ctx,
            "settings/tokens.html",
            active="tokens",
            tokens=auth.list_tokens(session, ctx.actor, None),
            scopes=list(Scope),
            values=values,
            errors=errors or {},
            now=utc_now(),
            status_code=422 if errors else 200,
        )


# Profile -------------------------------------------------------------------------------


@router.get("/settings/profile")
def profile(request: Request, ctx: Signed, session: DbSession) -> Response:
    return _profile_page(request, ctx, session)


@router.post("/settings/profile")
async def update_profile(request: Request, ctx: Signed, session: DbSession) -> Response:
    values = clean(await request.form(), ["name", "locale", "timezone"])
    try:
        with session.begin():
            users.update_profile(session, ctx.actor, parse(ProfileUpdate, values))
    except Invalid as exc:
        return _profile_page(request, ctx, session, values=values, errors=errors_by_field(exc))
    response = redirect("/settings/profile", flash=N_("Profile saved."))
    if "locale" in values:  # the login page follows the choice too
        response.set_cookie(LOCALE_COOKIE, values["locale"], max_age=365 * 86400, samesite="lax")
    return response


@router.post("/settings/profile/password")
async def change_password(request: Request, ctx: Signed, session: DbSession) -> Response:
    form = await request.form()
    values = clean(form, ["current_password", "new_password"])
    try:
        data = parse(PasswordChange, values)
        if form.get("new_password_again") != data.new_password:
            raise Invalid.field(
                "new_password_again", "does not match the new password", code="mismatch"
            )
        with session.begin():
            users.change_own_password(session, ctx.actor, data.current_password, data.new_password)
    except Invalid as exc:
        return _profile_page(request, ctx, session, errors=errors_by_field(exc))
    return redirect("/settings/profile", flash=N_("Password changed."))


def _profile_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        me = users.get_profile(session, ctx.actor)
        return render(
            request,
            ctx,
            "settings/profile.html",
            active="profile",
            me=me,
            values=values if values is not None else me.model_dump(),
            errors=errors or {},
            timezones=TIMEZONES,
            status_code=422 if errors else 200,
        )
