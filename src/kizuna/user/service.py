"""User and team use cases. Users who own data are deactivated, never deleted."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.auth.passwords import hash_password, verify_password
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_datetime
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.enums import Role
from kizuna.models.user import Team, User
from kizuna.user.schemas import (
    ProfileUpdate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserFilters,
    UserOut,
    UserUpdate,
)

SORT_FIELDS = {
    "name": SortField(User.name),
    "email": SortField(User.email),
    "created_at": SortField(User.created_at, parse=parse_datetime),
}
_USER_FIELDS = ("email", "name", "role", "team_id", "locale", "timezone", "capacity_accounts")
_NULLABLE = {"team_id", "capacity_accounts"}


def load_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def get_user(session: Session, actor: Actor, user_id: uuid.UUID) -> UserOut:
    actor.require(Permission.USER_READ)
    return UserOut.model_validate(load_user(session, user_id))


def get_profile(session: Session, actor: Actor) -> UserOut:
    """The caller's own user record."""
    if actor.user_id is None:
        raise NotFound("user not found")
    return UserOut.model_validate(load_user(session, actor.user_id))


def list_users(
    session: Session,
    actor: Actor,
    filters: UserFilters,
    *,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[UserOut]:
    """Users matching ``filters``; sort by name, email or created_at."""
    actor.require(Permission.USER_READ)
    return keyset_page(
        session,
        _filtered(select(User), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=User.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: UserOut.model_validate(row[0]),
    )


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    actor.require(Permission.USER_ADMIN)
    values = data.model_dump(exclude={"password"})
    values["email"] = values["email"].strip().lower()
    _check(session, values, current_id=None)
    user = User(**values, password_hash=hash_password(data.password))
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        summary=user.email,
        changes=audit.snapshot(user, _USER_FIELDS),
    )
    return user


def update_user(session: Session, actor: Actor, user_id: uuid.UUID, data: UserUpdate) -> User:
    actor.require(Permission.USER_ADMIN)
    user = load_user(session, user_id)
    values = _sent(data.model_dump(exclude_unset=True))
    _check(session, values, current_id=user.id)
    demoted = values.get("role", user.role) != Role.ADMIN or not values.get("is_active", True)
    if demoted:
        _keep_an_admin(session, user)
    return _apply(session, actor, user, values, "user.update")


def deactivate_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    """Deactivate (the API's DELETE): the user's history keeps its author."""
    actor.require(Permission.USER_ADMIN)
    user = load_user(session, user_id)
    _keep_an_admin(session, user)
    return _apply(session, actor, user, {"is_active": False}, "user.deactivate")


def update_profile(session: Session, actor: Actor, data: ProfileUpdate) -> User:
    """The caller changes their own name, locale or time zone."""
    auth.require_write_scope(session, actor)
    if actor.user_id is None:
        raise NotFound("user not found")
    user = load_user(session, actor.user_id)
    values = _sent(data.model_dump(exclude_unset=True))
    _check(session, values, current_id=user.id)
    return _apply(session, actor, user, values, "user.update_profile")


def set_password(session: Session, actor: Actor, user_id: uuid.UUID, password: str) -> None:
    """An administrator sets a user's password (and clears any lock)."""
    actor.require(Permission.USER_ADMIN)
    user = load_user(session, user_id)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "user.set_password", "user", user.id, summary=user.email)


def change_own_password(
    session: Session, actor: Actor, current_password: str, new_password: str
) -> None:
    """The caller changes their own password, proving they know the current one."""
    auth.require_write_scope(session, actor)
    if actor.user_id is None:
        raise NotFound("user not found")
    user = load_user(session, actor.user_id)
    if not verify_password(user.password_hash, current_password):
        raise Invalid.field("current_password", "wrong password", code="wrong_password")
    try:
        user.password_hash = hash_password(new_password)
    except Invalid as exc:
        raise Invalid(
            [FieldProblem(("body", "new_password"), p.code, p.message) for p in exc.problems]
        ) from None
    audit.record(session, actor, "user.change_password", "user", user.id, summary=user.email)


def unlock(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    """Lift a lock-out after failed logins."""
    actor.require(Permission.USER_ADMIN)
    user = load_user(session, user_id)
    return _apply(session, actor, user, {"locked_until": None, "failed_logins": 0}, "user.unlock")


def list_teams(session: Session, actor: Actor) -> list[TeamOut]:
    """All teams by name, with their member counts."""
    actor.require(Permission.USER_READ)
    counts = select(User.team_id, func.count().label("n")).group_by(User.team_id).subquery("counts")
    rows = session.execute(
        select(Team, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.team_id == Team.id)
        .order_by(Team.name)
    ).all()
    return [_team_out(team, n) for team, n in rows]


def get_team(session: Session, actor: Actor, team_id: uuid.UUID) -> TeamOut:
    actor.require(Permission.USER_READ)
    team = _load_team(session, team_id)
    count = session.scalar(select(func.count()).where(User.team_id == team.id)) or 0
    return _team_out(team, count)


def list_team_members(session: Session, actor: Actor, team_id: uuid.UUID) -> list[UserOut]:
    actor.require(Permission.USER_READ)
    team = _load_team(session, team_id)
    members = session.scalars(select(User).where(User.team_id == team.id).order_by(User.name))
    return [UserOut.model_validate(u) for u in members]


def create_team(session: Session, actor: Actor, data: TeamCreate) -> Team:
    actor.require(Permission.USER_ADMIN)
    values = data.model_dump()
    _check_team_name(session, values["name"], current_id=None)
    team = Team(**values)
    session.add(team)
    session.flush()
    audit.record(
        session,
        actor,
        "team.create",
        "team",
        team.id,
        summary=team.name,
        changes=audit.snapshot(team, list(values)),
    )
    return team


def update_team(session: Session, actor: Actor, team_id: uuid.UUID, data: TeamUpdate) -> Team:
    actor.require(Permission.USER_ADMIN)
    team = _load_team(session, team_id)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in values:
        _check_team_name(session, values["name"], current_id=team.id)
    changes = audit.apply_changes(team, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "team.update", "team", team.id, summary=team.name, changes=changes
        )
    return team


def delete_team(session: Session, actor: Actor, team_id: uuid.UUID) -> None:
    """Delete a team; its members stay, without a team."""
    actor.require(Permission.USER_ADMIN)
    team = _load_team(session, team_id)
    session.execute(
        update(User).where(User.team_id == team.id).values(team_id=None),
        execution_options={"synchronize_session": "fetch"},
    )
    audit.record(session, actor, "team.delete", "team", team.id, summary=team.name)
    session.delete(team)
    session.flush()


def _sent(values: dict[str, Any]) -> dict[str, Any]:
    """The fields of a partial update; null means "unchanged" for non-nullable columns."""
    return {k: v for k, v in values.items() if v is not None or k in _NULLABLE}


def _apply(session: Session, actor: Actor, user: User, values: dict[str, Any], action: str) -> User:
    changes = audit.apply_changes(user, values)
    if changes:
        session.flush()
        audit.record(session, actor, action, "user", user.id, summary=user.email, changes=changes)
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to demote or deactivate the last active administrator (nobody could undo it)."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    others = session.scalar(
        select(func.count()).where(User.role == Role.ADMIN, User.is_active, User.id != user.id)
    )
    if not others:
        raise Conflict("the last active administrator must stay one", code="last_admin")


def _check(session: Session, values: dict[str, Any], current_id: uuid.UUID | None) -> None:
    problems: list[FieldProblem] = []
    email = values.get("email")
    if email is not None:
        clash = session.scalar(select(User.id).where(User.email == email))
        if clash is not None and clash != current_id:
            problems.append(FieldProblem(("body", "email"), "duplicate", "e-mail already used"))
    team_id = values.get("team_id")
    if team_id is not None and session.get(Team, team_id) is None:
        problems.append(FieldProblem(("body", "team_id"), "unknown_team", "no such team"))
    zone = values.get("timezone")
    if zone is not None and not _is_zone(zone):
        problems.append(FieldProblem(("body", "timezone"), "unknown_zone", "not a time zone"))
    if problems:
        raise Invalid(problems)


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _load_team(session: Session, team_id: uuid.UUID) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("team not found")
    return team


def _team_out(team: Team, member_count: int) -> TeamOut:
    data = {k: getattr(team, k) for k in TeamOut.model_fields if hasattr(team, k)}
    return TeamOut.model_validate(data | {"member_count": int(member_count)})


def _check_team_name(session: Session, name: str, current_id: uuid.UUID | None) -> None:
    clash = session.scalar(select(Team.id).where(Team.name == name.strip()))
    if clash is not None and clash != current_id:
        raise Invalid.field("name", "team name already used", code="duplicate")


def _filtered(stmt: Select[Any], filters: UserFilters) -> Select[Any]:
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(User.name.ilike(like), User.email.ilike(like)))
    for column, value in ((User.role, filters.role), (User.team_id, filters.team_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.is_active is not None:
        stmt = stmt.where(User.is_active.is_(filters.is_active))
    return stmt


def list_active_users(session: Session, actor: Actor) -> list[UserOut]:
    """Active users by name, for owner and participant pickers."""
    actor.require(Permission.USER_READ)
    rows = session.scalars(select(User).where(User.is_active).order_by(User.name))
    return [UserOut.model_validate(u) for u in rows]


def update_own_locale(session: Session, actor: Actor, locale: str) -> None:
    """The language switch: remember the caller's choice (ignored if not ja/en)."""
    if locale in ("ja", "en") and actor.user_id is not None:
        update_profile(session, actor, ProfileUpdate(locale=locale))
