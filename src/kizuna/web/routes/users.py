"""Administration of users and teams: lists, forms, activation, unlock and passwords."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import Role, TeamKind
from kizuna.user import service as users
from kizuna.user.schemas import TeamCreate, TeamUpdate, UserCreate, UserFilters, UserUpdate
from kizuna.web.deps import DbSession, PageContext, UserAdmin, UserViewer
from kizuna.web.forms import clean, errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()

_EDIT_FIELDS = ["name", "role", "team_id", "locale", "timezone", "capacity_accounts"]
_CREATE_FIELDS = ["email", *_EDIT_FIELDS, "password"]
_TEAM_FIELDS = ["name", "kind", "description"]
LAST_ADMIN = N_("The last active administrator must stay an active administrator.")
TIMEZONES = (
    "Asia/Tokyo",
    "UTC",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
)


# Users ---------------------------------------------------------------------------------


@router.get("/admin/users")
def user_list(request: Request, ctx: UserViewer, session: DbSession) -> Response:
    query = clean(request.query_params, UserFilters.model_fields)
    filters = parse(UserFilters, query, where="query")
    cursor = request.query_params.get("cursor") or None
    with session.begin():
        page = users.list_users(session, ctx.actor, filters, cursor=cursor, limit=50)
        return render(
            request,
            ctx,
            "admin/users.html",
            active="users",
            page=page,
            filters=filters,
            teams=users.list_teams(session, ctx.actor),
            roles=list(Role),
            now=utc_now(),
        )


@router.get("/admin/users/new")
def new_user(request: Request, ctx: UserAdmin, session: DbSession) -> Response:
    values = {"role": Role.CSM.value, "locale": "ja", "timezone": "Asia/Tokyo"}
    return _user_page(request, ctx, session, values=values)


@router.post("/admin/users/new")
async def create_user(request: Request, ctx: UserAdmin, session: DbSession) -> Response:
    values = clean(await request.form(), _CREATE_FIELDS)
    try:
        with session.begin():
            users.create_user(session, ctx.actor, parse(UserCreate, values))
    except Invalid as exc:
        values.pop("password", None)  # never echo a password back into the page
        return _user_page(
            request, ctx, session, values=values, errors=errors_by_field(exc), status_code=422
        )
    return redirect("/admin/users", flash=N_("User created."))


@router.get("/admin/users/{user_id}")
def edit_user(request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession) -> Response:
    return _user_page(request, ctx, session, user_id=user_id)


@router.post("/admin/users/{user_id}")
async def update_user(
    request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    values = _edit_values(await request.form())
    return _act(
        request,
        ctx,
        session,
        user_id,
        N_("Changes saved."),
        values=values,
        action=lambda: users.update_user(session, ctx.actor, user_id, parse(UserUpdate, values)),
    )


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user(
    request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    return _act(
        request,
        ctx,
        session,
        user_id,
        N_("User deactivated."),
        action=lambda: users.deactivate_user(session, ctx.actor, user_id),
    )


@router.post("/admin/users/{user_id}/reactivate")
def reactivate_user(
    request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    return _act(
        request,
        ctx,
        session,
        user_id,
        N_("User reactivated."),
        action=lambda: users.update_user(session, ctx.actor, user_id, UserUpdate(is_active=True)),
    )


@router.post("/admin/users/{user_id}/unlock")
def unlock_user(
    request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    return _act(
        request,
        ctx,
        session,
        user_id,
        N_("User unlocked."),
        action=lambda: users.unlock(session, ctx.actor, user_id),
    )


@router.post("/admin/users/{user_id}/password")
async def set_password(
    request: Request, user_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    password = str((await request.form()).get("password", ""))
    return _act(
        request,
        ctx,
        session,
        user_id,
        N_("Password set."),
        action=lambda: users.set_password(session, ctx.actor, user_id, password),
    )


def _act(
    request: Request,
    ctx: PageContext,
    session: Session,
    user_id: uuid.UUID,
    flash: str,
    *,
    action: Callable[[], object],
    values: dict[str, Any] | None = None,
) -> Response:
    """Run one service call for a user; on failure show the user's page with the problem."""
    try:
        with session.begin():
            action()
    except Invalid as exc:
        return _user_page(
            request,
            ctx,
            session,
            user_id=user_id,
            values=values,
            errors=errors_by_field(exc),
            status_code=422,
        )
    except Conflict:
        return _user_page(
            request, ctx, session, user_id=user_id, values=values, alert=LAST_ADMIN, status_code=409
        )
    return redirect(f"/admin/users/{user_id}", flash=flash)


def _edit_values(form: FormData) -> dict[str, Any]:
    values = clean(form, _EDIT_FIELDS)
    values.setdefault("team_id", None)  # "no team" and an emptied capacity clear the field
    values.setdefault("capacity_accounts", None)
    return values


def _user_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    user_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    """The new-user form, or one user's edit page (``user_id``) with its actions."""
    with session.begin():
        user = users.get_user(session, ctx.actor, user_id) if user_id else None
        if values is None:
            values = user.model_dump(include=set(_EDIT_FIELDS)) if user else {}
        return render(
            request,
            ctx,
            "admin/user_form.html",
            active="users",
            user=user,
            values=values,
            errors=errors or {},
            alert=alert,
            status_code=status_code,
            teams=users.list_teams(session, ctx.actor),
            roles=list(Role),
            timezones=TIMEZONES,
            now=utc_now(),
        )


# Teams ---------------------------------------------------------------------------------


@router.get("/admin/teams")
def team_list(request: Request, ctx: UserViewer, session: DbSession) -> Response:
    with session.begin():
        return render(
            request,
            ctx,
            "admin/teams.html",
            active="users",
            teams=users.list_teams(session, ctx.actor),
            members=users.list_active_users(session, ctx.actor),
        )


@router.get("/admin/teams/new")
def new_team(request: Request, ctx: UserAdmin, session: DbSession) -> Response:
    return _team_page(request, ctx, session, values={"kind": TeamKind.CSM.value})


@router.post("/admin/teams/new")
async def create_team(request: Request, ctx: UserAdmin, session: DbSession) -> Response:
    values = clean(await request.form(), _TEAM_FIELDS)
    try:
        with session.begin():
            users.create_team(session, ctx.actor, parse(TeamCreate, values))
    except Invalid as exc:
        return _team_page(request, ctx, session, values=values, errors=errors_by_field(exc))
    return redirect("/admin/teams", flash=N_("Team created."))


@router.get("/admin/teams/{team_id}")
def team_detail(
    request: Request, team_id: uuid.UUID, ctx: UserViewer, session: DbSession
) -> Response:
    return _team_page(request, ctx, session, team_id=team_id)


@router.post("/admin/teams/{team_id}")
async def update_team(
    request: Request, team_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    values = clean(await request.form(), _TEAM_FIELDS)
    values.setdefault("description", "")
    try:
        with session.begin():
            users.update_team(session, ctx.actor, team_id, parse(TeamUpdate, values))
    except Invalid as exc:
        return _team_page(
            request, ctx, session, team_id=team_id, values=values, errors=errors_by_field(exc)
        )
    return redirect(f"/admin/teams/{team_id}", flash=N_("Changes saved."))


@router.post("/admin/teams/{team_id}/delete")
def delete_team(
    request: Request, team_id: uuid.UUID, ctx: UserAdmin, session: DbSession
) -> Response:
    with session.begin():
        users.delete_team(session, ctx.actor, team_id)
    return redirect("/admin/teams", flash=N_("Team deleted."))


def _team_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    team_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The new-team form, or one team with its members (editable by administrators)."""
    with session.begin():
        team = users.get_team(session, ctx.actor, team_id) if team_id else None
        members = users.list_team_members(session, ctx.actor, team_id) if team_id else []
        if values is None:
            values = team.model_dump(include=set(_TEAM_FIELDS)) if team else {}
        return render(
            request,
            ctx,
            "admin/team_form.html",
            active="users",
            team=team,
            members=members,
            values=values,
            errors=errors or {},
            kinds=list(TeamKind),
            status_code=422 if errors else 200,
        )
