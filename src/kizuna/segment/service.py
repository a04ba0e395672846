"""Segment use cases: save, share, change, archive; who is in a segment today.

Visibility: a private segment is seen by its owner only, a shared one by everybody who can
read accounts (ACCOUNT_READ). Changing one needs SEGMENT_WRITE and being its owner — or,
for a shared segment, being an administrator or manager (so a team's shared segments do
not die with their author's account). Others see it but get ``Forbidden``; segments they
cannot see are ``NotFound``. The system actor (jobs, CLI) sees and changes everything.

Membership is never stored: it is the segment's condition evaluated over today's facts
(``facts``), so it follows the data. Deleting archives: playbooks that name a segment keep
evaluating it.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from kizuna.account import repository as accounts
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.facts import conditions
from kizuna.facts.frame import Facts
from kizuna.kit.clock import today as local_today
from kizuna.kit.errors import Forbidden, Invalid, NotFound
from kizuna.kit.pagination import Cursor, Page
from kizuna.models.account import Account
from kizuna.models.enums import Role
from kizuna.models.health import HealthScore
from kizuna.models.segment import Segment
from kizuna.models.user import User
from kizuna.segment.evaluation import FactSource
from kizuna.segment.schemas import MemberOut, PreviewOut, SegmentIn, SegmentOut, SegmentUpdate

SAMPLE_SIZE = 20
_CURATORS = frozenset({Role.ADMIN, Role.MANAGER})
_FIELDS = ("name", "description", "definition", "shared", "archived")


# --------------------------------------------------------------------------- visibility


def _visible(actor: Actor) -> ColumnElement[bool]:
    if actor.user_id is None:
        return true()
    return or_(Segment.shared.is_(True), Segment.owner_id == actor.user_id)


def can_edit(actor: Actor, segment: Segment) -> bool:
    if not actor.can(Permission.SEGMENT_WRITE):
        return False
    if actor.user_id is None or segment.owner_id == actor.user_id:
        return True
    return segment.shared and actor.role in _CURATORS


def require_edit(actor: Actor, segment: Segment) -> None:
    actor.require(Permission.SEGMENT_WRITE)
    if not can_edit(actor, segment):
        raise Forbidden(
            "only the owner (or, for a shared segment, an administrator or manager) may "
            "change this segment",
            code="not_owner",
        )


def list_segments(
    session: Session, actor: Actor, *, include_archived: bool = False
) -> list[Segment]:
    """The actor's own segments and every shared one, by name."""
    actor.require(Permission.ACCOUNT_READ)
    stmt = select(Segment).where(_visible(actor))
    if not include_archived:
        stmt = stmt.where(Segment.archived.is_(False))
    return list(session.scalars(stmt.order_by(Segment.name, Segment.id)))


def get_segment(session: Session, actor: Actor, segment_id: uuid.UUID) -> Segment:
    actor.require(Permission.ACCOUNT_READ)
    segment = session.scalar(select(Segment).where(Segment.id == segment_id, _visible(actor)))
    if segment is None:
        raise NotFound("segment not found")
    return segment


def to_out(
    session: Session,
    actor: Actor,
    segments: Sequence[Segment],
    counts: dict[uuid.UUID, int | None] | None = None,
) -> list[SegmentOut]:
    """Segments with their owners' names (one query) and, if given, member counts."""
    owner_ids = {s.owner_id for s in segments if s.owner_id}
    names: dict[uuid.UUID, str] = {}
    if owner_ids:
        names = dict(
            session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()
        )
    return [
        SegmentOut.model_validate(
            {
                **{k: getattr(s, k) for k in SegmentOut.model_fields if hasattr(s, k)},
                "owner_name": names.get(s.owner_id) if s.owner_id else None,
                "can_edit": can_edit(actor, s),
                "member_count": (counts or {}).get(s.id),
            }
        )
        for s in segments
    ]


# --------------------------------------------------------------------------- changes


def validate_definition(
    source: FactSource, definition: Any, *, where: str = "definition"
) -> dict[str, Any]:
    """The stored form of a condition; ``Invalid`` names every bad part by its path."""
    return conditions.to_json(source.parse(definition, where=where))


def create_segment(
    session: Session, actor: Actor, data: SegmentIn, *, source: FactSource
) -> Segment:
    actor.require(Permission.SEGMENT_WRITE)
    segment = Segment(
        name=data.name,
        description=data.description,
        definition=validate_definition(source, data.definition),
        owner_id=actor.user_id,
        shared=data.shared,
        archived=False,
    )
    session.add(segment)
    session.flush()
    audit.record(
        session,
        actor,
        "segment.create",
        "segment",
        segment.id,
        summary=segment.name,
        changes=audit.snapshot(segment, _FIELDS),
    )
    return segment


def update_segment(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    data: SegmentUpdate,
    *,
    source: FactSource,
) -> Segment:
    segment = get_segment(session, actor, segment_id)
    require_edit(actor, segment)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "description", "shared", "archived"):
        if key in values and values[key] is None:
            values.pop(key)
    if values.get("definition") is not None:
        values["definition"] = validate_definition(source, values["definition"])
    else:
        values.pop("definition", None)
    changes = audit.apply_changes(segment, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "segment.update",
            "segment",
            segment.id,
            summary=segment.name,
            changes=changes,
        )
    return segment


def archive_segment(session: Session, actor: Actor, segment_id: uuid.UUID) -> Segment:
    """Hide a segment from lists and pickers (it still evaluates where it is named)."""
    segment = get_segment(session, actor, segment_id)
    require_edit(actor, segment)
    changes = audit.apply_changes(segment, {"archived": True})
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "segment.archive",
            "segment",
            segment.id,
            summary=segment.name,
            changes=changes,
        )
    return segment


# --------------------------------------------------------------------------- membership


def member_mask(facts: Facts, segment: Segment) -> conditions.Mask:
    """One boolean per row of ``facts``: is the account in ``segment``? (``facts`` must hold
    the facts the definition reads.)"""
    condition = conditions.parse(segment.definition, facts.specs, field="definition")
    return conditions.evaluate(condition, facts)


def _member_rows(source: FactSource, definition: Any) -> tuple[Facts, np.ndarray[Any, Any]]:
    """Facts (with names) and the member rows, sorted by account name."""
    condition = source.parse(definition)
    facts = source.matching(condition, extra=("account.name",))
    rows = np.flatnonzero(conditions.evaluate(condition, facts))
    names = facts.column("account.name")
    order = sorted(rows, key=lambda r: (str(names[r] or "").casefold(), facts.account_ids[r]))
    return facts, np.asarray(order, dtype=np.int64)


def member_ids(
    session: Session, actor: Actor, segment_id: uuid.UUID, *, source: FactSource
) -> list[uuid.UUID]:
    """Ids of the accounts in the segment today, ordered by account name."""
    segment = get_segment(session, actor, segment_id)
    facts, rows = _member_rows(source, segment.definition)
    return [uuid.UUID(str(facts.account_ids[r])) for r in rows]


def members(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    data_dir: Path,
    today: date | None = None,
) -> list[uuid.UUID]:
    """Ids of the accounts in the segment on ``today`` (the actor's today by default)."""
    return member_ids(session, actor, segment_id, source=_source(session, actor, data_dir, today))


def count(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    data_dir: Path,
    today: date | None = None,
) -> int:
    return len(members(session, actor, segment_id, data_dir=data_dir, today=today))


def segment_account_ids(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    data_dir: Path,
    today: date | None = None,
) -> set[uuid.UUID]:
    """The cut other pages apply (Portfolio, health, revenue, journey): the member ids of a
    segment the actor can see. ``NotFound`` when it is missing or not visible."""
    return set(members(session, actor, segment_id, data_dir=data_dir, today=today))


def _source(session: Session, actor: Actor, data_dir: Path, today: date | None) -> FactSource:
    return FactSource(
        session,
        today=today or local_today(actor.timezone),
        zone=actor.timezone,
        data_dir=data_dir,
    )


def counts(
    actor: Actor, segments: Sequence[Segment], *, source: FactSource
) -> dict[uuid.UUID, int | None]:
    """Member counts of ``segments`` from one load of the facts they read together; a
    segment whose condition no longer parses (a removed custom field) counts ``None``."""
    actor.require(Permission.ACCOUNT_READ)
    parsed: dict[uuid.UUID, conditions.Condition | None] = {}
    for segment in segments:
        try:
            parsed[segment.id] = source.parse(segment.definition)
        except Invalid:
            parsed[segment.id] = None
    keys: set[str] = set()
    for condition in parsed.values():
        if condition is not None:
            keys |= conditions.facts_used(condition)
    facts = source.facts(keys)
    return {
        sid: None if c is None else int(conditions.evaluate(c, facts).sum())
        for sid, c in parsed.items()
    }


@dataclass(frozen=True)
class MemberPage:
    total: int
    rows: list[MemberOut]
    page: int
    pages: int


def member_page(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    source: FactSource,
    page: int = 1,
    per_page: int = 50,
) -> MemberPage:
    ids = member_ids(session, actor, segment_id, source=source)
    pages = max(1, -(-len(ids) // per_page))
    page = min(max(1, page), pages)
    chosen = ids[(page - 1) * per_page : page * per_page]
    return MemberPage(len(ids), member_details(session, chosen, today=source.today), page, pages)


def preview(session: Session, actor: Actor, definition: Any, *, source: FactSource) -> PreviewOut:
    """How many accounts a condition matches today, and the first 20 by name."""
    actor.require(Permission.ACCOUNT_READ)
    facts, rows = _member_rows(source, definition)
    ids = [uuid.UUID(str(facts.account_ids[r])) for r in rows[:SAMPLE_SIZE]]
    return PreviewOut(
        count=len(rows),
        total=len(facts),
        sample=member_details(session, ids, today=source.today),
    )


CHUNK = 500


def member_details(session: Session, ids: Sequence[uuid.UUID], *, today: date) -> list[MemberOut]:
    """Name, tier, phase, CSM, MRR today and health of ``ids``, in the order given
    (one query per 500 accounts)."""
    found: dict[uuid.UUID, MemberOut] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        r = accounts.rollup(today)
        stmt = (
            select(
                Account.id,
                Account.name,
                Account.tier,
                Account.phase,
                Account.csm_owner_id,
                User.name.label("csm_name"),
                func.coalesce(r.c.mrr_amount, literal(0)).label("mrr_amount"),
                Account.currency,
                HealthScore.score,
                HealthScore.band,
            )
            .outerjoin(r, r.c.account_id == Account.id)
            .outerjoin(User, User.id == Account.csm_owner_id)
            .outerjoin(HealthScore, HealthScore.account_id == Account.id)
            .where(Account.id.in_(chunk) if chunk else false())
        )
        for row in session.execute(stmt):
            found[row.id] = MemberOut(
                account_id=row.id,
                name=row.name,
                tier=row.tier,
                phase=row.phase,
                csm_owner_id=row.csm_owner_id,
                csm_owner_name=row.csm_name,
                mrr_amount=int(row.mrr_amount or 0),
                currency=row.currency,
                health_score=row.score,
                health_band=row.band,
            )
    return [found[i] for i in ids if i in found]


def members_keyset(
    session: Session,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    source: FactSource,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[MemberOut]:
    """Members by name, one keyset page at a time (the cursor holds the last name and id,
    so a member joining or leaving between pages shifts nothing)."""
    segment = get_segment(session, actor, segment_id)
    facts, rows = _member_rows(source, segment.definition)
    names = facts.column("account.name")
    keys = [(str(names[r] or "").casefold(), str(facts.account_ids[r])) for r in rows]
    start = 0
    if cursor:
        after = Cursor.decode(cursor)
        start = bisect.bisect_right(keys, (str(after.sort_value), after.last_id))
    chosen = rows[start : start + limit]
    ids = [uuid.UUID(str(facts.account_ids[r])) for r in chosen]
    items = member_details(session, ids, today=source.today)
    more = start + limit < len(rows)
    next_cursor = None
    if more and len(chosen):
        last = keys[start + len(chosen) - 1]
        next_cursor = Cursor(last[0], last[1]).encode()
    return Page(items, next_cursor)
