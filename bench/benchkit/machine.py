"""A description of the machine a benchmark ran on, for docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cpus: int
    memory: str
    os: str
    python: str
    sqlite: str
    postgresql: str

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def _run(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def _cpu_model() -> str:
    match = re.search(r"^Model name:\s*(.+)$", _run("lscpu"), re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def _cpus() -> int:
    text = _run("nproc").strip()
    return int(text) if text.isdigit() else os.cpu_count() or 1


def _memory() -> str:
    """Total memory as ``free -h`` prints it."""
    for line in _run("free", "-h").splitlines():
        if line.startswith("Mem:"):
            return line.split()[1]
    return "unknown"


def describe(postgresql_version: str = "not used") -> Machine:
    return Machine(
        cpu_model=_cpu_model(),
        cpus=_cpus(),
        memory=_memory(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgresql=postgresql_version,
    )
