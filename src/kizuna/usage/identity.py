"""Identity: who a product user is (a contact, by e-mail) and which account their events
count for (through ``group`` calls). Used by HTTP ingestion and by the bulk event import.

Rules (written down in docs/usage.md):
- ``identify`` upserts the user (traits merged) and links the contact whose e-mail equals
  ``traits.email``; the contact's account becomes the user's account unless a group
  already gave them one.
- ``group`` upserts the group and matches it to an account by external id, else by Kizuna
  id, else (sources with ``group_match = "domain"``) by domain. The user of the call joins
  the group and its account. The source's trait mapping copies traits onto the account
  through the account service (audited, as a system change from that source). Unmatched
  groups are kept; linking one later links its users too.
- ``alias`` gives the new user id what the previous one had (account, contact, group).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kizuna.account import service as accounts
from kizuna.account.schemas import AccountUpdate
from kizuna.auth.actor import Actor
from kizuna.customfield import service as custom_fields
from kizuna.kit.errors import DomainError
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.enums import CustomFieldObject
from kizuna.models.usage import GroupMatch, UsageGroup, UsageUser
from kizuna.usage.events import IDENTITY_TYPES, EventRecord, Rejection
from kizuna.usage.sources import CUSTOM_PREFIX, SourceKey


@dataclass
class IdentityResult:
    users: int = 0
    groups: int = 0
    accounts_updated: int = 0
    unmatched_groups: list[str] = field(default_factory=list)
    # Traits that could not be applied to an account (the event itself was stored).
    problems: list[Rejection] = field(default_factory=list)


def source_actor(source: SourceKey | None) -> Actor:
    """The actor of changes made by events: the system, named after the sending source
    (the audit log records the name)."""
    return Actor.system(name=f"event source {source.name}" if source else "event import")


def apply_identity(
    session: Session, records: Iterable[EventRecord], *, source: SourceKey | None = None
) -> IdentityResult:
    """Apply the identify / group / alias records among ``records`` (others are ignored)."""
    calls = [r for r in records if r["type"] in IDENTITY_TYPES]
    result = IdentityResult()
    if not calls:
        return result
    users = _load_users(session, calls)
    groups = _load_groups(session, calls)
    contacts = _contacts_by_email(session, calls)
    actor = source_actor(source)
    touched_users: set[str] = set()
    for record in calls:
        traits = _traits(record)
        if record["type"] == "group":
            group = _upsert_group(session, groups, record, traits, source)
            if group.account_id is None:
                group.account_id = _match_account(session, group.group_id, traits, source)
                if group.account_id is not None:
                    _link_group_users(session, group)
            if group.account_id is None:
                result.unmatched_groups.append(group.group_id)
            elif (
                source is not None
                and source.trait_mapping
                and _apply_traits(session, actor, group, traits, source, record, result)
            ):
                result.accounts_updated += 1
            result.groups += 1
        if record["user_id"] is None:
            continue
        user = _upsert_user(session, users, record["user_id"], record["timestamp"])
        touched_users.add(user.user_id)
        if record["type"] == "identify":
            _identify(user, traits, contacts)
        elif record["type"] == "alias" and record["previous_id"]:
            previous = users.get(record["previous_id"])
            if previous is not None:
                _inherit(user, previous)
        group_id = record["group_id"]
        if group_id is not None and record["type"] != "alias":
            user.group_id = group_id
            group_row = groups.get(group_id)
            if group_row is not None and group_row.account_id is not None:
                user.account_id = group_row.account_id
    result.users = len(touched_users)
    session.flush()
    return result


def link_group(session: Session, group: UsageGroup, account_id: uuid.UUID) -> int:
    """Point a group (and every user last seen in it) at an account; returns users moved."""
    group.account_id = account_id
    session.flush()
    return _link_group_users(session, group)


def _link_group_users(session: Session, group: UsageGroup) -> int:
    moved = session.execute(
        update(UsageUser)
        .where(UsageUser.group_id == group.group_id)
        .values(account_id=group.account_id)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(moved, "rowcount", 0) or 0)


def _traits(record: EventRecord) -> dict[str, Any]:
    value = orjson.loads(record["properties"]) if record["properties"] else {}
    return value if isinstance(value, dict) else {}


def _load_users(session: Session, calls: Sequence[EventRecord]) -> dict[str, UsageUser]:
    ids = {r["user_id"] for r in calls if r["user_id"]}
    ids |= {r["previous_id"] for r in calls if r["type"] == "alias" and r["previous_id"]}
    if not ids:
        return {}
    rows = session.scalars(select(UsageUser).where(UsageUser.user_id.in_(ids)))
    return {u.user_id: u for u in rows}


def _load_groups(session: Session, calls: Sequence[EventRecord]) -> dict[str, UsageGroup]:
    ids = {r["group_id"] for r in calls if r["group_id"]}
    if not ids:
        return {}
    rows = session.scalars(select(UsageGroup).where(UsageGroup.group_id.in_(ids)))
    return {g.group_id: g for g in rows}


def _contacts_by_email(
    session: Session, calls: Sequence[EventRecord]
) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Lower-cased e-mail → (contact id, account id), for the e-mails the calls name."""
    emails = {e for r in calls if r["type"] == "identify" and (e := _email(_traits(r)))}
    if not emails:
        return {}
    rows = session.execute(
        select(func.lower(Contact.email), Contact.id, Contact.account_id)
        .where(func.lower(Contact.email).in_(emails))
        .order_by(Contact.is_active.desc(), Contact.created_at)
    ).all()
    found: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
    for email, contact_id, account_id in rows:
        found.setdefault(email, (contact_id, account_id))
    return found


def _email(traits: Mapping[str, Any]) -> str | None:
    value = traits.get("email")
    if isinstance(value, str) and "@" in value and len(value) <= 254:
        return value.strip().lower()
    return None


def _upsert_user(
    session: Session, users: dict[str, UsageUser], user_id: str, seen_at: datetime
) -> UsageUser:
    user = users.get(user_id)
    if user is None:
        user = UsageUser(user_id=user_id, traits={}, first_seen_at=seen_at, last_seen_at=seen_at)
        session.add(user)
        users[user_id] = user
    else:
        user.first_seen_at = min(user.first_seen_at, seen_at)
        user.last_seen_at = max(user.last_seen_at, seen_at)
    return user


def _identify(
    user: UsageUser, traits: dict[str, Any], contacts: Mapping[str, tuple[uuid.UUID, uuid.UUID]]
) -> None:
    if traits:
        user.traits = {**(user.traits or {}), **traits}
    email = _email(traits)
    if email is None:
        return
    user.email = email
    match = contacts.get(email)
    if match is not None:
        user.contact_id = match[0]
        if user.account_id is None:
            user.account_id = match[1]


def _inherit(user: UsageUser, previous: UsageUser) -> None:
    user.account_id = user.account_id or previous.account_id
    user.contact_id = user.contact_id or previous.contact_id
    user.group_id = user.group_id or previous.group_id
    user.email = user.email or previous.email


def _upsert_group(
    session: Session,
    groups: dict[str, UsageGroup],
    record: EventRecord,
    traits: dict[str, Any],
    source: SourceKey | None,
) -> UsageGroup:
    group_id = record["group_id"]
    assert group_id is not None  # events.normalise requires it of group calls
    seen_at = record["timestamp"]
    group = groups.get(group_id)
    if group is None:
        group = UsageGroup(
            group_id=group_id,
            source_id=source.id if source else None,
            traits={},
            name="",
            first_seen_at=seen_at,
            last_seen_at=seen_at,
        )
        session.add(group)
        groups[group_id] = group
    else:
        group.first_seen_at = min(group.first_seen_at, seen_at)
        group.last_seen_at = max(group.last_seen_at, seen_at)
    if traits:
        group.traits = {**(group.traits or {}), **traits}
    name = traits.get("name")
    if isinstance(name, str) and name.strip():
        group.name = name.strip()[:200]
    return group


def _match_account(
    session: Session, group_id: str, traits: Mapping[str, Any], source: SourceKey | None
) -> uuid.UUID | None:
    """External id, else Kizuna id, else (when the source allows it) domain."""
    found = session.scalar(select(Account.id).where(Account.external_id == group_id))
    if found is not None:
        return found
    try:
        as_uuid = uuid.UUID(group_id)
    except ValueError:
        as_uuid = None
    if as_uuid is not None:
        found = session.scalar(select(Account.id).where(Account.id == as_uuid))
        if found is not None:
            return found
    if source is None or source.group_match != GroupMatch.DOMAIN:
        return None
    domains = {_domain(group_id)} | {_domain(traits.get(k)) for k in ("domain", "website")}
    domains.discard(None)
    if not domains:
        return None
    return session.scalar(
        select(Account.id).where(func.lower(Account.domain).in_(domains)).limit(1)
    )


def _domain(value: Any) -> str | None:
    if not isinstance(value, str) or "." not in value:
        return None
    text = value.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.removeprefix("www.")
    return host or None


def _apply_traits(
    session: Session,
    actor: Actor,
    group: UsageGroup,
    traits: Mapping[str, Any],
    source: SourceKey,
    record: EventRecord,
    result: IdentityResult,
) -> bool:
    """Copy mapped traits onto the group's account; a bad value is reported, not applied."""
    assert group.account_id is not None
    account = session.get(Account, group.account_id)
    if account is None:
        return False
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for trait, target in source.trait_mapping.items():
        if trait not in traits or traits[trait] is None:
            continue
        value = traits[trait]
        if target.startswith(CUSTOM_PREFIX):
            key = target[len(CUSTOM_PREFIX) :]
            problem = _custom_problem(session, account, key, value)
            if problem is None:
                custom[key] = value
            else:
                result.problems.append(_trait_problem(record, trait, target, problem))
            continue
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and target != ("employee_count")
        ):
            value = str(value)
        try:
            AccountUpdate.model_validate({target: value})
        except ValidationError as exc:
            message = exc.errors()[0]["msg"]
            result.problems.append(_trait_problem(record, trait, target, message))
            continue
        values[target] = value
    if custom:
        values["custom_fields"] = {**(account.custom_fields or {}), **custom}
    if not values:
        return False
    before = {k: getattr(account, k) for k in values}
    try:
        accounts.update_account(session, actor, account.id, AccountUpdate.model_validate(values))
    except DomainError as exc:  # checked before anything is changed: nothing half-applied
        result.problems.append(_trait_problem(record, ", ".join(values), "fields", exc.message))
        return False
    return any(getattr(account, k) != v for k, v in before.items())


def _custom_problem(session: Session, account: Account, key: str, value: Any) -> str | None:
    try:
        custom_fields.validate_for(
            session,
            CustomFieldObject.ACCOUNT,
            {key: value},
            existing=account.custom_fields,
            check_required=False,
        )
    except DomainError as exc:
        return exc.message
    return None


def _trait_problem(record: EventRecord, trait: str, target: str, message: str) -> Rejection:
    return Rejection(
        "trait_not_applied",
        f"traits.{trait}: not copied to account {target}: {message}"[:500],
        record["message_id"],
        record["properties"][:4096],
    )
