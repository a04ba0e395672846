"""Read side of ingestion for the event debugger and the API: recent events (a sample of each
request) with the account they count for, refused events, groups waiting to be linked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import NotFound
from kizuna.models.account import Account
from kizuna.models.usage import EventSample, RejectedEvent, UsageGroup, UsageUser
from kizuna.usage import identity
from kizuna.usage.source_schemas import GroupOut, RecentEventOut, RejectionOut

MAX_LIMIT = 500


def recent_events(
    session: Session,
    actor: Actor,
    *,
    source_id: uuid.UUID | None = None,
    after_seq: int | None = None,
    limit: int = 50,
) -> list[RecentEventOut]:
    """Newest sampled events first (only those after ``after_seq`` when given)."""
    actor.require(Permission.USAGE_READ)
    stmt = select(EventSample).order_by(EventSample.seq.desc()).limit(min(limit, MAX_LIMIT))
    if source_id is not None:
        stmt = stmt.where(EventSample.source_id == source_id)
    if after_seq is not None:
        stmt = stmt.where(EventSample.seq > after_seq)
    samples = list(session.scalars(stmt))
    accounts = resolve_accounts(session, samples)
    out = []
    for sample in samples:
        item = RecentEventOut.model_validate(sample)
        item.account_id, item.account_name = accounts.get(sample.seq, (None, None))
        out.append(item)
    return out


def resolve_accounts(
    session: Session, samples: Sequence[EventSample]
) -> dict[int, tuple[uuid.UUID, str]]:
    """seq → (account id, name): the account of the event's group, else of its user."""
    group_ids = {s.group_id for s in samples if s.group_id}
    user_ids = {s.user_id for s in samples if s.user_id}
    by_group: dict[str, uuid.UUID] = {}
    by_user: dict[str, uuid.UUID] = {}
    if group_ids:
        rows = session.execute(
            select(UsageGroup.group_id, UsageGroup.account_id).where(
                UsageGroup.group_id.in_(group_ids), UsageGroup.account_id.is_not(None)
            )
        )
        by_group = {g: a for g, a in rows if a is not None}
    if user_ids:
        rows = session.execute(
            select(UsageUser.user_id, UsageUser.account_id).where(
                UsageUser.user_id.in_(user_ids), UsageUser.account_id.is_not(None)
            )
        )
        by_user = {u: a for u, a in rows if a is not None}
    account_ids = set(by_group.values()) | set(by_user.values())
    names: dict[uuid.UUID, str] = {}
    if account_ids:
        named = session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids)))
        names = {account_id: name for account_id, name in named if name is not None}
    found: dict[int, tuple[uuid.UUID, str]] = {}
    for sample in samples:
        account_id = by_group.get(sample.group_id or "") or by_user.get(sample.user_id or "")
        if account_id is not None and account_id in names:
            found[sample.seq] = (account_id, names[account_id])
    return found


def rejections(
    session: Session,
    actor: Actor,
    *,
    source_id: uuid.UUID | None = None,
    reason: str | None = None,
    limit: int = 50,
) -> list[RejectionOut]:
    actor.require(Permission.USAGE_READ)
    stmt = select(RejectedEvent).order_by(RejectedEvent.seq.desc()).limit(min(limit, MAX_LIMIT))
    if source_id is not None:
        stmt = stmt.where(RejectedEvent.source_id == source_id)
    if reason:
        stmt = stmt.where(RejectedEvent.reason == reason)
    return [RejectionOut.model_validate(r) for r in session.scalars(stmt)]


def groups(
    session: Session, actor: Actor, *, unmatched_only: bool = True, limit: int = 100
) -> list[GroupOut]:
    """Usage groups (by default those no account was found for), most recently seen first."""
    actor.require(Permission.USAGE_READ)
    users = (
        select(UsageUser.group_id, func.count().label("users"))
        .group_by(UsageUser.group_id)
        .subquery()
    )
    stmt = (
        select(UsageGroup, func.coalesce(users.c.users, 0))
        .outerjoin(users, users.c.group_id == UsageGroup.group_id)
        .order_by(UsageGroup.last_seen_at.desc())
        .limit(min(limit, MAX_LIMIT))
    )
    if unmatched_only:
        stmt = stmt.where(UsageGroup.account_id.is_(None))
    out = []
    for group, count in session.execute(stmt):
        item = GroupOut.model_validate(group)
        item.users = int(count)
        out.append(item)
    return out


def link_group(
    session: Session, actor: Actor, group_row_id: uuid.UUID, account_id: uuid.UUID
) -> GroupOut:
    """Link a usage group to an account by hand; its users follow (audited)."""
    actor.require(Permission.SOURCE_ADMIN)
    group = session.get(UsageGroup, group_row_id)
    if group is None:
        raise NotFound("usage group not found")
    account = access_account_for_input(session, actor, account_id)
    old = group.account_id
    moved = identity.link_group(session, group, account.id)
    audit.record(
        session,
        actor,
        "usage_group.link",
        "usage_group",
        group.id,
        summary=f"{group.group_id} → {account.name} ({moved} users)",
        changes={"account_id": [str(old) if old else None, str(account.id)]},
    )
    return GroupOut.model_validate(group)


def find_account(session: Session, text: str) -> uuid.UUID | None:
    """The account an admin typed: external id, Kizuna id, or exact name (if unique)."""
    text = text.strip()
    if not text:
        return None
    found = session.scalar(select(Account.id).where(Account.external_id == text))
    if found is not None:
        return found
    try:
        found = session.scalar(select(Account.id).where(Account.id == uuid.UUID(text)))
    except ValueError:
        found = None
    if found is not None:
        return found
    named = list(session.scalars(select(Account.id).where(Account.name == text).limit(2)))
    return named[0] if len(named) == 1 else None
