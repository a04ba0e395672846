"""/api/v1/teams"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from kizuna.api.deps import DbSession, UserAdmin, UserReader
from kizuna.api.schemas import PageOut
from kizuna.user import service
from kizuna.user.schemas import TeamCreate, TeamOut, TeamUpdate, UserOut

router = APIRouter(prefix="/teams", tags=["teams"])


@router.get("", response_model=PageOut[TeamOut], summary="List teams")
def list_teams(actor: UserReader, session: DbSession) -> PageOut[TeamOut]:
    """Every team by name, with its member count (one page: teams are few)."""
    with session.begin():
        return PageOut(items=service.list_teams(session, actor), next_cursor=None)


@router.post("", response_model=TeamOut, status_code=201, summary="Create a team")
def create_team(body: TeamCreate, actor: UserAdmin, session: DbSession) -> TeamOut:
    with session.begin():
        team = service.create_team(session, actor, body)
        return service.get_team(session, actor, team.id)


@router.get("/{team_id}", response_model=TeamOut, summary="Get a team")
def get_team(team_id: uuid.UUID, actor: UserReader, session: DbSession) -> TeamOut:
    with session.begin():
        return service.get_team(session, actor, team_id)


@router.get("/{team_id}/members", response_model=PageOut[UserOut], summary="List team members")
def list_team_members(
    team_id: uuid.UUID, actor: UserReader, session: DbSession
) -> PageOut[UserOut]:
    with session.begin():
        return PageOut(items=service.list_team_members(session, actor, team_id), next_cursor=None)


@router.patch("/{team_id}", response_model=TeamOut, summary="Update a team")
def update_team(
    team_id: uuid.UUID, body: TeamUpdate, actor: UserAdmin, session: DbSession
) -> TeamOut:
    with session.begin():
        service.update_team(session, actor, team_id, body)
        return service.get_team(session, actor, team_id)


@router.delete("/{team_id}", status_code=204, summary="Delete a team")
def delete_team(team_id: uuid.UUID, actor: UserAdmin, session: DbSession) -> Response:
    """Members stay, without a team."""
    with session.begin():
        service.delete_team(session, actor, team_id)
    return Response(status_code=204)
