"""Validate and normalise one Segment event (a decoded JSON object) into the canonical record
stored in the inbox, or into a rejection that names the field at fault.

Pure: no database, no clock (``received_at`` is given). It runs once per event on the hot
ingestion path, so it works on plain dicts and avoids per-event model objects.

Clock skew follows Segment: when the sender says when it sent the request (``sentAt``, on
the event or on the batch) the event time is ``receivedAt - (sentAt - timestamp)``, so a
device whose clock is wrong still lands its events at the right server time.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

import orjson

MAX_EVENT_BYTES = 32 * 1024  # per event, as compact UTF-8 JSON
MAX_BATCH_BYTES = 500 * 1024  # per request body, after decompression
MAX_BATCH_EVENTS = 2_500
MAX_ID_LENGTH = 200
REJECTED_BODY_BYTES = 4 * 1024  # how much of a refused event is kept for the debugger

EVENT_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
IDENTITY_TYPES = frozenset({"identify", "group", "alias"})


class EventRecord(TypedDict):
    """The canonical columns of an inbox row (the source is added by the caller)."""

    message_id: str
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    group_id: str | None
    previous_id: str | None
    timestamp: datetime
    received_at: datetime
    properties: str  # JSON object text: properties, or traits for identify/group
    context: str  # JSON object text


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event was refused: a stable reason code and a detail naming the field."""

    reason: str
    detail: str
    message_id: str | None = None
    body: str = ""


class _Bad(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail


def normalise(
    raw: Any,
    *,
    received_at: datetime,
    sent_at: datetime | None = None,
    type_hint: str | None = None,
) -> EventRecord | Rejection:
    """One event → its canonical record, or a Rejection naming the field at fault.

    ``type_hint`` is the call type of a single-event endpoint (``/v1/track``…), which wins
    over a ``type`` in the body; ``sent_at`` is the batch's ``sentAt`` (an event's own
    ``sentAt`` takes precedence).
    """
    if not isinstance(raw, dict):
        return Rejection("not_an_object", "event: must be a JSON object", None, _truncate(raw))
    try:
        return _normalise(raw, received_at, sent_at, type_hint)
    except _Bad as bad:
        message_id = raw.get("messageId")
        return Rejection(
            bad.reason,
            bad.detail,
            message_id[:MAX_ID_LENGTH] if isinstance(message_id, str) else None,
            _truncate(raw),
        )


def _normalise(
    raw: dict[str, Any], received_at: datetime, sent_at: datetime | None, type_hint: str | None
) -> EventRecord:
    # The hot loop of ingestion (once per event): common cases are tested first, inline.
    get = raw.get
    kind = type_hint or get("type")
    if type(kind) is not str or kind not in EVENT_TYPES:
        if not isinstance(kind, str) or not kind:
            raise _Bad(
                "missing_type", "type: required (track, identify, page, screen, group, alias)"
            )
        kind = kind.lower()
        if kind not in EVENT_TYPES:
            raise _Bad("invalid_type", f"type: unknown call type {kind[:40]!r}")
    size = len(orjson.dumps(raw))
    if size > MAX_EVENT_BYTES:
        raise _Bad("event_too_large", f"event: {size} bytes, more than {MAX_EVENT_BYTES}")

    user_id = _identifier(raw, "userId")
    anonymous_id = _identifier(raw, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise _Bad("missing_identity", "userId: userId or anonymousId is required")
    context = get("context")
    if type(context) is not dict:
        context = _object(raw, "context")
    payload_key = "traits" if kind == "identify" or kind == "group" else "properties"
    payload = get(payload_key)
    if type(payload) is not dict:
        payload = _object(raw, payload_key)

    event: str | None = None
    previous_id: str | None = None
    if kind == "track":
        event = get("event")
        if type(event) is not str or not event or len(event) > MAX_ID_LENGTH:
            event = _name(raw, "event", required=True)
    elif kind == "page" or kind == "screen":
        event = _name(raw, "name", required=False)
    if kind == "group":
        group_id = _identifier(raw, "groupId")
        if group_id is None:
            raise _Bad("missing_group_id", "groupId: required for group")
    else:
        group_id = _identifier(raw, "groupId") or _identifier(context, "groupId", "context.")
    if kind == "alias":
        previous_id = _identifier(raw, "previousId")
        if previous_id is None:
            raise _Bad("missing_previous_id", "previousId: required for alias")
        if user_id is None:
            raise _Bad("missing_identity", "userId: required for alias")

    timestamp = _event_time(raw, received_at, sent_at)
    message_id = _identifier(raw, "messageId") or _derived_message_id(raw)
    return {
        "message_id": message_id,
        "type": kind,
        "event": event,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "group_id": group_id,
        "previous_id": previous_id,
        "timestamp": timestamp,
        "received_at": received_at,
        "properties": orjson.dumps(payload).decode() if payload else "{}",
        "context": orjson.dumps(context).decode() if context else "{}",
    }


def _identifier(raw: dict[str, Any], key: str, prefix: str = "") -> str | None:
    """A string id (numbers are accepted and turned into text); empty means absent."""
    value = raw.get(key)
    if value is None:
        return None
    if type(value) is str and len(value) <= MAX_ID_LENGTH:  # the common case, first
        return value or None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad("invalid_field", f"{prefix}{key}: must be a string")
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_ID_LENGTH:
        raise _Bad("invalid_field", f"{prefix}{key}: longer than {MAX_ID_LENGTH} characters")
    return text or None


def _name(raw: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise _Bad("missing_event", f"{key}: required for track")
        return None
    if not isinstance(value, str):
        raise _Bad("invalid_field", f"{key}: must be a string")
    if len(value) > MAX_ID_LENGTH:
        raise _Bad("invalid_field", f"{key}: longer than {MAX_ID_LENGTH} characters")
    return value


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad("invalid_field", f"{key}: must be a JSON object")
    return value


def _event_time(
    raw: dict[str, Any], received_at: datetime, batch_sent_at: datetime | None
) -> datetime:
    """The event's time in UTC, corrected for the sender's clock skew when possible."""
    value = raw.get("timestamp")
    key = "timestamp"
    if value is None:
        key = "originalTimestamp"
        value = raw.get(key)
    original = parse_time(value, key)
    if original is None:
        return received_at
    own_sent_at = raw.get("sentAt")
    sent_at = (
        parse_time(own_sent_at, "sentAt") or batch_sent_at
        if own_sent_at is not None
        else batch_sent_at
    )
    if sent_at is None:
        return original
    return received_at - (sent_at - original)


def parse_time(value: Any, field: str) -> datetime | None:
    """An ISO 8601 time as aware UTC (no zone means UTC); None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Bad("invalid_timestamp", f"{field}: must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("invalid_timestamp", f"{field}: not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


def batch_sent_at(body: dict[str, Any]) -> datetime | None:
    """A batch's ``sentAt``; an unreadable one is ignored (events keep their own times)."""
    try:
        return parse_time(body.get("sentAt"), "sentAt")
    except _Bad:
        return None


def _derived_message_id(raw: dict[str, Any]) -> str:
    """An id for an event sent without ``messageId``.

    With a timestamp the event is fully described by its content, so a resend of the same
    event gets the same id and is stored once; without one, two identical payloads are
    two occurrences, so each gets a fresh id.
    """
    if raw.get("timestamp") or raw.get("originalTimestamp"):
        stable = {k: v for k, v in raw.items() if k not in ("sentAt", "writeKey")}
        digest = hashlib.sha256(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return f"kz-{digest[:40]}"
    return f"kz-{uuid.uuid4().hex}"


def _truncate(raw: Any) -> str:
    try:
        text = orjson.dumps(raw)
    except TypeError:
        text = repr(raw).encode()
    return text[:REJECTED_BODY_BYTES].decode("utf-8", "ignore")
