"""The Segment-compatible HTTP Tracking API at the root: ``/v1/track``, ``/v1/identify``,
``/v1/page``, ``/v1/screen``, ``/v1/group``, ``/v1/alias``, ``/v1/batch`` (also
``/v1/import``) and analytics.js's short paths (``/v1/t``, ``/v1/i``, ``/v1/p``, ``/v1/s``,
``/v1/g``, ``/v1/a``, ``/v1/b``).

Authentication is the source's write key, as the Basic-auth user name or ``writeKey`` in
the body. Bodies may be gzip- or deflate-compressed and of any content type (browsers send
``text/plain`` to avoid a CORS preflight). Limits are checked on the decompressed bytes
while reading, so an oversized or decompression-bomb body is refused after at most one
limit's worth of output. A 200 means every accepted event is committed; bad events of a
batch are recorded (see the event debugger) without failing the others, because Segment
clients drop a whole batch on a 400.

This is the hottest path of the server, so it is a plain Starlette route (``route``, put
first in the app's routes) rather than a FastAPI path operation: no dependency resolution,
no request model; each request runs in one session and one transaction.
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
import time
import zlib
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kizuna.auth.permissions import Permission
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.kit.clock import utc_now
from kizuna.usage import ingest as service
from kizuna.usage.events import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    Rejection,
    batch_sent_at,
)
from kizuna.usage.ratelimit import RateLimiter
from kizuna.usage.sources import KEY_CACHE, SourceKey

CALLS = {
    "track": "track",
    "identify": "identify",
    "page": "page",
    "screen": "screen",
    "group": "group",
    "alias": "alias",
    "batch": "batch",
    "import": "batch",
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
}
# Compressed input is never allowed to be much larger than the decompressed limit.
_COMPRESSED_SLACK = 64 * 1024
BACKLOG_REFRESH = 1.0  # seconds between re-reads of the inbox backlog
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Encoding, Authorization",
    "Access-Control-Max-Age": "86400",
}


class IngestError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class _Runtime:
    """Per-process ingestion state: rate-limit buckets and the cached inbox backlog."""

    database: Database
    settings: Settings
    limiter: RateLimiter
    backlog: int = 0
    backlog_read_at: float = -math.inf
    # SQLite has one writer at a time; threads of this process take turns here instead of
    # meeting in SQLite's busy handler, which sleeps in steps of milliseconds.
    write_lock: threading.Lock | None = None


def _runtime(request: Request) -> _Runtime:
    runtime: _Runtime | None = getattr(request.app.state, "ingest_runtime", None)
    if runtime is None:
        settings: Settings = request.app.state.settings
        database: Database = request.app.state.database
        runtime = _Runtime(
            database,
            settings,
            RateLimiter(settings.ingest_rate_per_key),
            write_lock=threading.Lock() if database.engine.dialect.name == "sqlite" else None,
        )
        request.app.state.ingest_runtime = runtime
    return runtime


async def receive(request: Request) -> Response:
    """Segment HTTP Tracking API: one event per call, or ``{"batch": [...]}`` on ``/v1/batch``.

    Answers ``{"success": true, ...}`` once the accepted events are committed.
    """
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS)
    received_at = utc_now()
    call: str = request.path_params["call"]
    kind = CALLS.get(call)
    try:
        if kind is None:
            raise IngestError(404, "not_found", f"unknown endpoint /v1/{call[:40]}")
        runtime = _runtime(request)
        header_key = _basic_auth_key(request)
        limit = MAX_BATCH_BYTES if kind == "batch" else MAX_EVENT_BYTES
        try:
            raw = await _read_body(request, limit)
            body = _parse(raw)
        except IngestError as exc:
            if header_key:
                await run_in_threadpool(_record_request_problem, runtime, header_key, exc)
            raise
        write_key = header_key or body.get("writeKey")
        if runtime.write_lock is not None:
            # SQLite: writes take turns anyway and the work is CPU-bound, so it runs on the
            # event loop; a hop to the thread pool per request cost more than it gave.
            result = _accept(runtime, write_key, body, kind, received_at)
        else:
            result = await run_in_threadpool(_accept, runtime, write_key, body, kind, received_at)
    except IngestError as exc:
        return _json(
            {"success": False, "code": exc.code, "message": exc.message},
            exc.status,
            exc.headers,
        )
    return _json(
        {
            "success": True,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": len(result.rejected),
        },
        200,
    )


# Open to anyone: the write key is checked by the handler (the permission matrix reads this).
receive.permission = Permission.PUBLIC  # type: ignore[attr-defined]
route = Route("/v1/{call}", receive, methods=["POST", "OPTIONS"], name="ingest")


def _accept(
    runtime: _Runtime, write_key: Any, body: dict[str, Any], kind: str, received_at: Any
) -> service.IngestResult:
    if kind == "batch":
        events = body.get("batch")
        if not isinstance(events, list):
            raise IngestError(400, "invalid_batch", "batch: required, a list of events")
        if len(events) > MAX_BATCH_EVENTS:
            raise IngestError(
                400,
                "too_many_events",
                f"batch: {len(events)} events, more than {MAX_BATCH_EVENTS}",
            )
        context = body.get("context")
        batch_context = context if isinstance(context, dict) and context else None
        type_hint = None
    else:
        events, batch_context, type_hint = [body], None, kind
    for event in events:
        if isinstance(event, dict):
            event.pop("writeKey", None)  # never stored, not even in a rejection
    with runtime.database.sessions() as session:
        # One transaction: the key lookup (usually cached, no query), the limits, the
        # writes. A disabled source's refusal is recorded and committed before the 403.
        with runtime.write_lock or nullcontext(), session.begin():
            source = _source(runtime, session, write_key)
            if source.enabled:
                _check_limits(runtime, session, source, len(events))
                result = service.ingest(
                    session,
                    source,
                    events,
                    received_at=received_at,
                    sent_at=batch_sent_at(body),
                    type_hint=type_hint,
                    batch_context=batch_context,
                )
            else:
                service.record_rejections(
                    session,
                    source.id,
                    received_at,
                    [Rejection("source_disabled", "writeKey: the source is disabled")],
                )
        if not source.enabled:
            raise IngestError(403, "source_disabled", f"source {source.name!r} is disabled")
    runtime.backlog += result.accepted
    return result


def _source(runtime: _Runtime, session: Any, write_key: Any) -> SourceKey:
    if not isinstance(write_key, str) or not write_key:
        raise IngestError(
            401,
            "missing_write_key",
            "write key required: HTTP Basic auth user name, or writeKey in the body",
        )
    source = KEY_CACHE.lookup(session, write_key, ttl=runtime.settings.ingest_key_cache_seconds)
    if source is None:
        raise IngestError(401, "invalid_write_key", "write key not recognised")
    return source


def _check_limits(runtime: _Runtime, session: Any, source: SourceKey, n: int) -> None:
    now = time.monotonic()
    if now - runtime.backlog_read_at >= BACKLOG_REFRESH:
        runtime.backlog = service.inbox_backlog(session)
        runtime.backlog_read_at = now
    if runtime.backlog >= runtime.settings.ingest_max_backlog:
        _too_many(BACKLOG_REFRESH * 5, "the event inbox is full; retry later")
    wait = runtime.limiter.take(str(source.id), n)
    if wait > 0:
        _too_many(wait, f"rate limit of {runtime.settings.ingest_rate_per_key} events/s exceeded")


def _too_many(wait: float, message: str) -> None:
    seconds = max(1, math.ceil(wait))
    raise IngestError(
        429,
        "rate_limited",
        message,
        {"Retry-After": str(seconds), "X-RateLimit-Reset": str(math.ceil(time.time() + seconds))},
    )


def _record_request_problem(runtime: _Runtime, write_key: str, exc: IngestError) -> None:
    """A refused request whose sender we know is shown in its source's debugger."""
    with runtime.database.sessions() as session, session.begin():
        source = KEY_CACHE.lookup(session, write_key, ttl=runtime.settings.ingest_key_cache_seconds)
        if source is not None:
            rejection = Rejection(exc.code, f"request: {exc.message}"[:500])
            service.record_rejections(session, source.id, utc_now(), [rejection])


def _basic_auth_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise IngestError(401, "invalid_write_key", "Authorization: not valid Basic auth") from None
    return decoded.split(":", 1)[0] or None


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, decompressed, refusing it as soon as it exceeds ``limit`` bytes."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
    elif encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise IngestError(415, "unsupported_encoding", f"Content-Encoding {encoding!r}")
    too_large = IngestError(
        400, "request_too_large", f"body: more than {limit} bytes (after decompression)"
    )
    declared = request.headers.get("content-length", "")
    if inflater is None and declared.isdigit() and int(declared) > limit:
        raise too_large
    out = bytearray()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if inflater is None:
            out += chunk
            if len(out) > limit:
                raise too_large
            continue
        if received > limit + _COMPRESSED_SLACK:
            raise too_large
        data = chunk
        try:
            while data and not inflater.eof:
                out += inflater.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise too_large
                data = inflater.unconsumed_tail
        except zlib.error as exc:
            raise IngestError(
                400, "invalid_encoding", f"body: bad {encoding} data ({exc})"
            ) from None
    if inflater is not None and not inflater.eof:
        raise IngestError(400, "invalid_encoding", f"body: truncated {encoding} data")
    return bytes(out)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise IngestError(400, "invalid_json", f"body: not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise IngestError(400, "invalid_json", "body: must be a JSON object")
    return body


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Access-Control-Allow-Origin": "*", **(headers or {})},
    )
