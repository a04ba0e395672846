"""Scorecards: create, edit (into a draft version), publish, YAML, and which scorecard
scores which account.

Versioning: editing a scorecard whose latest version is published creates a new draft
(number + 1); editing a draft updates it in place. Publishing turns the draft into the
published version and retires the previous one. Score and history rows keep the version
that produced them, so nothing is rewritten when a version is retired.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import schedule
from kizuna.health.definition import Definition, validate_definition
from kizuna.health.schemas import (
    AppliesTo,
    ImportResult,
    ScorecardCreate,
    ScorecardDetail,
    ScorecardOut,
    ScorecardUpdate,
    SignalOut,
    VersionOut,
)
from kizuna.health.signals.catalogue import available_signals, resolve_signal
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.health import HealthScore, HealthScorecard, HealthScorecardVersion
from kizuna.models.user import User

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
META_FIELDS = ["name", "name_en", "description", "applies_to", "priority"]


# -- reading -------------------------------------------------------------------------------


def load_scorecard(session: Session, key: str) -> HealthScorecard:
    scorecard = session.scalar(select(HealthScorecard).where(HealthScorecard.key == key))
    if scorecard is None or scorecard.archived:
        raise NotFound("scorecard not found")
    return scorecard


def versions_of(session: Session, scorecard_id: uuid.UUID) -> list[HealthScorecardVersion]:
    """Newest first."""
    return list(
        session.scalars(
            select(HealthScorecardVersion)
            .where(HealthScorecardVersion.scorecard_id == scorecard_id)
            .order_by(HealthScorecardVersion.number.desc())
        )
    )


def _with_status(
    versions: list[HealthScorecardVersion], status: str
) -> HealthScorecardVersion | None:
    return next((v for v in versions if v.status == status), None)


def list_scorecards(session: Session, actor: Actor) -> list[ScorecardOut]:
    """Every scorecard: the default first, then by priority (highest first) and key."""
    actor.require(Permission.HEALTH_READ)
    scorecards = list(
        session.scalars(
            select(HealthScorecard)
            .where(HealthScorecard.archived.is_(False))
            .order_by(
                HealthScorecard.is_default.desc(),
                HealthScorecard.priority.desc(),
                HealthScorecard.key,
            )
        )
    )
    versions = session.scalars(select(HealthScorecardVersion)).all()
    by_card: dict[uuid.UUID, list[HealthScorecardVersion]] = {}
    for version in sorted(versions, key=lambda v: -v.number):
        by_card.setdefault(version.scorecard_id, []).append(version)
    counts = dict(
        session.execute(
            select(HealthScorecardVersion.scorecard_id, func.count())
            .join(HealthScore, HealthScore.version_id == HealthScorecardVersion.id)
            .group_by(HealthScorecardVersion.scorecard_id)
        ).all()
    )
    return [_out(s, by_card.get(s.id, []), counts.get(s.id, 0)) for s in scorecards]


def _out(
    scorecard: HealthScorecard, versions: list[HealthScorecardVersion], accounts: int
) -> ScorecardOut:
    published = _with_status(versions, PUBLISHED)
    draft = _with_status(versions, DRAFT)
    return ScorecardOut(
        id=scorecard.id,
        key=scorecard.key,
        name=scorecard.name,
        name_en=scorecard.name_en,
        description=scorecard.description,
        applies_to=AppliesTo.model_validate(scorecard.applies_to or {}),
        priority=scorecard.priority,
        is_default=scorecard.is_default,
        published_version=published.number if published else None,
        draft_version=draft.number if draft else None,
        accounts=accounts,
    )


def get_scorecard(session: Session, actor: Actor, key: str) -> ScorecardDetail:
    """The scorecard with its latest definition and every version (newest first)."""
    actor.require(Permission.HEALTH_READ)
    scorecard = load_scorecard(session, key)
    versions = versions_of(session, scorecard.id)
    accounts = session.scalar(
        select(func.count())
        .select_from(HealthScore)
        .join(HealthScorecardVersion, HealthScore.version_id == HealthScorecardVersion.id)
        .where(HealthScorecardVersion.scorecard_id == scorecard.id)
    )
    ids = {v.created_by_id for v in versions if v.created_by_id}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    base = _out(scorecard, versions, accounts or 0)
    return ScorecardDetail(
        **base.model_dump(),
        definition=versions[0].definition if versions else {},
        versions=[
            VersionOut.model_validate(v).model_copy(
                update={
                    "created_by_name": names.get(v.created_by_id, "") if v.created_by_id else ""
                }
            )
            for v in versions
        ],
    )


def get_version(session: Session, actor: Actor, key: str, number: int) -> HealthScorecardVersion:
    actor.require(Permission.HEALTH_READ)
    scorecard = load_scorecard(session, key)
    version = session.scalar(
        select(HealthScorecardVersion).where(
            HealthScorecardVersion.scorecard_id == scorecard.id,
            HealthScorecardVersion.number == number,
        )
    )
    if version is None:
        raise NotFound("version not found")
    return version


def list_signals(session: Session, actor: Actor) -> list[SignalOut]:
    actor.require(Permission.HEALTH_READ)
    return [
        SignalOut(
            key=s.key,
            group=str(s.group),
            name=s.name,
            name_en=s.name_en,
            unit=str(s.unit),
            higher_is_better=s.higher_is_better,
            description=s.description,
            description_en=s.description_en,
            backtestable=s.backtestable,
        )
        for s in available_signals(session)
    ]


# -- writing -------------------------------------------------------------------------------


def check_definition(
    session: Session, data: dict[str, Any], *, where: tuple[str | int, ...] = ("body", "definition")
) -> Definition:
    """Validate the document and every measure's signal against the catalogue."""
    definition = validate_definition(data, where=where)
    problems: list[FieldProblem] = []
    for i, measure in enumerate(definition.measures):
        try:
            resolve_signal(session, measure.signal)
        except Invalid:
            problems.append(
                FieldProblem(
                    (*where, "measures", i, "signal"),
                    "unknown_signal",
                    f"unknown signal {measure.signal!r}",
                )
            )
    if problems:
        raise Invalid(problems)
    return definition


def create_scorecard(session: Session, actor: Actor, data: ScorecardCreate) -> HealthScorecard:
    """A new scorecard with its first version as a draft (publish to start scoring)."""
    actor.require(Permission.HEALTH_ADMIN)
    if session.scalar(select(HealthScorecard.id).where(HealthScorecard.key == data.key)):
        raise Invalid.field("key", "key already used", code="duplicate")
    definition = check_definition(session, data.definition)
    scorecard = HealthScorecard(
        key=data.key,
        name=data.name,
        name_en=data.name_en,
        description=data.description,
        applies_to=data.applies_to.model_dump(mode="json"),
        priority=data.priority,
        is_default=False,
        archived=False,
    )
    session.add(scorecard)
    session.flush()
    version = _new_version(session, actor, scorecard, definition, 1, data.note)
    audit.record(
        session,
        actor,
        "health_scorecard.create",
        "health_scorecard",
        scorecard.id,
        summary=f"{scorecard.key} v{version.number}",
        changes=audit.snapshot(scorecard, ["key", *META_FIELDS]),
    )
    return scorecard


def _new_version(
    session: Session,
    actor: Actor,
    scorecard: HealthScorecard,
    definition: Definition,
    number: int,
    note: str,
) -> HealthScorecardVersion:
    version = HealthScorecardVersion(
        scorecard_id=scorecard.id,
        number=number,
        status=DRAFT,
        definition=definition.model_dump(mode="json"),
        note=note,
        created_by_id=actor.user_id,
        created_at=utc_now(),
    )
    session.add(version)
    session.flush()
    return version


def update_scorecard(
    session: Session, actor: Actor, key: str, data: ScorecardUpdate
) -> HealthScorecardVersion | None:
    """Apply the fields sent. Returns the draft version the definition went into (None
    when no definition was sent)."""
    actor.require(Permission.HEALTH_ADMIN)
    scorecard = load_scorecard(session, key)
    values = data.model_dump(exclude_unset=True, exclude={"definition", "note"}, mode="json")
    values = {k: v for k, v in values.items() if v is not None}
    definition = check_definition(session, data.definition) if data.definition is not None else None
    changes = audit.apply_changes(scorecard, values)
    draft = None
    if definition is not None:
        versions = versions_of(session, scorecard.id)
        draft = versions[0] if versions and versions[0].status == DRAFT else None
        if draft is None:
            number = versions[0].number + 1 if versions else 1
            draft = _new_version(session, actor, scorecard, definition, number, data.note or "")
            changes["version"] = [None, number]
        else:
            document = definition.model_dump(mode="json")
            if document != draft.definition:
                changes["definition"] = [None, f"v{draft.number}"]
            draft.definition = document
            if data.note is not None:
                draft.note = data.note
            draft.created_by_id = actor.user_id or draft.created_by_id
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "health_scorecard.update",
            "health_scorecard",
            scorecard.id,
            summary=scorecard.key,
            changes=changes,
        )
    return draft


def publish(
    session: Session, actor: Actor, key: str, *, note: str | None = None
) -> HealthScorecardVersion:
    """Publish the draft (retiring the published version) and queue a rescore."""
    actor.require(Permission.HEALTH_ADMIN)
    scorecard = load_scorecard(session, key)
    versions = versions_of(session, scorecard.id)
    draft = _with_status(versions, DRAFT)
    if draft is None:
        raise Conflict("there is no draft to publish", code="no_draft")
    check_definition(session, draft.definition, where=("definition",))
    previous = _with_status(versions, PUBLISHED)
    if previous is not None:
        previous.status = RETIRED
        session.flush()  # one published version at a time, also mid-transaction
    draft.status = PUBLISHED
    draft.published_at = utc_now()
    if note:
        draft.note = note
    session.flush()
    audit.record(
        session,
        actor,
        "health_scorecard.publish",
        "health_scorecard",
        scorecard.id,
        summary=f"{scorecard.key} v{draft.number}",
        changes={"published_version": [previous.number if previous else None, draft.number]},
    )
    schedule.request_rescore(session)
    return draft


# -- YAML ----------------------------------------------------------------------------------


def export_yaml(session: Session, actor: Actor, key: str) -> str:
    """The scorecard and its latest definition as YAML (what ``import_yaml`` reads)."""
    detail = get_scorecard(session, actor, key)
    document = {
        "key": detail.key,
        "name": detail.name,
        "name_en": detail.name_en,
        "description": detail.description,
        "applies_to": detail.applies_to.model_dump(mode="json"),
        "priority": detail.priority,
        "definition": detail.definition,
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def import_yaml(session: Session, actor: Actor, text: str, *, note: str = "") -> ImportResult:
    """Create the scorecard, or put the definition into its draft (all or nothing)."""
    actor.require(Permission.HEALTH_ADMIN)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("file",), "not_yaml", f"not valid YAML: {exc}")) from None
    if not isinstance(document, dict):
        raise Invalid(FieldProblem(("file",), "not_a_mapping", "expected a mapping"))
    document.setdefault("note", note or "imported from YAML")
    try:
        data = ScorecardCreate.model_validate(document)
    except ValidationError as exc:
        raise Invalid(
            [FieldProblem(tuple(map(str, e["loc"])), e["type"], e["msg"]) for e in exc.errors()]
        ) from None
    existing = session.scalar(select(HealthScorecard).where(HealthScorecard.key == data.key))
    if existing is None or existing.archived:
        if existing is not None:
            raise Invalid.field("key", "key belongs to an archived scorecard", code="duplicate")
        scorecard = create_scorecard(session, actor, data)
        created = True
    else:
        update = ScorecardUpdate.model_validate(data.model_dump(exclude={"key"}))
        update_scorecard(session, actor, data.key, update)
        scorecard = existing
        created = False
    version = versions_of(session, scorecard.id)[0]
    out = next(s for s in list_scorecards(session, actor) if s.key == scorecard.key)
    return ImportResult(scorecard=out, created=created, version=version.number)


# -- assignment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Active:
    """A scorecard with its published version and parsed definition."""

    scorecard: HealthScorecard
    version: HealthScorecardVersion
    definition: Definition

    def matches(self, tier: str | None, phase: str | None) -> bool:
        tiers = self.scorecard.applies_to.get("tiers") or []
        phases = self.scorecard.applies_to.get("phases") or []
        return (not tiers or tier in tiers) and (not phases or phase in phases)

    @property
    def specificity(self) -> int:
        applies = self.scorecard.applies_to
        return int(bool(applies.get("tiers"))) + int(bool(applies.get("phases")))


def active_scorecards(session: Session) -> list[Active]:
    """Every scorecard with a published version, most specific first (the default last)."""
    rows = session.execute(
        select(HealthScorecard, HealthScorecardVersion)
        .join(HealthScorecardVersion, HealthScorecardVersion.scorecard_id == HealthScorecard.id)
        .where(HealthScorecardVersion.status == PUBLISHED, HealthScorecard.archived.is_(False))
    )
    active = [Active(s, v, validate_definition(v.definition)) for s, v in rows]
    return sorted(
        active,
        key=lambda a: (
            a.scorecard.is_default,
            -a.scorecard.priority,
            -a.specificity,
            a.scorecard.key,
        ),
    )


def assign(
    active: list[Active], accounts: list[tuple[str, str | None, str | None]]
) -> dict[str, Active]:
    """Each account (id, tier, phase) → the first matching scorecard in ``active`` order
    (highest priority, then most specific); the default scores everyone else. Accounts
    nothing matches (no published default) are left out."""
    specific = [a for a in active if not a.scorecard.is_default]
    default = next((a for a in active if a.scorecard.is_default), None)
    chosen: dict[str, Active] = {}
    for account_id, tier, phase in accounts:
        match = next((a for a in specific if a.matches(tier, phase)), default)
        if match is not None:
            chosen[account_id] = match
    return chosen


def assignment_counts(chosen: dict[str, Active]) -> Counter[str]:
    return Counter(a.scorecard.key for a in chosen.values())
