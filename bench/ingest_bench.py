"""Ingestion throughput through the Segment-compatible HTTP API.

Serves Kizuna as in production (``uvicorn --factory kizuna.cli.asgi:build --workers N``) on a
throw-away SQLite file and drives it from separate load-generator processes that POST
``/v1/batch`` requests of 100 track events (unique messageIds, Basic-auth write key) for a
fixed time, keeping a fixed number of requests in flight. Prints sustained events/s, the
latency percentiles and the ratio against the target (≥ 20 000 events/s with p95 < 250 ms),
checks that every acknowledged event is in the inbox exactly once, and rewrites its block in
docs/benchmarks.md.

    .venv/bin/python bench/ingest_bench.py [--workers 1] [--generators 1] [--concurrency 16]
        [--duration 60] [--ids sequential|uuid]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).parent))

from benchkit.docs import update_section
from benchkit.engines import REPO
from benchkit.machine import describe
from benchkit.server import free_port
from benchkit.timing import summarize

TARGET_EVENTS_PER_S = 20_000
TARGET_P95_MS = 250.0
RESULTS = REPO / "bench" / "results" / "ingest.json"


ID_MARK = b"@@messageId@@"  # where a template takes a fresh messageId
VARIANTS = 64  # distinct batch templates per generator (users, groups, events vary)


@dataclass(frozen=True)
class Load:
    host: str
    port: int
    key: str
    duration: float
    concurrency: int
    batch: int
    ids: str  # "sequential" or "uuid" (see _body)
    name: str  # this generator's prefix for sequential ids


def _events(variant: int, size: int) -> list[bytes]:
    """One batch template: realistic track events (properties, context, a distinct
    millisecond timestamp each, as analytics-python sends them), split where each event's
    messageId goes (see ``_body``)."""
    now = time.time()

    def stamp(t: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"

    batch = [
        {
            "type": "track",
            "event": ("Login", "Dashboard Viewed", "Report Exported", "API Call")[i % 4],
            "userId": f"user-{(variant * 7 + i) % 5000}",
            "messageId": ID_MARK.decode(),
            "timestamp": stamp(now - (size - i) * 0.013),
            "properties": {"plan": "pro", "duration_ms": i * 13, "feature": "reports"},
            "context": {
                "groupId": f"ACME-{variant % 300:04d}",
                "library": {"name": "analytics-python", "version": "2.3.4"},
                "ip": "203.0.113.7",
            },
        }
        for i in range(size)
    ]
    return orjson.dumps({"batch": batch, "sentAt": stamp(now)}).split(ID_MARK)


def _body(template: list[bytes], ids: str, prefix: str) -> bytes:
    """A request body from a template with a fresh messageId in each event.

    ``sequential``: ``{prefix}-{event number}``, growing with time, so each request's ids
    land next to each other at the end of the inbox's unique index. ``uuid``: random UUIDs,
    as analytics-python and analytics.js send them, scattered over that index.
    """
    parts = [template[0]]
    for i, rest in enumerate(template[1:]):
        parts.append((f"{prefix}-{i:04d}" if ids == "sequential" else str(uuid.uuid4())).encode())
        parts.append(rest)
    return b"".join(parts)


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 keep-alive POST; the response must carry a Content-Length."""
    writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
    header = await reader.readuntil(b"\r\n\r\n")
    status = int(header[9:12])
    length = next(
        int(line.split(b":", 1)[1])
        for line in header.split(b"\r\n")
        if line[:15].lower() == b"content-length:"
    )
    return status, await reader.readexactly(length)


async def _drive(load: Load) -> dict[str, Any]:
    """Keep ``load.concurrency`` requests in flight, one keep-alive connection each.

    A minimal HTTP/1.1 client on uvloop with bodies from pre-built templates (fresh
    messageIds only), so the generator takes little of the CPU the server shares with it.
    """
    auth = base64.b64encode(f"{load.key}:".encode())
    head = (
        b"POST /v1/batch HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Basic %s\r\n"
        b"Content-Type: application/json\r\n" % (load.host.encode(), load.port, auth)
    )
    templates = [_events(v, load.batch) for v in range(VARIANTS)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0
    counter = 0
    deadline = time.monotonic() + load.duration

    async def worker() -> None:
        nonlocal accepted, counter
        reader, writer = await asyncio.open_connection(load.host, load.port)
        try:
            while time.monotonic() < deadline:
                counter += 1
                body = _body(templates[counter % VARIANTS], load.ids, f"{load.name}{counter:08d}")
                started = time.perf_counter()
                status, answer = await _post(reader, writer, head, body)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    accepted += orjson.loads(answer)["accepted"]
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(load.concurrency)))
    return {"latencies": latencies, "statuses": statuses, "accepted": accepted}


def _generator(load: Load, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.process_time()
    result = uvloop.run(_drive(load))
    result["cpu_s"] = time.process_time() - started
    out.put(result)


def _prepare(url: str) -> str:
    from kizuna.auth.actor import Actor
    from kizuna.db.migrate import upgrade
    from kizuna.db.session import Database
    from kizuna.usage import sources
    from kizuna.usage.source_schemas import SourceCreate

    upgrade(url)
    database = Database.from_url(url)
    with database.sessions() as session, session.begin():
        _, key = sources.create_source(session, Actor.system(), SourceCreate(name="Bench"))
    database.engine.dispose()
    return key


def _serve(url: str, workers: int, data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": url,
        "KIZUNA_ENVIRONMENT": "production",
        "KIZUNA_SECRET_KEY": secrets.token_urlsafe(32),
        "KIZUNA_DATA_DIR": str(data_dir),
        "KIZUNA_EMBEDDED_WORKER": "false",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "kizuna.cli.asgi:build",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError((data_dir / "server.log").read_text())


def _cpu_seconds(root: int) -> float:
    """User + system CPU time of ``root`` and its descendants (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier += children
    return sum(times.get(pid, 0.0) for pid in tree)


def _inbox_counts(url: str) -> tuple[int, int]:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM event_inbox"
        ).fetchone()
    return int(total), int(distinct)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kizuna-ingest-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'ingest.db'}"
        key = _prepare(url)
        server, port = _serve(url, args.workers, Path(tmp))
        host = "127.0.0.1"
        try:
            warm = Load(host, port, key, 3.0, args.concurrency, args.batch, args.ids, "w")
            uvloop.run(_drive(warm))
            load_before = os.getloadavg()[0]
            cpu_before = _cpu_seconds(server.pid)
            queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            per = max(1, args.concurrency // args.generators)
            processes = [
                multiprocessing.Process(
                    target=_generator,
                    args=(
                        Load(host, port, key, args.duration, per, args.batch, args.ids, f"g{g}"),
                        queue,
                    ),
                )
                for g in range(args.generators)
            ]
            started = time.perf_counter()
            for p in processes:
                p.start()
            parts = [queue.get() for _ in processes]
            elapsed = time.perf_counter() - started
            server_cpu = _cpu_seconds(server.pid) - cpu_before
            for p in processes:
                p.join()
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            server.wait(timeout=30)
        total, distinct = _inbox_counts(url)
    latencies = [x for part in parts for x in part["latencies"]]  # type: ignore[attr-defined]
    statuses: dict[str, int] = {}
    for part in parts:
        for code, n in part["statuses"].items():  # type: ignore[attr-defined]
            statuses[str(code)] = statuses.get(str(code), 0) + n
    accepted = sum(int(part["accepted"]) for part in parts)  # type: ignore[call-overload]
    warm_events = total - accepted
    summary = summarize(latencies)
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "workers": args.workers,
        "generators": args.generators,
        "concurrency": args.concurrency,
        "batch": args.batch,
        "ids": args.ids,
        "duration_s": round(elapsed, 1),
        "requests": len(latencies),
        "statuses": statuses,
        "accepted_events": accepted,
        "events_per_s": accepted / elapsed,
        "latency_ms": summary.as_dict(),
        "inbox_rows": total,
        "inbox_distinct": distinct,
        "warmup_events": warm_events,
        "server_cpu_s": server_cpu,
        "generator_cpu_s": sum(float(part["cpu_s"]) for part in parts),  # type: ignore[arg-type]
        "events_per_server_cpu_s": accepted / server_cpu if server_cpu else 0.0,
        "load_before": load_before,
        "load_after": load_after,
        "machine": describe().as_dict(),
    }


def report(r: dict[str, Any]) -> str:
    lat, m = r["latency_ms"], r["machine"]
    eps = float(r["events_per_s"])
    cpu = float(r["server_cpu_s"])
    rate_mark = "✓" if eps >= TARGET_EVENTS_PER_S else "✗"
    p95_mark = "✓" if lat["p95"] < TARGET_P95_MS else "✗"
    command = (
        f"`.venv/bin/python bench/ingest_bench.py --workers {r['workers']} "
        f"--generators {r['generators']} --concurrency {r['concurrency']} "
        f"--duration {r['duration_s']:.0f} --ids {r.get('ids', 'sequential')}`"
    )
    lines = [
        f"Target: ≥ {TARGET_EVENTS_PER_S:,} events/s sustained with p95 < {TARGET_P95_MS:.0f} ms,"
        f" batches of {r['batch']} events, SQLite file, this machine.",
        "",
        f"Command: {command}",
        "",
        f"Measured {r['date']} on {m['cpu_model']}, {m['cpus']} CPUs, Python {m['python']},"
        f" SQLite {m['sqlite']}. 1-minute load average before → after:"
        f" {r['load_before']:.2f} → {r['load_after']:.2f}.",
        "",
        "| | Measured | Target | Ratio | |",
        "|---|---:|---:|---:|:-:|",
        f"| Sustained events/s | {eps:,.0f} | {TARGET_EVENTS_PER_S:,} |"
        f" {eps / TARGET_EVENTS_PER_S:.2f}× | {rate_mark} |",
        f"| p95 latency (ms) | {lat['p95']:.1f} | < {TARGET_P95_MS:.0f} |"
        f" {TARGET_P95_MS / lat['p95']:.2f}× headroom | {p95_mark} |",
        "",
        f"Server CPU: {cpu:.1f} CPU-seconds during the run, i.e."
        f" {float(r['events_per_server_cpu_s']):,.0f} events per CPU-second"
        f" ({1000 * cpu / max(1, int(r['requests'])):.2f} ms of CPU per {r['batch']}-event"
        f" request). Load generators: {float(r.get('generator_cpu_s', 0)):.1f} CPU-seconds.",
        "",
        f"Requests: {r['requests']:,} in {r['duration_s']} s (status counts {r['statuses']});"
        f" latency p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms,"
        f" max {lat['max']:.1f} ms. Every acknowledged event is in the inbox once:"
        f" {r['inbox_rows']:,} rows, {r['inbox_distinct']:,} distinct message ids"
        f" ({r['accepted_events']:,} acknowledged during the timed run +"
        f" {r['warmup_events']:,} during warm-up).",
        "",
        f"Server: `uvicorn --factory kizuna.cli.asgi:build --workers {r['workers']}"
        " --no-access-log` (uvloop, httptools), `KIZUNA_EMBEDDED_WORKER=false` (the event"
        " store's flush runs in"
        " `kizuna worker`, not measured here), SQLite in WAL mode with `synchronous=NORMAL`:"
        " a 200 means the events are committed, which survives a killed process (see"
        " `tests/e2e/test_ingest_durability.py`) but not a power cut (that needs"
        f" `synchronous=FULL`). Load: {r['generators']} process(es) on the same machine with"
        f" {r['concurrency']} keep-alive connections in total, one request in flight on each"
        " (a minimal HTTP/1.1 client on uvloop; bodies from 64 templates per process, each"
        " event with a fresh messageId: "
        + (
            "random UUIDs, as the Segment libraries send)."
            if r.get("ids") == "uuid"
            else "time-ordered, e.g. `g00001234-0042`)."
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--generators", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--ids", choices=["sequential", "uuid"], default="sequential")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--docs-only", action="store_true", help="re-render the saved results")
    args = parser.parse_args()
    if args.docs_only:
        result = json.loads(RESULTS.read_text(encoding="utf-8"))
    else:
        result = run(args)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    text = report(result)
    print(text)
    if not args.no_docs:
        update_section("Event ingestion (Segment-compatible HTTP API)", "ingest", text)


if __name__ == "__main__":
    main()
