"""A throw-away PostgreSQL server for the tests, started from the local binaries.

PostgreSQL refuses to run as root, so when the tests run as root (CI containers) the
server runs as the ``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def find_bindir() -> Path:
    for candidate in (
        shutil.which("pg_ctl"),
        *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")),
    ):
        if candidate:
            return Path(candidate).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found: run `make test` (it installs them)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a fresh cluster on a free port; yield its SQLAlchemy URL; stop it after."""
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="kizuna-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "kizuna",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
    )
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(root / "server.log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=kizuna dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE kizuna_test")
        yield f"postgresql+psycopg://kizuna@127.0.0.1:{port}/kizuna_test"
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
