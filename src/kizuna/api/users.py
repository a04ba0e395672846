"""/api/v1/users and /api/v1/me"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import Authenticated, DbSession, UserAdmin, UserReader
from kizuna.api.schemas import PageOut
from kizuna.user import service
from kizuna.user.schemas import (
    PasswordChange,
    PasswordSet,
    ProfileUpdate,
    UserCreate,
    UserFilters,
    UserOut,
    UserUpdate,
)

router = APIRouter(tags=["users"])


@router.get("/users", response_model=PageOut[UserOut], summary="List users")
def list_users(
    actor: UserReader,
    session: DbSession,
    filters: Annotated[UserFilters, Depends()],
    sort: Annotated[str, Query(description="name, email, created_at; '-' for descending")] = "name",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[UserOut]:
    with session.begin():
        page = service.list_users(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user")
def create_user(body: UserCreate, actor: UserAdmin, session: DbSession) -> UserOut:
    """Passwords need at least 10 characters; e-mails are unique (case-insensitive)."""
    with session.begin():
        user = service.create_user(session, actor, body)
        return service.get_user(session, actor, user.id)


@router.get("/users/{user_id}", response_model=UserOut, summary="Get a user")
def get_user(user_id: uuid.UUID, actor: UserReader, session: DbSession) -> UserOut:
    with session.begin():
        return service.get_user(session, actor, user_id)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Update a user")
def update_user(
    user_id: uuid.UUID, body: UserUpdate, actor: UserAdmin, session: DbSession
) -> UserOut:
    """Role, team, locale, time zone, capacity, active flag. The last admin stays admin."""
    with session.begin():
        service.update_user(session, actor, user_id, body)
        return service.get_user(session, actor, user_id)


@router.delete("/users/{user_id}", status_code=204, summary="Deactivate a user")
def deactivate_user(user_id: uuid.UUID, actor: UserAdmin, session: DbSession) -> Response:
    """Users are deactivated, not deleted: what they wrote keeps its author."""
    with session.begin():
        service.deactivate_user(session, actor, user_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/unlock", response_model=UserOut, summary="Unlock a user")
def unlock_user(user_id: uuid.UUID, actor: UserAdmin, session: DbSession) -> UserOut:
    """Lift the lock-out that follows repeated failed logins."""
    with session.begin():
        service.unlock(session, actor, user_id)
        return service.get_user(session, actor, user_id)


@router.put("/users/{user_id}/password", status_code=204, summary="Set a user's password")
def set_password(
    user_id: uuid.UUID, body: PasswordSet, actor: UserAdmin, session: DbSession
) -> Response:
    with session.begin():
        service.set_password(session, actor, user_id, body.password)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, summary="My profile")
def get_me(actor: Authenticated, session: DbSession) -> UserOut:
    with session.begin():
        return service.get_profile(session, actor)


@router.patch("/me", response_model=UserOut, summary="Update my profile")
def update_me(body: ProfileUpdate, actor: Authenticated, session: DbSession) -> UserOut:
    """Name, locale (ja/en) and time zone. Read-only tokens cannot do this."""
    with session.begin():
        service.update_profile(session, actor, body)
        return service.get_profile(session, actor)


@router.post("/me/password", status_code=204, summary="Change my password")
def change_my_password(body: PasswordChange, actor: Authenticated, session: DbSession) -> Response:
    with session.begin():
        service.change_own_password(session, actor, body.current_password, body.new_password)
    return Response(status_code=204)
