"""/api/v1/playbooks: build (draft versions), publish, pause; dry runs and runs; manual
runs on chosen accounts; snoozes; firings ("why did this fire") and evaluation runs; YAML."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, TypedDict

from fastapi import APIRouter, Depends, Query, Request, Response

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.playbook import PlaybookStatus
from kizuna.playbook import service
from kizuna.playbook.schemas import (
    ApplyRequest,
    DryRunRequest,
    FiringOut,
    ImportResult,
    PlaybookCreate,
    PlaybookDetail,
    PlaybookOut,
    PlaybookUpdate,
    PublishRequest,
    RunOut,
    RunReport,
    SnoozeIn,
    SnoozeOut,
    VersionOut,
)

router = APIRouter(prefix="/playbooks", tags=["playbooks"])
Reader = Annotated[Actor, Depends(need(Permission.ACCOUNT_READ))]
Admin = Annotated[Actor, Depends(need(Permission.PLAYBOOK_ADMIN))]
Worker = Annotated[Actor, Depends(need(Permission.TASK_WRITE))]
FiringLimit = Annotated[int, Query(ge=1, le=service.MAX_LIST)]
RunLimit = Annotated[int, Query(ge=1, le=200)]
MAX_YAML_BYTES = 1_000_000


class _Clock(TypedDict):
    today: date
    zone: str
    data_dir: Path


class _RunArgs(_Clock):
    public_url: str


def _clock(request: Request) -> _Clock:
    """Today in the server's default time zone, that zone and the data folder: what an
    evaluation needs besides the session."""
    settings = request.app.state.settings
    zone = settings.default_timezone
    return _Clock(today=today(zone), zone=zone, data_dir=settings.data_dir)


def _run_args(request: Request) -> _RunArgs:
    """``_clock`` and the public URL (for links in notifications)."""
    return _RunArgs(**_clock(request), public_url=request.app.state.settings.public_url)


def _yaml(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="{name}.yaml"'},
    )


@router.get("", response_model=list[PlaybookOut], summary="List playbooks")
def list_playbooks(
    actor: Reader, session: DbSession, include_archived: bool = False
) -> list[PlaybookOut]:
    """Active first; with firings in the last 7 / 30 days and open tasks."""
    with session.begin():
        return service.list_playbooks(session, actor, include_archived=include_archived)


@router.post("", response_model=PlaybookDetail, status_code=201, summary="Create a playbook")
def create_playbook(body: PlaybookCreate, actor: Admin, session: DbSession) -> PlaybookDetail:
    """Version 1 is a draft: dry-run it, then publish it. Problems in the definition name
    their path (`definition.actions[0].assignee`)."""
    with session.begin():
        playbook = service.create_playbook(session, actor, body)
        return service.get_playbook(session, actor, playbook.key)


@router.get("/export", summary="Export playbooks as YAML")
def export_playbooks(
    actor: Reader,
    session: DbSession,
    key: Annotated[list[str] | None, Query(description="only these keys")] = None,
) -> Response:
    with session.begin():
        return _yaml(service.export_yaml(session, actor, key), "playbooks")


@router.post("/import", response_model=list[ImportResult], summary="Import playbooks (YAML)")
async def import_playbooks(
    request: Request, actor: Admin, session: DbSession
) -> list[ImportResult]:
    """Body: what `GET /playbooks/export` returns (a list, or one playbook). New keys are
    created as drafts; existing ones get the definition as their draft. All or nothing."""
    raw = await request.body()
    if len(raw) > MAX_YAML_BYTES:
        raise Invalid(FieldProblem(("body",), "too_large", "the YAML document is too large"))
    with session.begin():
        return service.import_yaml(session, actor, raw.decode("utf-8", errors="replace"))


@router.post("/run", response_model=RunReport, summary="Evaluate every active playbook now")
def run_all(request: Request, actor: Admin, session: DbSession) -> RunReport:
    """What the hourly job does: tasks, notifications and updates for what fires."""
    with session.begin():
        return service.run(session, actor, **_run_args(request))


@router.get("/runs", response_model=list[RunOut], summary="Recent evaluations")
def list_runs(actor: Reader, session: DbSession, limit: RunLimit = 20) -> list[RunOut]:
    with session.begin():
        return service.list_runs(session, actor, limit=limit)


@router.get("/firings", response_model=list[FiringOut], summary="Recent firings")
def list_firings(
    actor: Reader,
    session: DbSession,
    account_id: uuid.UUID | None = None,
    limit: FiringLimit = 50,
) -> list[FiringOut]:
    """Every playbook's firings, newest first, with the why (filter by account)."""
    with session.begin():
        return service.list_firings(session, actor, account_id=account_id, limit=limit)


@router.get("/{key}", response_model=PlaybookDetail, summary="Get a playbook")
def get_playbook(key: str, actor: Reader, session: DbSession) -> PlaybookDetail:
    """With the latest definition (the draft when there is one) and every version."""
    with session.begin():
        return service.get_playbook(session, actor, key)


@router.patch("/{key}", response_model=PlaybookDetail, summary="Update a playbook")
def update_playbook(
    key: str, body: PlaybookUpdate, actor: Admin, session: DbSession
) -> PlaybookDetail:
    """Name, description and team change at once; a new `definition` goes into the draft
    (a new draft n+1 when the latest version is published)."""
    with session.begin():
        service.update_playbook(session, actor, key, body)
        return service.get_playbook(session, actor, key)


@router.get("/{key}/versions", response_model=list[VersionOut], summary="Versions")
def list_versions(key: str, actor: Reader, session: DbSession) -> list[VersionOut]:
    with session.begin():
        return service.get_playbook(session, actor, key).versions


@router.post("/{key}/publish", response_model=PlaybookDetail, summary="Publish the draft")
def publish(
    key: str, actor: Admin, session: DbSession, body: PublishRequest | None = None
) -> PlaybookDetail:
    """The draft becomes the published version (the previous one is retired) and the
    playbook is evaluated from the next run on. 409 `no_draft` when there is none."""
    with session.begin():
        service.publish(session, actor, key, note=body.note if body else None)
        return service.get_playbook(session, actor, key)


def _status(key: str, status: PlaybookStatus, actor: Actor, session: DbSession) -> PlaybookDetail:
    with session.begin():
        service.set_status(session, actor, key, status)
        return service.get_playbook(session, actor, key)


@router.post("/{key}/pause", response_model=PlaybookDetail, summary="Pause")
def pause(key: str, actor: Admin, session: DbSession) -> PlaybookDetail:
    """Stop evaluating (the state is kept; resuming fires only new edges)."""
    return _status(key, PlaybookStatus.PAUSED, actor, session)


@router.post("/{key}/resume", response_model=PlaybookDetail, summary="Resume")
def resume(key: str, actor: Admin, session: DbSession) -> PlaybookDetail:
    return _status(key, PlaybookStatus.ACTIVE, actor, session)


@router.post("/{key}/archive", response_model=PlaybookDetail, summary="Archive")
def archive(key: str, actor: Admin, session: DbSession) -> PlaybookDetail:
    """Kept with its firings and versions; no longer evaluated or listed by default."""
    return _status(key, PlaybookStatus.ARCHIVED, actor, session)


@router.post("/{key}/dry-run", response_model=RunReport, summary="Dry run on today's data")
def dry_run(
    request: Request,
    key: str,
    actor: Admin,
    session: DbSession,
    body: DryRunRequest | None = None,
) -> RunReport:
    """Which accounts would fire, why, which tasks would go to whom, and what would be
    skipped (already open, cooldown, snoozed). Writes nothing. Uses the draft when there
    is one (unless `draft` is false)."""
    body = body or DryRunRequest()
    with session.begin():
        return service.dry_run(
            session,
            actor,
            key,
            use_draft=body.draft,
            account_ids=body.account_ids,
            **_clock(request),
        )


@router.post("/{key}/run", response_model=RunReport, summary="Evaluate this playbook now")
def run_one(request: Request, key: str, actor: Admin, session: DbSession) -> RunReport:
    with session.begin():
        return service.run(session, actor, [key], **_run_args(request))


@router.post("/{key}/apply", response_model=RunReport, summary="Run a manual playbook")
def apply(
    request: Request, key: str, body: ApplyRequest, actor: Worker, session: DbSession
) -> RunReport:
    """Run a manual-trigger playbook on `account_ids` and/or a segment's members."""
    with session.begin():
        return service.apply(session, actor, key, body, **_run_args(request))


@router.get("/{key}/firings", response_model=list[FiringOut], summary="Firings")
def playbook_firings(
    key: str,
    actor: Reader,
    session: DbSession,
    account_id: uuid.UUID | None = None,
    limit: FiringLimit = 50,
) -> list[FiringOut]:
    with session.begin():
        return service.list_firings(session, actor, key=key, account_id=account_id, limit=limit)


@router.get("/{key}/runs", response_model=list[RunOut], summary="Evaluations of this playbook")
def playbook_runs(
    key: str,
    actor: Reader,
    session: DbSession,
    limit: RunLimit = 20,
) -> list[RunOut]:
    with session.begin():
        return service.list_runs(session, actor, key=key, limit=limit)


@router.get("/{key}/snoozes", response_model=list[SnoozeOut], summary="Snoozed accounts")
def list_snoozes(request: Request, key: str, actor: Reader, session: DbSession) -> list[SnoozeOut]:
    zone = request.app.state.settings.default_timezone
    with session.begin():
        return service.list_snoozes(session, actor, key, today=today(zone))


@router.post("/{key}/snoozes", response_model=SnoozeOut, status_code=201, summary="Snooze")
def snooze(
    request: Request, key: str, body: SnoozeIn, actor: Worker, session: DbSession
) -> SnoozeOut:
    """Don't fire the playbook for the account before `until`."""
    zone = request.app.state.settings.default_timezone
    with session.begin():
        service.snooze(session, actor, key, body, today=today(zone))
        snoozes = service.list_snoozes(session, actor, key, today=today(zone))
        return next(s for s in snoozes if s.account_id == body.account_id)


@router.delete("/{key}/snoozes/{account_id}", status_code=204, summary="End a snooze")
def unsnooze(key: str, account_id: uuid.UUID, actor: Worker, session: DbSession) -> Response:
    with session.begin():
        service.unsnooze(session, actor, key, account_id)
    return Response(status_code=204)


@router.get("/{key}/yaml", summary="Export one playbook as YAML")
def export_one(key: str, actor: Reader, session: DbSession) -> Response:
    with session.begin():
        return _yaml(service.export_yaml(session, actor, [key]), f"playbook-{key}")
