"""Playbook use cases: build (draft versions), publish, pause, archive; dry runs and runs;
snoozes; firings and runs for the pages; YAML export and import.

Reading playbooks needs ACCOUNT_READ (CSMs see which rules create their tasks and why);
changing, dry-running and running them needs PLAYBOOK_ADMIN; running a *manual* playbook on
chosen accounts and snoozing a playbook for an account need TASK_WRITE.

Versions: version 1 is a draft. Editing the definition of a playbook whose latest version
is published creates draft n+1 (otherwise the draft is changed in place). Publishing
retires the published version; when the trigger changed, the stored matches are dropped,
so the next evaluation starts afresh (see ``engine``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.facts.catalogue import FactsCache, fact_specs
from kizuna.kit.clock import ensure_utc, utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.account import Account
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import CustomFieldObject, Phase
from kizuna.models.playbook import (
    Playbook,
    PlaybookFiring,
    PlaybookMatchSet,
    PlaybookRun,
    PlaybookSnooze,
    PlaybookStatus,
    PlaybookVersion,
    VersionStatus,
)
from kizuna.models.segment import Segment
from kizuna.models.task import Task, TaskStatus
from kizuna.models.user import Team, User
from kizuna.playbook.definition import Catalog, Definition, parse_definition
from kizuna.playbook.engine import evaluate_playbooks
from kizuna.playbook.schemas import (
    ApplyRequest,
    FiringOut,
    ImportResult,
    PlaybookCreate,
    PlaybookDetail,
    PlaybookOut,
    PlaybookUpdate,
    RunOut,
    RunReport,
    SnoozeIn,
    SnoozeOut,
    VersionOut,
)
from kizuna.playbook.why import trigger_summary
from kizuna.segment import service as segments
from kizuna.segment.evaluation import FactSource

MAX_LIST = 500


# --------------------------------------------------------------------------- catalog


def catalog(session: Session, actor: Actor) -> Catalog:
    """What definitions may name: facts, the actor's usable segments, active users, account
    custom fields and journey phases."""
    fields = list(
        session.scalars(
            select(CustomFieldDefinition).where(
                CustomFieldDefinition.object_type == CustomFieldObject.ACCOUNT,
                CustomFieldDefinition.is_active.is_(True),
            )
        )
    )

    def check_custom(key: str, value: Any) -> str | None:
        try:
            custom_fields.validate_for(
                session, CustomFieldObject.ACCOUNT, {key: value}, check_required=False
            )
        except Invalid as exc:
            return "; ".join(p.message for p in exc.problems)
        return None

    return Catalog(
        specs=fact_specs(session),
        segments={s.id: s.name for s in segments.list_segments(session, actor)},
        user_emails=frozenset(
            e.lower() for e in session.scalars(select(User.email).where(User.is_active.is_(True)))
        ),
        custom_fields={f.key: f.field_type.value for f in fields},
        phases=tuple(p.value for p in Phase),
        check_custom_value=check_custom,
    )


def validate(session: Session, actor: Actor, data: Any) -> Definition:
    """A definition checked against today's catalogue (``Invalid`` names each path)."""
    return parse_definition(data, catalog(session, actor))


# --------------------------------------------------------------------------- reading


def _load(session: Session, key: str) -> Playbook:
    playbook = session.scalar(select(Playbook).where(Playbook.key == key))
    if playbook is None:
        raise NotFound("playbook not found")
    return playbook


def _load_active(session: Session, key: str) -> Playbook:
    playbook = _load(session, key)
    if playbook.status != PlaybookStatus.ACTIVE:
        raise Conflict(f"{key} is not active", code="not_active")
    return playbook


def _versions(session: Session, playbook_id: uuid.UUID) -> list[PlaybookVersion]:
    return list(
        session.scalars(
            select(PlaybookVersion)
            .where(PlaybookVersion.playbook_id == playbook_id)
            .order_by(PlaybookVersion.number.desc())
        )
    )


def _segment_names(session: Session) -> dict[str, str]:
    return {str(i): n for i, n in session.execute(select(Segment.id, Segment.name)).all()}


def _outs(session: Session, playbooks: Sequence[Playbook], now: datetime) -> list[PlaybookOut]:
    if not playbooks:
        return []
    ids = [p.id for p in playbooks]
    latest: dict[uuid.UUID, PlaybookVersion] = {}
    for v in session.scalars(
        select(PlaybookVersion)
        .where(PlaybookVersion.playbook_id.in_(ids))
        .order_by(PlaybookVersion.playbook_id, PlaybookVersion.number)
    ):
        latest[v.playbook_id] = v
    published: dict[uuid.UUID, dict[str, Any]] = {
        v.playbook_id: v.definition
        for v in session.scalars(
            select(PlaybookVersion).where(
                PlaybookVersion.playbook_id.in_(ids),
                PlaybookVersion.status == VersionStatus.PUBLISHED,
            )
        )
    }
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    fired = {
        pid: (int(w or 0), int(m or 0))
        for pid, w, m in session.execute(
            select(
                PlaybookFiring.playbook_id,
                func.sum(case((PlaybookFiring.fired_at >= week, 1), else_=0)),
                func.count(),
            )
            .where(PlaybookFiring.playbook_id.in_(ids), PlaybookFiring.fired_at >= month)
            .group_by(PlaybookFiring.playbook_id)
        )
    }
    open_tasks = dict(
        session.execute(
            select(Task.playbook_id, func.count())
            .where(Task.playbook_id.in_(ids), Task.status == TaskStatus.OPEN)
            .group_by(Task.playbook_id)
        ).all()
    )
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    names = _segment_names(session)
    out = []
    for p in playbooks:
        version = latest[p.id]
        shown = published.get(p.id, version.definition)
        trigger = shown.get("trigger", {"type": "manual"})
        week_count, month_count = fired.get(p.id, (0, 0))
        out.append(
            PlaybookOut(
                id=p.id,
                key=p.key,
                name=p.name,
                description=p.description,
                status=p.status,
                team_id=p.team_id,
                team_name=teams.get(p.team_id) if p.team_id else None,
                published_version=p.published_version,
                latest_version=version.number,
                has_draft=version.status == VersionStatus.DRAFT,
                trigger_type=str(trigger.get("type")),
                trigger_summary=trigger_summary(trigger, names),
                trigger=trigger,
                fired_7d=week_count,
                fired_30d=month_count,
                open_tasks=int(open_tasks.get(p.id, 0)),
                last_evaluated_at=p.evaluated_at,
                created_at=p.created_at,
                updated_at=p.updated_at,
            )
        )
    return out


def list_playbooks(
    session: Session, actor: Actor, *, include_archived: bool = False
) -> list[PlaybookOut]:
    """Active first, then paused, drafts, archived; by name within each."""
    actor.require(Permission.ACCOUNT_READ)
    stmt = select(Playbook)
    if not include_archived:
        stmt = stmt.where(Playbook.status != PlaybookStatus.ARCHIVED)
    order = {
        PlaybookStatus.ACTIVE: 0,
        PlaybookStatus.PAUSED: 1,
        PlaybookStatus.DRAFT: 2,
        PlaybookStatus.ARCHIVED: 3,
    }
    playbooks = sorted(session.scalars(stmt), key=lambda p: (order[p.status], p.name, p.key))
    return _outs(session, playbooks, utc_now())


def get_playbook(session: Session, actor: Actor, key: str) -> PlaybookDetail:
    actor.require(Permission.ACCOUNT_READ)
    playbook = _load(session, key)
    versions = _versions(session, playbook.id)
    author_ids = {v.created_by_id for v in versions if v.created_by_id}
    authors = dict(session.execute(select(User.id, User.name).where(User.id.in_(author_ids))).all())
    published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    base = _outs(session, [playbook], utc_now())[0]
    return PlaybookDetail(
        **base.model_dump(),
        definition=versions[0].definition,
        published_definition=published.definition if published else None,
        versions=[
            VersionOut(
                number=v.number,
                status=v.status,
                note=v.note,
                definition=v.definition,
                created_by_name=authors.get(v.created_by_id) if v.created_by_id else None,
                created_at=v.created_at,
                published_at=v.published_at,
            )
            for v in versions
        ],
    )


# --------------------------------------------------------------------------- changes


def _check_team(session: Session, team_id: uuid.UUID | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid.field("team_id", "no such team", code="unknown_team")


def create_playbook(session: Session, actor: Actor, data: PlaybookCreate) -> Playbook:
    """A new playbook with its definition as draft version 1 (not evaluated until
    published)."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    if session.scalar(select(Playbook.id).where(Playbook.key == data.key)) is not None:
        raise Invalid.field("key", "a playbook with this key exists", code="duplicate")
    _check_team(session, data.team_id)
    definition = validate(session, actor, data.definition)
    playbook = Playbook(
        key=data.key,
        name=data.name,
        description=data.description,
        status=PlaybookStatus.DRAFT,
        team_id=data.team_id,
        created_by_id=actor.user_id,
    )
    session.add(playbook)
    session.flush()
    session.add(
        PlaybookVersion(
            playbook_id=playbook.id,
            number=1,
            definition=definition.data,
            status=VersionStatus.DRAFT,
            note=data.note,
            created_by_id=actor.user_id,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "playbook.create",
        "playbook",
        playbook.id,
        summary=playbook.key,
        changes=audit.snapshot(playbook, ["key", "name", "description", "team_id", "status"])
        | {"definition": [None, definition.data]},
    )
    return playbook


def update_playbook(
    session: Session, actor: Actor, key: str, data: PlaybookUpdate
) -> PlaybookVersion | None:
    """Change name/description/team at once; a new definition goes into the draft (a new
    draft n+1 when the latest version is published). Returns the draft written, if any."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    playbook = _load(session, key)
    if playbook.status == PlaybookStatus.ARCHIVED:
        raise Conflict("the playbook is archived", code="archived")
    values = data.model_dump(exclude_unset=True, exclude={"definition", "note"})
    if "name" in values and values["name"] is None:
        values.pop("name")
    if "description" in values and values["description"] is None:
        values["description"] = ""
    if "team_id" in values:
        _check_team(session, values["team_id"])
    changes = audit.apply_changes(playbook, values)
    draft = None
    if data.definition is not None:
        definition = validate(session, actor, data.definition)
        latest = _versions(session, playbook.id)[0]
        if latest.status == VersionStatus.DRAFT:
            draft = latest
            if draft.definition != definition.data:
                changes["definition"] = [draft.definition, definition.data]
                draft.definition = definition.data
            if data.note is not None:
                draft.note = data.note
            draft.created_by_id = actor.user_id
        elif latest.definition != definition.data:
            draft = PlaybookVersion(
                playbook_id=playbook.id,
                number=latest.number + 1,
                definition=definition.data,
                status=VersionStatus.DRAFT,
                note=data.note or "",
                created_by_id=actor.user_id,
            )
            session.add(draft)
            changes["definition"] = [latest.definition, definition.data]
            changes["draft_version"] = [None, draft.number]
    session.flush()
    if changes:
        audit.record(
            session, actor, "playbook.update", "playbook", playbook.id, summary=key, changes=changes
        )
    return draft


def publish(
    session: Session, actor: Actor, key: str, *, note: str | None = None
) -> PlaybookVersion:
    """Publish the draft: the published version is retired, the playbook becomes active
    (a paused one stays paused). The draft is validated again (segments or users named
    may have gone since it was saved)."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    playbook = _load(session, key)
    if playbook.status == PlaybookStatus.ARCHIVED:
        raise Conflict("the playbook is archived", code="archived")
    versions = _versions(session, playbook.id)
    draft = versions[0]
    if draft.status != VersionStatus.DRAFT:
        raise Conflict("there is no draft to publish", code="no_draft")
    definition = validate(session, actor, draft.definition)
    previous = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        session.flush()
    draft.status = VersionStatus.PUBLISHED
    draft.published_at = utc_now()
    draft.definition = definition.data
    if note:
        draft.note = note
    same_trigger = previous is not None and previous.definition.get("trigger") == definition.trigger
    old_status = playbook.status
    playbook.published_version = draft.number
    if playbook.status != PlaybookStatus.PAUSED:
        playbook.status = PlaybookStatus.ACTIVE
    if same_trigger:
        playbook.state_version = draft.number if playbook.state_version is not None else None
    else:
        session.execute(delete(PlaybookMatchSet).where(PlaybookMatchSet.playbook_id == playbook.id))
        playbook.state_version = None
        playbook.events_until = None
        playbook.evaluated_on = None
    session.flush()
    audit.record(
        session,
        actor,
        "playbook.publish",
        "playbook",
        playbook.id,
        summary=f"{key} v{draft.number}",
        changes={
            "published_version": [previous.number if previous else None, draft.number],
            "status": [old_status.value, playbook.status.value],
        },
    )
    return draft


def set_status(session: Session, actor: Actor, key: str, status: PlaybookStatus) -> Playbook:
    """Pause (stop evaluating), resume (active again) or archive."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    playbook = _load(session, key)
    if status == PlaybookStatus.DRAFT:
        raise Invalid.field("status", "a playbook cannot go back to draft", code="bad_status")
    if status in (PlaybookStatus.ACTIVE, PlaybookStatus.PAUSED):
        if playbook.published_version is None:
            raise Conflict("publish the playbook first", code="not_published")
        if playbook.status == PlaybookStatus.ARCHIVED:
            raise Conflict("the playbook is archived", code="archived")
    changes = audit.apply_changes(playbook, {"status": status})
    if changes:
        session.flush()
        action = {
            PlaybookStatus.ACTIVE: "playbook.resume",
            PlaybookStatus.PAUSED: "playbook.pause",
            PlaybookStatus.ARCHIVED: "playbook.archive",
        }[status]
        audit.record(session, actor, action, "playbook", playbook.id, summary=key, changes=changes)
    return playbook


# --------------------------------------------------------------------------- running


def dry_run(
    session: Session,
    actor: Actor,
    key: str,
    *,
    use_draft: bool = True,
    account_ids: Collection[uuid.UUID] = (),
    today: date,
    zone: str,
    data_dir: Path,
) -> RunReport:
    """What the playbook (its draft, when there is one and ``use_draft``) would do on
    today's data. Writes nothing."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    playbook = _load(session, key)
    latest = _versions(session, playbook.id)[0]
    drafts = {}
    if latest.status == VersionStatus.DRAFT and (use_draft or playbook.published_version is None):
        drafts[playbook.id] = validate(session, actor, latest.definition)
    for account_id in account_ids:
        access_account_for_input(session, actor, account_id, field="account_ids")
    return evaluate_playbooks(
        session,
        actor,
        today=today,
        zone=zone,
        data_dir=data_dir,
        dry_run=True,
        playbook_ids=[playbook.id],
        drafts=drafts,
        manual={playbook.id: list(account_ids)} if account_ids else None,
        origin="dry_run",
    )


def run(
    session: Session,
    actor: Actor,
    keys: Collection[str] | None = None,
    *,
    today: date,
    zone: str,
    data_dir: Path,
    public_url: str = "",
    origin: str = "manual",
    cache: FactsCache | None = None,
) -> RunReport:
    """Evaluate the active playbooks (or ``keys``) now and act on what fires (``cache``:
    facts loaded earlier in the same transaction, see ``evaluate_playbooks``)."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    ids = None if keys is None else [_load_active(session, key).id for key in keys]
    return evaluate_playbooks(
        session,
        actor,
        today=today,
        zone=zone,
        data_dir=data_dir,
        dry_run=False,
        playbook_ids=ids,
        origin=origin,
        public_url=public_url,
        cache=cache,
    )


def apply(
    session: Session,
    actor: Actor,
    key: str,
    data: ApplyRequest,
    *,
    today: date,
    zone: str,
    data_dir: Path,
    public_url: str = "",
) -> RunReport:
    """Run a manual playbook on chosen accounts and/or a segment's members (TASK_WRITE).
    The usual gates apply: audience, touch models, snoozes, cooldown, open tasks."""
    actor.require(Permission.TASK_WRITE)
    playbook = _load_active(session, key)
    version = session.scalar(
        select(PlaybookVersion).where(
            PlaybookVersion.playbook_id == playbook.id,
            PlaybookVersion.number == playbook.published_version,
        )
    )
    if version is None or version.definition.get("trigger", {}).get("type") != "manual":
        raise Conflict("only manual playbooks are run on chosen accounts", code="not_manual")
    chosen: list[uuid.UUID] = []
    for account_id in data.account_ids:
        chosen.append(access_account_for_input(session, actor, account_id, field="account_ids").id)
    if data.segment_id is not None:
        source = FactSource(session, today, zone, data_dir)
        chosen += segments.member_ids(session, actor, data.segment_id, source=source)
    if not chosen:
        raise Invalid.field("account_ids", "choose accounts or a segment", code="required")
    return evaluate_playbooks(
        session,
        actor,
        today=today,
        zone=zone,
        data_dir=data_dir,
        dry_run=False,
        playbook_ids=[playbook.id],
        manual={playbook.id: chosen},
        origin="apply",
        public_url=public_url,
        as_permission=Permission.TASK_WRITE,
    )


# --------------------------------------------------------------------------- snoozes


def snooze(
    session: Session, actor: Actor, key: str, data: SnoozeIn, *, today: date
) -> PlaybookSnooze:
    """Don't fire ``key`` for the account before ``until`` (replaces an earlier snooze)."""
    actor.require(Permission.TASK_WRITE)
    playbook = _load(session, key)
    if data.until <= today:
        raise Invalid.field("until", "must be after today", code="in_the_past")
    account = access_account_for_input(session, actor, data.account_id)
    existing = session.get(PlaybookSnooze, (playbook.id, account.id))
    old = existing.until.isoformat() if existing else None
    if existing is None:
        existing = PlaybookSnooze(
            playbook_id=playbook.id,
            account_id=account.id,
            until=data.until,
            reason=data.reason,
            created_by_id=actor.user_id,
        )
        session.add(existing)
    else:
        existing.until = data.until
        existing.reason = data.reason
        existing.created_by_id = actor.user_id
        existing.created_at = utc_now()
    session.flush()
    audit.record(
        session,
        actor,
        "playbook.snooze",
        "playbook",
        playbook.id,
        summary=f"{key}: {account.name} until {data.until.isoformat()}",
        changes={"snooze": [old, data.until.isoformat()], "account_id": [None, str(account.id)]},
    )
    return existing


def unsnooze(session: Session, actor: Actor, key: str, account_id: uuid.UUID) -> None:
    actor.require(Permission.TASK_WRITE)
    playbook = _load(session, key)
    account = access_account(session, actor, account_id)
    existing = session.get(PlaybookSnooze, (playbook.id, account.id))
    if existing is None:
        raise NotFound("no snooze for this account")
    old = existing.until.isoformat()
    session.delete(existing)
    session.flush()
    audit.record(
        session,
        actor,
        "playbook.unsnooze",
        "playbook",
        playbook.id,
        summary=f"{key}: {account.name}",
        changes={"snooze": [old, None], "account_id": [str(account.id), None]},
    )


def list_snoozes(session: Session, actor: Actor, key: str, *, today: date) -> list[SnoozeOut]:
    actor.require(Permission.ACCOUNT_READ)
    playbook = _load(session, key)
    rows = session.execute(
        select(PlaybookSnooze, Account.name)
        .join(Account, Account.id == PlaybookSnooze.account_id)
        .where(PlaybookSnooze.playbook_id == playbook.id, PlaybookSnooze.until > today)
        .order_by(PlaybookSnooze.until, Account.name)
    )
    return [
        SnoozeOut(
            account_id=s.account_id,
            account_name=name,
            until=s.until,
            reason=s.reason,
            created_at=s.created_at,
        )
        for s, name in rows
    ]


# --------------------------------------------------------------------------- history


def list_firings(
    session: Session,
    actor: Actor,
    *,
    key: str | None = None,
    account_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[FiringOut]:
    """Newest first, with the why and what the actions did."""
    actor.require(Permission.ACCOUNT_READ)
    stmt = (
        select(PlaybookFiring, Playbook.key, Account.name)
        .join(Playbook, Playbook.id == PlaybookFiring.playbook_id)
        .join(Account, Account.id == PlaybookFiring.account_id)
    )
    if key is not None:
        stmt = stmt.where(PlaybookFiring.playbook_id == _load(session, key).id)
    if account_id is not None:
        access_account(session, actor, account_id)
        stmt = stmt.where(PlaybookFiring.account_id == account_id)
    stmt = stmt.order_by(PlaybookFiring.fired_at.desc(), PlaybookFiring.id.desc())
    return [
        FiringOut(
            id=f.id,
            playbook_id=f.playbook_id,
            playbook_key=pkey,
            version=f.version,
            account_id=f.account_id,
            account_name=name,
            fired_at=f.fired_at,
            why=f.why,
            actions=f.actions,
        )
        for f, pkey, name in session.execute(stmt.limit(min(limit, MAX_LIST)))
    ]


def firings_per_day(
    session: Session, actor: Actor, key: str, *, today: date, zone: str, days: int = 30
) -> list[tuple[date, int]]:
    """How many accounts the playbook fired for on each of the last ``days`` local days."""
    actor.require(Permission.ACCOUNT_READ)
    playbook = _load(session, key)
    tz = ZoneInfo(zone)
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=tz)
    counts = dict.fromkeys((first + timedelta(days=n) for n in range(days)), 0)
    for (fired_at,) in session.execute(
        select(PlaybookFiring.fired_at).where(
            PlaybookFiring.playbook_id == playbook.id, PlaybookFiring.fired_at >= since
        )
    ):
        day = ensure_utc(fired_at).astimezone(tz).date()
        if day in counts:
            counts[day] += 1
    return list(counts.items())


def list_runs(
    session: Session, actor: Actor, *, key: str | None = None, limit: int = 20
) -> list[RunOut]:
    """Newest evaluations first (with ``key``: those that evaluated that playbook)."""
    actor.require(Permission.ACCOUNT_READ)
    wanted = str(_load(session, key).id) if key else None
    out: list[RunOut] = []
    offset = 0
    while len(out) < limit:
        batch = list(
            session.scalars(
                select(PlaybookRun)
                .order_by(PlaybookRun.started_at.desc(), PlaybookRun.id.desc())
                .offset(offset)
                .limit(200)
            )
        )
        for r in batch:
            if wanted is None or wanted in (r.stats or {}):
                out.append(RunOut.model_validate(r, from_attributes=True))
        if len(batch) < 200 or offset >= 2000:
            break
        offset += 200
    return out[:limit]


# --------------------------------------------------------------------------- YAML


def export_document(session: Session, actor: Actor, key: str) -> dict[str, Any]:
    detail = get_playbook(session, actor, key)
    team = session.get(Team, detail.team_id) if detail.team_id else None
    return {
        "key": detail.key,
        "name": detail.name,
        "description": detail.description,
        "team": team.name if team else None,
        "definition": detail.definition,
    }


def export_yaml(session: Session, actor: Actor, keys: Collection[str] | None = None) -> str:
    """One playbook, several or all (not archived) as a YAML list."""
    actor.require(Permission.ACCOUNT_READ)
    if keys is None:
        keys = [p.key for p in list_playbooks(session, actor)]
    documents = [export_document(session, actor, k) for k in keys]
    return yaml.safe_dump(documents, allow_unicode=True, sort_keys=False)


def import_yaml(session: Session, actor: Actor, text: str) -> list[ImportResult]:
    """Create the playbooks of a YAML list (or one mapping), or put their definitions into
    drafts of existing ones; all or nothing. Teams are named (``team: CS``)."""
    actor.require(Permission.PLAYBOOK_ADMIN)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("file",), "not_yaml", f"not valid YAML: {exc}")) from None
    items = document if isinstance(document, list) else [document]
    results = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise Invalid(FieldProblem(("file", n), "not_a_mapping", "expected a mapping"))
        item = dict(item)
        team_name = item.pop("team", None)
        team_id = None
        if team_name:
            team_id = session.scalar(select(Team.id).where(Team.name == str(team_name)))
            if team_id is None:
                raise Invalid(FieldProblem(("file", n, "team"), "unknown_team", "no such team"))
        try:
            data = PlaybookCreate.model_validate(
                item | {"team_id": team_id, "note": item.get("note", "imported from YAML")}
            )
        except ValidationError as exc:
            raise Invalid(
                [
                    FieldProblem(("file", n, *map(str, e["loc"])), e["type"], e["msg"])
                    for e in exc.errors()
                ]
            ) from None
        existing = session.scalar(select(Playbook).where(Playbook.key == data.key))
        if existing is None:
            create_playbook(session, actor, data)
            created = True
        else:
            update_playbook(
                session,
                actor,
                data.key,
                PlaybookUpdate(
                    name=data.name,
                    description=data.description,
                    team_id=data.team_id,
                    definition=data.definition,
                    note=data.note,
                ),
            )
            created = False
        results.append(
            ImportResult(playbook=get_playbook(session, actor, data.key), created=created)
        )
    return results
