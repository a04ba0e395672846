"""Serve Kizuna as in production (``uvicorn --factory kizuna.cli.asgi:build``) in a
subprocess on a free loopback port, and log in through the real ``/login`` form."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchkit.engines import REPO

LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str, log_path: Path) -> Iterator[str]:
    """Start uvicorn (log level warning) against ``database_url``; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": database_url,
        "KIZUNA_ENVIRONMENT": "development",
        "KIZUNA_SECRET_KEY": secrets.token_urlsafe(32),
        "KIZUNA_DATA_DIR": str(log_path.parent),
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "kizuna.cli.asgi:build",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start within {START_TIMEOUT:.0f} s")


def logged_in_client(base: str, email: str, password: str) -> httpx.Client:
    """An ``httpx.Client`` holding a session cookie obtained through the login form."""
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/login")
    page.raise_for_status()
    match = LOGIN_CSRF.search(page.text)
    if match is None:
        raise RuntimeError("no csrf_token on the login page")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
    )
    if response.status_code != 303 or "kizuna_session" not in client.cookies:
        raise RuntimeError(f"login failed: HTTP {response.status_code}")
    return client
