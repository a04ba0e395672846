"""One Segment event → canonical inbox record or a rejection naming the field (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from kizuna.usage.events import MAX_EVENT_BYTES, EventRecord, Rejection, normalise
from kizuna.usage.ratelimit import RateLimiter

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def ok(raw: Any, **kwargs: Any) -> EventRecord:
    out = normalise(raw, received_at=NOW, **kwargs)
    assert not isinstance(out, Rejection), out
    return out


def bad(raw: Any, **kwargs: Any) -> Rejection:
    out = normalise(raw, received_at=NOW, **kwargs)
    assert isinstance(out, Rejection), out
    return out


def test_track_becomes_canonical_columns() -> None:
    record = ok(
        {
            "type": "track",
            "event": "Report Exported",
            "userId": "u-1",
            "anonymousId": "a-1",
            "messageId": "m-1",
            "properties": {"format": "pdf", "pages": 3},
            "context": {"groupId": "ACME", "ip": "10.0.0.1"},
            "timestamp": "2026-11-20T02:59:00Z",
        }
    )
    assert record["type"] == "track"
    assert (record["event"], record["user_id"], record["anonymous_id"]) == (
        "Report Exported",
        "u-1",
        "a-1",
    )
    assert (record["message_id"], record["group_id"]) == ("m-1", "ACME")
    assert record["timestamp"] == datetime(2026, 11, 20, 2, 59, tzinfo=UTC)
    assert record["received_at"] == NOW
    assert orjson.loads(record["properties"]) == {"format": "pdf", "pages": 3}
    assert orjson.loads(record["context"]) == {"groupId": "ACME", "ip": "10.0.0.1"}


def test_identify_and_group_store_traits_and_group_id() -> None:
    identify = ok({"type": "identify", "userId": 42, "traits": {"email": "a@b.jp"}})
    assert identify["user_id"] == "42"  # numbers are accepted as ids
    assert orjson.loads(identify["properties"]) == {"email": "a@b.jp"}
    group = ok({"type": "group", "userId": "u", "groupId": "G-1", "traits": {"name": "Acme"}})
    assert group["group_id"] == "G-1"
    assert orjson.loads(group["properties"]) == {"name": "Acme"}


def test_page_screen_and_alias() -> None:
    assert ok({"type": "page", "anonymousId": "a", "name": "Pricing"})["event"] == "Pricing"
    assert ok({"type": "screen", "userId": "u"})["event"] is None
    alias = ok({"type": "alias", "userId": "new", "previousId": "old"})
    assert (alias["user_id"], alias["previous_id"]) == ("new", "old")


def test_type_hint_of_the_endpoint_wins() -> None:
    assert ok({"type": "page", "userId": "u", "event": "E"}, type_hint="track")["type"] == "track"


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        ([1, 2], "not_an_object", "event"),
        ({"userId": "u", "event": "E"}, "missing_type", "type"),
        ({"type": "purchase", "userId": "u"}, "invalid_type", "type"),
        ({"type": "track", "event": "E"}, "missing_identity", "userId"),
        ({"type": "track", "userId": "u"}, "missing_event", "event"),
        ({"type": "track", "userId": "u", "event": ""}, "missing_event", "event"),
        ({"type": "track", "userId": "u", "event": 5}, "invalid_field", "event"),
        ({"type": "group", "userId": "u"}, "missing_group_id", "groupId"),
        ({"type": "alias", "userId": "u"}, "missing_previous_id", "previousId"),
        ({"type": "alias", "anonymousId": "a", "previousId": "p"}, "missing_identity", "userId"),
        ({"type": "track", "userId": {"x": 1}, "event": "E"}, "invalid_field", "userId"),
        (
            {"type": "track", "userId": "u", "event": "E", "properties": [1]},
            "invalid_field",
            "properties",
        ),
        (
            {"type": "track", "userId": "u", "event": "E", "context": "x"},
            "invalid_field",
            "context",
        ),
        (
            {"type": "track", "userId": "u", "event": "E", "timestamp": "yesterday"},
            "invalid_timestamp",
            "timestamp",
        ),
        ({"type": "track", "userId": "u" * 201, "event": "E"}, "invalid_field", "userId"),
    ],
)
def test_rejections_name_the_field(raw: Any, reason: str, field: str) -> None:
    rejection = bad(raw)
    assert rejection.reason == reason
    assert rejection.detail.startswith(f"{field}:"), rejection.detail
    assert rejection.body  # the event as sent, for the debugger


def test_rejection_keeps_the_message_id_and_truncates_the_body() -> None:
    rejection = bad({"type": "track", "userId": "u", "messageId": "m-9", "x": "y" * 10_000})
    assert rejection.message_id == "m-9"
    assert len(rejection.body) <= 4096


def _event_of_size(size: int) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "track", "userId": "u", "event": "E", "properties": {"p": ""}}
    event["properties"]["p"] = "x" * (size - len(orjson.dumps(event)))
    assert len(orjson.dumps(event)) == size
    return event


def test_event_size_limit_is_exact() -> None:
    ok(_event_of_size(MAX_EVENT_BYTES))
    rejection = bad(_event_of_size(MAX_EVENT_BYTES + 1))
    assert rejection.reason == "event_too_large"
    assert rejection.detail.startswith("event:")


def test_clock_skew_is_corrected_with_sent_at() -> None:
    # The device clock runs 1 h fast: it stamped the event 10 s before it sent the batch.
    raw = {
        "type": "track",
        "userId": "u",
        "event": "E",
        "timestamp": "2026-11-20T04:00:00+00:00",
        "sentAt": "2026-11-20T04:00:10+00:00",
    }
    assert ok(raw)["timestamp"] == NOW - timedelta(seconds=10)
    # A batch-level sentAt is used when the event has none.
    del raw["sentAt"]
    batch_sent = datetime(2026, 11, 20, 4, 0, 10, tzinfo=UTC)
    assert ok(raw, sent_at=batch_sent)["timestamp"] == NOW - timedelta(seconds=10)
    # Without sentAt the event's own time is kept; without a time, the receive time.
    assert ok(raw)["timestamp"] == datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    assert ok({"type": "track", "userId": "u", "event": "E"})["timestamp"] == NOW


def test_times_in_other_zones_and_without_zone_become_utc() -> None:
    jst = ok(
        {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-11-20T12:00:00+09:00"}
    )
    assert jst["timestamp"] == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    naive = ok({"type": "track", "userId": "u", "event": "E", "timestamp": "2026-11-20T03:00:00"})
    assert naive["timestamp"] == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_missing_message_id_is_stable_for_a_timestamped_event() -> None:
    event = {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-11-20T03:00:00Z"}
    first = ok(dict(event))["message_id"]
    again = ok({**event, "sentAt": "2026-11-20T03:00:05Z"})["message_id"]
    assert first == again
    assert first.startswith("kz-")
    undated = {"type": "track", "userId": "u", "event": "E"}
    assert ok(dict(undated))["message_id"] != ok(dict(undated))["message_id"]


def test_rate_limiter_refills_at_the_rate_and_allows_a_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(100, burst_seconds=2, clock=lambda: now[0])
    assert limiter.take("k", 200) == 0  # the full burst
    wait = limiter.take("k", 50)
    assert wait == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.take("k", 50) == 0
    assert limiter.take("other", 10) == 0  # keys have their own buckets
    now[0] = 100.0
    assert limiter.take("k", 10_000) == 0  # bigger than the bucket: passes when it is full
    assert limiter.take("k", 1) > 0
