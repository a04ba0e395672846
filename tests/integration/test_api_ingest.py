"""The Segment-compatible /v1 endpoints over raw HTTP, on SQLite and PostgreSQL: call types,
write keys, compression, limits at their exact boundaries, partial batches, dedupe, 429."""

from __future__ import annotations

import base64
import gzip
import time
import zlib
from collections.abc import Iterator
from typing import Any

import duckdb
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_event_source
from kizuna.app import create_app
from kizuna.auth.actor import Actor
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.models.usage import EventInbox, EventSample, RejectedEvent
from kizuna.usage import sources
from kizuna.usage.events import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES
from kizuna.usage.source_schemas import SourceUpdate


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def track(i: int | str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": f"u{i}", "event": "Login", "messageId": f"m{i}", **extra}


@pytest.fixture
def key(session: Session) -> str:
    _, write_key = make_event_source(session, name="Web app")
    session.commit()
    return write_key


def inbox(session: Session) -> list[EventInbox]:
    session.expire_all()
    return list(session.scalars(select(EventInbox).order_by(EventInbox.seq)))


def rejections(session: Session) -> list[RejectedEvent]:
    session.expire_all()
    return list(session.scalars(select(RejectedEvent).order_by(RejectedEvent.seq)))


@pytest.mark.parametrize(
    ("path", "kind", "body"),
    [
        ("track", "track", {"userId": "u", "event": "Login"}),
        ("identify", "identify", {"userId": "u", "traits": {"plan": "pro"}}),
        ("page", "page", {"anonymousId": "a", "name": "Pricing"}),
        ("screen", "screen", {"userId": "u", "name": "Home"}),
        ("group", "group", {"userId": "u", "groupId": "G-1"}),
        ("alias", "alias", {"userId": "u", "previousId": "a"}),
        ("t", "track", {"userId": "u", "event": "Login"}),
        ("i", "identify", {"userId": "u"}),
        ("p", "page", {"userId": "u"}),
        ("s", "screen", {"userId": "u"}),
        ("g", "group", {"userId": "u", "groupId": "G-1"}),
        ("a", "alias", {"userId": "u", "previousId": "a"}),
    ],
)
def test_each_call_endpoint_stores_its_type(
    app_client: TestClient, session: Session, key: str, path: str, kind: str, body: dict[str, Any]
) -> None:
    response = app_client.post(f"/v1/{path}", json=body, headers=basic(key))
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    assert [row.type for row in inbox(session)] == [kind]


def test_batch_stores_good_events_and_records_the_bad_one(
    app_client: TestClient, session: Session, key: str
) -> None:
    batch = [track(1), {"type": "track", "userId": "u2", "messageId": "m2"}, track(3)]
    response = app_client.post("/v1/batch", json={"batch": batch}, headers=basic(key))
    assert response.status_code == 200
    assert response.json() == {"success": True, "accepted": 2, "duplicates": 0, "rejected": 1}
    assert [row.message_id for row in inbox(session)] == ["m1", "m3"]
    [rejected] = rejections(session)
    assert (rejected.reason, rejected.detail, rejected.message_id) == (
        "missing_event",
        "event: required for track",
        "m2",
    )
    assert '"messageId":"m2"' in rejected.body


def test_a_retried_message_id_is_stored_once(
    app_client: TestClient, session: Session, key: str
) -> None:
    body = {"batch": [track(1), track(2), track(1)]}
    first = app_client.post("/v1/batch", json=body, headers=basic(key)).json()
    again = app_client.post("/v1/batch", json=body, headers=basic(key)).json()
    assert (first["accepted"], first["duplicates"]) == (2, 1)
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    assert [row.message_id for row in inbox(session)] == ["m1", "m2"]


def test_the_debugger_sample_keeps_properties_and_context(
    app_client: TestClient, session: Session, key: str
) -> None:
    event = track(1, properties={"plan": "プロ", "seats": 2}, context={"ip": "203.0.113.7"})
    assert app_client.post("/v1/track", json=event, headers=basic(key)).status_code == 200
    session.expire_all()
    [sample] = session.scalars(select(EventSample)).all()
    assert (sample.message_id, sample.type, sample.event) == ("m1", "track", "Login")
    assert orjson.loads(sample.body) == {
        "properties": {"plan": "プロ", "seats": 2},
        "context": {"ip": "203.0.113.7"},
    }


def test_write_key_in_the_body_and_text_plain_from_browsers(
    app_client: TestClient, session: Session, key: str
) -> None:
    body = orjson.dumps({**track(1), "writeKey": key})
    response = app_client.post(
        "/v1/t", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    [row] = inbox(session)
    assert key not in row.context
    assert key not in row.properties
    preflight = app_client.options("/v1/batch")
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_missing_unknown_and_disabled_write_keys(app_client: TestClient, session: Session) -> None:
    source, key = make_event_source(session)
    session.commit()
    missing = app_client.post("/v1/track", json=track(1))
    assert (missing.status_code, missing.json()["code"]) == (401, "missing_write_key")
    wrong = app_client.post("/v1/track", json=track(1), headers=basic("kzw_nope"))
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_write_key")
    garbled = app_client.post("/v1/track", json=track(1), headers={"Authorization": "Basic %%"})
    assert garbled.status_code == 401
    sources.update_source(session, Actor.system(), source.id, SourceUpdate(enabled=False))
    session.commit()
    disabled = app_client.post("/v1/track", json=track(1), headers=basic(key))
    assert (disabled.status_code, disabled.json()["code"]) == (403, "source_disabled")
    assert inbox(session) == []
    assert [r.reason for r in rejections(session)] == ["source_disabled"]


def test_rotated_key_replaces_the_old_one(app_client: TestClient, session: Session) -> None:
    source, old = make_event_source(session)
    session.commit()
    assert app_client.post("/v1/track", json=track(1), headers=basic(old)).status_code == 200
    _, new = sources.rotate_key(session, Actor.system(), source.id)
    session.commit()
    assert app_client.post("/v1/track", json=track(2), headers=basic(old)).status_code == 401
    assert app_client.post("/v1/track", json=track(3), headers=basic(new)).status_code == 200


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies(
    app_client: TestClient, session: Session, key: str, encoding: str
) -> None:
    raw = orjson.dumps({"batch": [track(i) for i in range(50)]})
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    response = app_client.post(
        "/v1/batch", content=body, headers={**basic(key), "Content-Encoding": encoding}
    )
    assert response.status_code == 200, response.text
    assert len(inbox(session)) == 50


def test_bad_and_truncated_gzip_and_unknown_encoding(
    app_client: TestClient, session: Session, key: str
) -> None:
    headers = {**basic(key), "Content-Encoding": "gzip"}
    garbage = app_client.post("/v1/batch", content=b"not gzip at all", headers=headers)
    assert (garbage.status_code, garbage.json()["code"]) == (400, "invalid_encoding")
    whole = gzip.compress(orjson.dumps({"batch": [track(1)]}))
    truncated = app_client.post("/v1/batch", content=whole[: len(whole) // 2], headers=headers)
    assert (truncated.status_code, truncated.json()["code"]) == (400, "invalid_encoding")
    brotli = app_client.post(
        "/v1/batch", content=b"{}", headers={**basic(key), "Content-Encoding": "br"}
    )
    assert brotli.status_code == 415
    assert inbox(session) == []
    assert {r.reason for r in rejections(session)} == {"invalid_encoding", "unsupported_encoding"}


def test_a_gzip_bomb_is_refused_without_inflating_it(
    app_client: TestClient, session: Session, key: str
) -> None:
    bomb = gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)  # 200 MB of spaces
    assert len(bomb) < 300_000
    started = time.perf_counter()
    response = app_client.post(
        "/v1/batch", content=bomb, headers={**basic(key), "Content-Encoding": "gzip"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "request_too_large")
    assert time.perf_counter() - started < 2  # stopped at the limit, not after 200 MB
    assert inbox(session) == []


def test_bad_json_and_non_batch_bodies(app_client: TestClient, session: Session, key: str) -> None:
    broken = app_client.post("/v1/batch", content=b'{"batch": [', headers=basic(key))
    assert (broken.status_code, broken.json()["code"]) == (400, "invalid_json")
    assert broken.json()["success"] is False
    listed = app_client.post("/v1/batch", content=b"[1, 2]", headers=basic(key))
    assert (listed.status_code, listed.json()["code"]) == (400, "invalid_json")
    no_batch = app_client.post("/v1/batch", json={"events": []}, headers=basic(key))
    assert (no_batch.status_code, no_batch.json()["code"]) == (400, "invalid_batch")
    assert rejections(session)[0].reason == "invalid_json"


def _padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON of exactly ``size`` bytes (trailing whitespace is valid JSON)."""
    raw = orjson.dumps(body)
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def test_batch_byte_limit_is_exact(app_client: TestClient, session: Session, key: str) -> None:
    body = {"batch": [track(i) for i in range(10)]}
    at_limit = app_client.post(
        "/v1/batch", content=_padded(body, MAX_BATCH_BYTES), headers=basic(key)
    )
    assert at_limit.status_code == 200, at_limit.text
    over = app_client.post(
        "/v1/batch", content=_padded(body, MAX_BATCH_BYTES + 1), headers=basic(key)
    )
    assert (over.status_code, over.json()["code"]) == (400, "request_too_large")
    # The limit applies to the decompressed bytes.
    zipped = gzip.compress(_padded(body, MAX_BATCH_BYTES + 1))
    assert len(zipped) < MAX_BATCH_BYTES
    over_zipped = app_client.post(
        "/v1/batch", content=zipped, headers={**basic(key), "Content-Encoding": "gzip"}
    )
    assert over_zipped.status_code == 400


def test_single_call_byte_limit_is_exact(
    app_client: TestClient, session: Session, key: str
) -> None:
    at_limit = app_client.post(
        "/v1/track", content=_padded(track(1), MAX_EVENT_BYTES), headers=basic(key)
    )
    assert at_limit.status_code == 200, at_limit.text
    over = app_client.post(
        "/v1/track", content=_padded(track(2), MAX_EVENT_BYTES + 1), headers=basic(key)
    )
    assert (over.status_code, over.json()["code"]) == (400, "request_too_large")


def _event_of_size(i: int, size: int) -> dict[str, Any]:
    event = track(i, properties={"pad": ""})
    event["properties"]["pad"] = "x" * (size - len(orjson.dumps(event)))
    assert len(orjson.dumps(event)) == size
    return event


def test_event_size_limit_inside_a_batch_is_exact(
    app_client: TestClient, session: Session, key: str
) -> None:
    body = {"batch": [_event_of_size(1, MAX_EVENT_BYTES), _event_of_size(2, MAX_EVENT_BYTES + 1)]}
    response = app_client.post("/v1/batch", json=body, headers=basic(key))
    assert response.json()["accepted"] == 1
    assert [row.message_id for row in inbox(session)] == ["m1"]
    [rejected] = rejections(session)
    assert (rejected.reason, rejected.message_id) == ("event_too_large", "m2")


def test_batch_event_count_limit_is_exact(
    app_client: TestClient, session: Session, key: str
) -> None:
    full = {"batch": [track(i) for i in range(MAX_BATCH_EVENTS)]}
    response = app_client.post("/v1/batch", json=full, headers=basic(key))
    assert response.json()["accepted"] == MAX_BATCH_EVENTS
    one_more = {"batch": [track(f"x{i}") for i in range(MAX_BATCH_EVENTS + 1)]}
    refused = app_client.post("/v1/batch", json=one_more, headers=basic(key))
    assert (refused.status_code, refused.json()["code"]) == (400, "too_many_events")
    assert len(inbox(session)) == MAX_BATCH_EVENTS


def test_batch_sent_at_and_context_apply_to_every_event(
    app_client: TestClient, session: Session, key: str
) -> None:
    body = {
        "batch": [
            track(1, timestamp="2020-01-01T00:00:00Z"),
            track(2, context={"groupId": "G"}),
        ],
        "sentAt": "2020-01-01T00:01:00Z",
        "context": {"library": {"name": "custom"}},
    }
    assert app_client.post("/v1/batch", json=body, headers=basic(key)).status_code == 200
    first, second = inbox(session)
    assert (first.received_at - first.timestamp).total_seconds() == pytest.approx(60)
    assert orjson.loads(second.context) == {"library": {"name": "custom"}, "groupId": "G"}
    assert second.group_id == "G"


@pytest.fixture
def limited_client(db: Database, tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url="sqlite://",
        ingest_rate_per_key=10,
        ingest_max_backlog=1_000,
    )
    with TestClient(create_app(settings, database=db)) as client:
        yield client


def test_rate_limit_answers_429_with_retry_headers(
    limited_client: TestClient, session: Session, key: str
) -> None:
    burst = {"batch": [track(i) for i in range(20)]}  # the whole 2 s bucket
    assert limited_client.post("/v1/batch", json=burst, headers=basic(key)).status_code == 200
    limited = limited_client.post("/v1/batch", json={"batch": [track(99)]}, headers=basic(key))
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert len(inbox(session)) == 20


def test_a_full_inbox_answers_429(db: Database, session: Session, key: str, tmp_path: Any) -> None:
    settings = Settings(
        environment="test", data_dir=tmp_path, database_url="sqlite://", ingest_max_backlog=3
    )
    with TestClient(create_app(settings, database=db)) as client:
        first = client.post(
            "/v1/batch", json={"batch": [track(i) for i in range(3)]}, headers=basic(key)
        )
        assert first.status_code == 200
        full = client.post("/v1/track", json=track(9), headers=basic(key))
    assert full.status_code == 429
    assert "Retry-After" in full.headers
    assert "X-RateLimit-Reset" in full.headers


def test_errors_under_v1_are_json(app_client: TestClient) -> None:
    unknown = app_client.post("/v1/purchase", json={})
    assert (unknown.status_code, unknown.json()["success"]) == (404, False)
    wrong_method = app_client.get("/v1/track")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("application/")
    assert wrong_method.json()["status"] == 405


def test_accepted_events_reach_the_event_store_through_the_worker(
    app_client: TestClient, session: Session, key: str, settings: Settings
) -> None:
    """Ingestion queues one inbox flush in the same transaction; the worker stores them."""
    from kizuna.jobs.runner import Worker
    from kizuna.models import Job
    from kizuna.usage import pipeline
    from kizuna.usage.store import EventStore

    for first in (1, 3):
        body = {"batch": [track(first), track(first + 1)]}
        assert app_client.post("/v1/batch", json=body, headers=basic(key)).status_code == 200
    session.expire_all()
    queued = session.scalars(select(Job).where(Job.name == pipeline.FLUSH_JOB)).all()
    assert len(queued) == 1
    database: Database = app_client.app.state.database  # type: ignore[attr-defined]
    assert Worker(database, settings, names=[pipeline.FLUSH_JOB]).run_once()
    assert inbox(session) == []
    files = EventStore.under(settings.data_dir).files()
    stored = duckdb.read_parquet(files).select("message_id").fetchall()
    assert sorted(m for (m,) in stored) == ["m1", "m2", "m3", "m4"]
