"""Event sources and their write keys: create (the key is shown once), rotate, disable,
delete, trait mappings; and the cached key lookup used by every ingestion request.

A write key only lets its holder send events. Like API tokens it is 256-bit random, so a
SHA-256 digest is what we keep; the first characters are kept as a hint for display.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.auth.secrets import digest, new_secret
from kizuna.customfield import service as custom_fields
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.enums import CustomFieldObject
from kizuna.models.usage import EventInbox, EventSource
from kizuna.usage.source_schemas import SourceCreate, SourceUpdate

KEY_PREFIX = "kzw_"
HINT_LENGTH = 10
CUSTOM_PREFIX = "custom:"
# Account fields a group trait may update (owners, ids and money are never set by events).
MAPPABLE_FIELDS = ("name", "name_kana", "domain", "industry", "employee_count", "region")


@dataclass(frozen=True)
class SourceKey:
    """What ingestion needs to know about the source behind a write key."""

    id: uuid.UUID
    name: str
    enabled: bool
    group_match: str
    trait_mapping: Mapping[str, str] = field(default_factory=dict)


def new_write_key() -> str:
    return KEY_PREFIX + new_secret()


def load_source(session: Session, source_id: uuid.UUID) -> EventSource:
    source = session.get(EventSource, source_id)
    if source is None:
        raise NotFound("event source not found")
    return source


def list_sources(session: Session, actor: Actor) -> list[EventSource]:
    actor.require(Permission.USAGE_READ)
    return list(session.scalars(select(EventSource).order_by(EventSource.name)))


def get_source(session: Session, actor: Actor, source_id: uuid.UUID) -> EventSource:
    actor.require(Permission.USAGE_READ)
    return load_source(session, source_id)


def create_source(session: Session, actor: Actor, data: SourceCreate) -> tuple[EventSource, str]:
    """A new source and its write key (returned here once; only its digest is stored)."""
    actor.require(Permission.SOURCE_ADMIN)
    name = data.name.strip()
    _check_name(session, name, current_id=None)
    mapping = validate_mapping(session, data.trait_mapping)
    key = new_write_key()
    source = EventSource(
        name=name,
        description=data.description.strip(),
        write_key_hash=digest(key),
        write_key_hint=key[:HINT_LENGTH],
        enabled=True,
        group_match=data.group_match,
        trait_mapping=mapping,
        created_by_id=actor.user_id,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor,
        "event_source.create",
        "event_source",
        source.id,
        summary=source.name,
        changes=audit.snapshot(
            source, ["name", "description", "group_match", "trait_mapping", "write_key_hint"]
        ),
    )
    KEY_CACHE.clear()
    return source, key


def update_source(
    session: Session, actor: Actor, source_id: uuid.UUID, data: SourceUpdate
) -> EventSource:
    actor.require(Permission.SOURCE_ADMIN)
    source = load_source(session, source_id)
    values: dict[str, Any] = {
        k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None
    }
    if "name" in values:
        values["name"] = values["name"].strip()
        _check_name(session, values["name"], current_id=source.id)
    if "description" in values:
        values["description"] = values["description"].strip()
    if "trait_mapping" in values:
        values["trait_mapping"] = validate_mapping(session, values["trait_mapping"])
    changes = audit.apply_changes(source, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "event_source.update",
            "event_source",
            source.id,
            summary=source.name,
            changes=changes,
        )
        KEY_CACHE.clear()
    return source


def rotate_key(session: Session, actor: Actor, source_id: uuid.UUID) -> tuple[EventSource, str]:
    """A new write key for the source; the old one stops working at once."""
    actor.require(Permission.SOURCE_ADMIN)
    source = load_source(session, source_id)
    key = new_write_key()
    old_hint = source.write_key_hint
    source.write_key_hash = digest(key)
    source.write_key_hint = key[:HINT_LENGTH]
    source.key_rotated_at = utc_now()
    session.flush()
    audit.record(
        session,
        actor,
        "event_source.rotate_key",
        "event_source",
        source.id,
        summary=source.name,
        changes={"write_key_hint": [old_hint, source.write_key_hint]},
    )
    KEY_CACHE.clear()
    return source, key


def delete_source(session: Session, actor: Actor, source_id: uuid.UUID) -> None:
    """Delete a source; refused while the inbox still holds events it sent (not yet stored)."""
    actor.require(Permission.SOURCE_ADMIN)
    source = load_source(session, source_id)
    pending = session.scalar(
        select(EventInbox.seq).where(EventInbox.source_id == source.id).limit(1)
    )
    if pending is not None:
        raise Conflict(
            "this source has events waiting to be stored; disable it now and delete it "
            "once they are stored",
            code="events_pending",
        )
    audit.record(
        session, actor, "event_source.delete", "event_source", source.id, summary=source.name
    )
    session.delete(source)
    session.flush()
    KEY_CACHE.clear()


def validate_mapping(session: Session, mapping: Mapping[str, Any]) -> dict[str, str]:
    """Check a trait mapping; each problem names ``trait_mapping.<trait>``."""
    custom_keys = {
        d.key
        for d in custom_fields.list_definitions(
            session, CustomFieldObject.ACCOUNT, active_only=True
        )
    }
    clean: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for trait, target in mapping.items():
        trait_name = str(trait).strip()
        loc = ("body", "trait_mapping", trait_name or str(trait))
        target_name = str(target).strip() if isinstance(target, str) else ""
        if not trait_name or len(trait_name) > 100:
            problems.append(
                FieldProblem(
                    loc,
                    "required" if not trait_name else "string_too_long",
                    "trait name must be 1-100 characters",
                )
            )
        elif target_name.startswith(CUSTOM_PREFIX):
            if target_name[len(CUSTOM_PREFIX) :] not in custom_keys:
                problems.append(
                    FieldProblem(loc, "unknown_field", f"no account custom field {target_name!r}")
                )
        elif target_name not in MAPPABLE_FIELDS:
            allowed = ", ".join(MAPPABLE_FIELDS)
            problems.append(
                FieldProblem(
                    loc,
                    "unknown_field",
                    f"{target_name or 'empty'}: not an account field (use {allowed} or custom:KEY)",
                )
            )
        clean[trait_name] = target_name
    if problems:
        raise Invalid(problems)
    return clean


def _check_name(session: Session, name: str, current_id: uuid.UUID | None) -> None:
    if not name:
        raise Invalid.field("name", "name is required", code="required")
    clash = session.scalar(select(EventSource.id).where(EventSource.name == name))
    if clash is not None and clash != current_id:
        raise Invalid.field("name", "a source with this name already exists", code="duplicate")


class KeyCache:
    """Write-key digest → SourceKey, trusted for ``ttl`` seconds (misses are cached too, so a
    flood with a wrong key does not reach the database on every request)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, SourceKey | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, session: Session, write_key: str, *, ttl: float) -> SourceKey | None:
        key_hash = digest(write_key)
        now = time.monotonic()
        hit = self._entries.get(key_hash)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        source = session.scalar(select(EventSource).where(EventSource.write_key_hash == key_hash))
        found = (
            SourceKey(
                id=source.id,
                name=source.name,
                enabled=source.enabled,
                group_match=source.group_match,
                trait_mapping=dict(source.trait_mapping or {}),
            )
            if source is not None
            else None
        )
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (now, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


KEY_CACHE = KeyCache()
