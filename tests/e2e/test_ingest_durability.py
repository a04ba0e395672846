"""Durability: a `kill -9` of `kizuna serve` in the middle of a load loses no acknowledged
event, and re-sending every batch afterwards (what clients do on errors) stores each event
exactly once."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from kizuna.auth.actor import Actor
from kizuna.db.migrate import upgrade
from kizuna.db.session import Database
from kizuna.usage import sources
from kizuna.usage.source_schemas import SourceCreate
from pg import free_port

SENDERS = 4
BATCH = 50


def _serve(url: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": url,
        "KIZUNA_DATA_DIR": str(data_dir),
        "KIZUNA_ENVIRONMENT": "development",
        "KIZUNA_EMBEDDED_WORKER": "false",  # nothing moves events out of the inbox here
    }
    kizuna = Path(sys.executable).parent / "kizuna"
    process = subprocess.Popen(
        [str(kizuna), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("kizuna serve did not start")


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    db = Database.from_url(url)
    with db.sessions() as session, session.begin():
        _, key = sources.create_source(session, Actor.system(), SourceCreate(name="Load"))
    db.engine.dispose()
    return url, key


def _batch(sender: int, n: int) -> list[dict[str, object]]:
    return [
        {"type": "track", "userId": f"u{i}", "event": "E", "messageId": f"s{sender}-b{n}-{i}"}
        for i in range(BATCH)
    ]


def test_kill_9_loses_no_acknowledged_event(database: tuple[str, str], tmp_path: Path) -> None:
    url, key = database
    port = free_port()
    server = _serve(url, port, tmp_path)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    acknowledged: set[str] = set()
    sent: list[list[dict[str, object]]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(sender: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=5) as http:
            n = 0
            while not stop.is_set():
                batch = _batch(sender, n)
                n += 1
                with lock:
                    sent.append(batch)
                try:
                    response = http.post("/v1/batch", json={"batch": batch})
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    with lock:
                        acknowledged.update(str(e["messageId"]) for e in batch)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 2_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)  # mid-load: requests are in flight
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) >= 2_000

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = [m for (m,) in conn.execute(text("SELECT message_id FROM event_inbox"))]
    assert acknowledged <= set(stored)
    assert len(stored) == len(set(stored))

    # Clients retry what was not acknowledged (and may resend what was): stored once.
    server = _serve(url, port, tmp_path)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=10) as http:
            for batch in sent:
                assert http.post("/v1/batch", json={"batch": batch}).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    with engine.connect() as conn:
        total, distinct = conn.execute(
            text("SELECT count(*), count(DISTINCT message_id) FROM event_inbox")
        ).one()
    engine.dispose()
    expected = {str(e["messageId"]) for batch in sent for e in batch}
    assert total == distinct == len(expected)
