"""/api/v1/health: scorecards (versions, publish, YAML), the signal catalogue, the
current scores with their explanation, and queueing a rescore."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kizuna.api.deps import DbSession, need
from kizuna.api.schemas import PageOut
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import scorecards, service
from kizuna.health.schemas import (
    ImportResult,
    PublishRequest,
    RescoreQueued,
    ScorecardCreate,
    ScorecardDetail,
    ScorecardOut,
    ScorecardUpdate,
    ScoreDetail,
    ScoreOut,
    SignalOut,
)
from kizuna.kit.errors import FieldProblem, Invalid

router = APIRouter(prefix="/health", tags=["health"])
HealthReader = Annotated[Actor, Depends(need(Permission.HEALTH_READ))]
HealthAdmin = Annotated[Actor, Depends(need(Permission.HEALTH_ADMIN))]
MAX_YAML_BYTES = 1_000_000


@router.get("/scorecards", response_model=list[ScorecardOut], summary="List scorecards")
def list_scorecards(actor: HealthReader, session: DbSession) -> list[ScorecardOut]:
    """The default scorecard first, then by priority; `accounts` = accounts it scores now."""
    with session.begin():
        return scorecards.list_scorecards(session, actor)


@router.post(
    "/scorecards", response_model=ScorecardDetail, status_code=201, summary="Create a scorecard"
)
def create_scorecard(
    body: ScorecardCreate, actor: HealthAdmin, session: DbSession
) -> ScorecardDetail:
    """Version 1 is created as a draft: publish it to start scoring. Problems in the
    definition name their path (`definition.measures.2.scoring.steps`)."""
    with session.begin():
        scorecard = scorecards.create_scorecard(session, actor, body)
        return scorecards.get_scorecard(session, actor, scorecard.key)


@router.post(
    "/scorecards/import", response_model=ImportResult, summary="Import a scorecard from YAML"
)
async def import_scorecard(
    request: Request, actor: HealthAdmin, session: DbSession
) -> ImportResult:
    """Body: the YAML document `GET …/yaml` returns. Creates the scorecard, or puts the
    definition into its draft version (a new draft when the latest is published)."""
    raw = await request.body()
    if len(raw) > MAX_YAML_BYTES:
        raise Invalid(FieldProblem(("body",), "too_large", "the YAML document is too large"))
    with session.begin():
        return scorecards.import_yaml(session, actor, raw.decode("utf-8", errors="replace"))


@router.get("/scorecards/{key}", response_model=ScorecardDetail, summary="Get a scorecard")
def get_scorecard(key: str, actor: HealthReader, session: DbSession) -> ScorecardDetail:
    """With the latest definition and every version (who, when, note, status)."""
    with session.begin():
        return scorecards.get_scorecard(session, actor, key)


@router.patch("/scorecards/{key}", response_model=ScorecardDetail, summary="Update a scorecard")
def update_scorecard(
    key: str, body: ScorecardUpdate, actor: HealthAdmin, session: DbSession
) -> ScorecardDetail:
    """A new `definition` goes into the draft version: a new draft (number + 1) when the
    latest version is published, the same draft otherwise."""
    with session.begin():
        scorecards.update_scorecard(session, actor, key, body)
        return scorecards.get_scorecard(session, actor, key)


@router.post(
    "/scorecards/{key}/publish", response_model=ScorecardDetail, summary="Publish the draft"
)
def publish_scorecard(
    key: str, body: PublishRequest, actor: HealthAdmin, session: DbSession
) -> ScorecardDetail:
    """The draft becomes the published version, the previous one is retired, and a
    rescore is queued. 409 `no_draft` when there is nothing to publish."""
    with session.begin():
        scorecards.publish(session, actor, key, note=body.note)
        return scorecards.get_scorecard(session, actor, key)


@router.get("/scorecards/{key}/yaml", summary="Export a scorecard as YAML")
def export_scorecard(key: str, actor: HealthReader, session: DbSession) -> Response:
    with session.begin():
        text = scorecards.export_yaml(session, actor, key)
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="scorecard-{key}.yaml"'},
    )


@router.get("/signals", response_model=list[SignalOut], summary="The signal catalogue")
def list_signals(actor: HealthReader, session: DbSession) -> list[SignalOut]:
    """Every signal a measure can read: built-ins, `usage:<metric>:<grain>` for each
    enabled usage metric and grain, `field:…` account fields."""
    with session.begin():
        return scorecards.list_signals(session, actor)


@router.get("/scores", response_model=PageOut[ScoreOut], summary="Current health scores")
def list_scores(
    actor: HealthReader,
    session: DbSession,
    band: Annotated[list[str] | None, Query(description="green, yellow, red, unknown")] = None,
    score_min: Annotated[float | None, Query(ge=0, le=100)] = None,
    score_max: Annotated[float | None, Query(ge=0, le=100)] = None,
    dropped_by: Annotated[
        float | None, Query(gt=0, le=100, description="fell by at least this many points")
    ] = None,
    days: Annotated[int, Query(ge=1, le=365, description="over this many days")] = 7,
    scorecard: Annotated[str | None, Query(description="scorecard key")] = None,
    sort: Annotated[str, Query(description="score, change_7d or name; '-' = descending")] = "score",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[ScoreOut]:
    """Worst first by default. `dropped_by=10&days=7` lists the accounts whose score fell
    by 10 points or more in 7 days (a queryable signal for playbooks)."""
    filters = service.ScoreFilters(
        bands=band or [],
        score_min=score_min,
        score_max=score_max,
        dropped_by=dropped_by,
        days=days,
        scorecard=scorecard,
    )
    with session.begin():
        page = service.list_scores(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/scores/{account_id}", response_model=ScoreDetail, summary="An account's score, explained"
)
def get_score(account_id: uuid.UUID, actor: HealthReader, session: DbSession) -> ScoreDetail:
    """The explanation lists every measure's value, points, weight, share, contribution,
    `observed_on` (data freshness) and its value and points a week earlier, plus
    `changes` (measures whose points moved since then, largest first)."""
    with session.begin():
        return service.get_score(session, actor, account_id)


@router.post(
    "/rescore", response_model=RescoreQueued, status_code=202, summary="Rescore every account"
)
def rescore(actor: HealthAdmin, session: DbSession) -> RescoreQueued:
    """Queue the `health.rescore` job (null `job_id` when one is already waiting)."""
    with session.begin():
        job = service.queue_rescore(session, actor)
        return RescoreQueued(job_id=job.id if job else None)
