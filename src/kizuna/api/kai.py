"""/api/v1/kai"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from kizuna.api.deps import AccountReader, DbSession
from kizuna.kit.clock import today
from kizuna.task import kai
from kizuna.task.schemas import KaiReport, Period

router = APIRouter(prefix="/kai", tags=["tasks"])


@router.get("", response_model=KaiReport, summary="KAI: actions per person per period")
def kai_report(
    actor: AccountReader,
    session: DbSession,
    period: Period = Period.MONTH,
    from_on: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    to_on: Annotated[date | None, Query(alias="to", description="last local day")] = None,
    team_id: Annotated[
        uuid.UUID | None, Query(description="a team (TEAM_READ); without it: yourself")
    ] = None,
    all_teams: Annotated[
        bool, Query(description="everybody (administrators, managers of a management team)")
    ] = False,
) -> KaiReport:
    """Calls, meetings, proposals, QBRs and trainings you (or each member of `team_id`)
    recorded, tasks completed and tasks that went past their due date, per week (from
    Monday), month or quarter in your time zone. Default: the last six periods."""
    with session.begin():
        return kai.kai_report(
            session,
            actor,
            period=period,
            today=today(actor.timezone),
            zone=actor.timezone,
            from_on=from_on,
            to_on=to_on,
            team_id=team_id,
            everyone=all_teams,
        )
