"""Results of the Portfolio / Account 360 benchmark: kept as JSON, shown as Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchkit.docs import update_section
from benchkit.engines import REPO
from benchkit.machine import Machine
from benchkit.timing import Summary

TITLE = "Portfolio and Account 360 (issue: foundation)"
KEY = "portfolio"
BUDGETS_MS = {"Portfolio": 150.0, "Account 360": 100.0}
RESULTS = REPO / "bench" / "results" / "portfolio.json"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class EngineResult:
    engine: str
    server: str
    measured_at: str
    sizes: dict[str, int]
    build_seconds: float
    database_bytes: int
    counts: dict[str, int]
    heaviest_activities: list[int]
    analyzed: bool
    warmup: int
    load_before: float
    load_after: float
    pages: dict[str, Summary] = field(default_factory=dict)
    variants: dict[str, dict[str, Summary]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EngineResult:
        result = cls(**{k: v for k, v in raw.items() if k not in ("pages", "variants")})
        result.pages = {k: Summary(**v) for k, v in raw["pages"].items()}
        result.variants = {
            page: {name: Summary(**v) for name, v in by_name.items()}
            for page, by_name in raw["variants"].items()
        }
        return result

    def passed(self, page: str) -> bool:
        return self.pages[page].p95 <= BUDGETS_MS[page]


@dataclass
class Report:
    machine: Machine
    command: str
    results: list[EngineResult]


def merge_saved(results: list[EngineResult], path: Path = RESULTS) -> list[EngineResult]:
    """This run's results plus saved ones for other engines measured at the same sizes."""
    fresh = {r.engine for r in results}
    sizes = results[0].sizes
    saved: list[EngineResult] = []
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        saved = [EngineResult.from_dict(r) for r in raw.get("results", [])]
    kept = [r for r in saved if r.engine not in fresh and r.sizes == sizes]
    return sorted([*kept, *results], key=lambda r: list(ENGINE_NAMES).index(r.engine))


def load(path: Path = RESULTS) -> Report:
    """The report saved by the last run (to re-render the docs without measuring)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    results = [EngineResult.from_dict(r) for r in raw["results"]]
    return Report(Machine(**raw["machine"]), raw["command"], results)


def save(report: Report, path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": report.machine.as_dict(),
        "command": report.command,
        "results": [asdict(r) for r in report.results],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_docs(report: Report) -> None:
    update_section(TITLE, KEY, render(report))


def render(report: Report) -> str:
    return "\n\n".join(
        [
            _intro(report),
            _machine(report.machine),
            _data(report.results),
            _results_table(report.results, report.machine.cpus),
            _variants(report.results),
        ]
    )


def _intro(report: Report) -> str:
    dates = ", ".join(f"{ENGINE_NAMES[r.engine]} {r.measured_at}" for r in report.results)
    return (
        f"Budgets: Portfolio p95 ≤ {BUDGETS_MS['Portfolio']:.0f} ms, Account 360 p95 ≤ "
        f"{BUDGETS_MS['Account 360']:.0f} ms, with 10 k accounts and 1 M activities, "
        "through HTTP.\n\n"
        f"Command: `{report.command}`\n\n"
        f"Measured: {dates}."
    )


def _machine(machine: Machine) -> str:
    return (
        "**Machine**\n\n"
        f"- CPU: {machine.cpu_model}, {machine.cpus} CPUs (`nproc`)\n"
        f"- Memory: {machine.memory} (`free -h`)\n"
        f"- OS: {machine.os}\n"
        f"- Python {machine.python}, SQLite {machine.sqlite} (Python's `sqlite3`), "
        f"{machine.postgresql}"
    )


def _data(results: list[EngineResult]) -> str:
    first = results[0]
    counts = first.counts
    lines = [
        "**Data** (built per engine by `bench/portfolio_build.py`, seed fixed)\n",
        "| Table | Rows |",
        "|---|---:|",
        *(f"| {name} | {count:,} |" for name, count in counts.items()),
        "",
        f"Activities per account are skewed: the busiest ten have "
        f"{', '.join(f'{n:,}' for n in first.heaviest_activities)}; they span three years.",
        "",
        "| Engine | Build time | Size on disk | Planner statistics |",
        "|---|---:|---:|---|",
    ]
    for r in results:
        stats = "ANALYZE after load" if r.analyzed else "none (the app never runs ANALYZE)"
        lines.append(
            f"| {ENGINE_NAMES[r.engine]} | {r.build_seconds:.0f} s | "
            f"{r.database_bytes / 2**20:,.0f} MiB | {stats} |"
        )
    return "\n".join(lines)


def _results_table(results: list[EngineResult], cpus: int) -> str:
    lines = [
        "**Results** (milliseconds, client-side, request sent → last byte read)\n",
        "| Engine | Page | Requests | p50 | p95 | p99 | max | Budget (p95) | |",
        "|---|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        for page, s in r.pages.items():
            mark = "✓" if r.passed(page) else "✗"
            lines.append(
                f"| {ENGINE_NAMES[r.engine]} | {page} | {s.count} | {s.p50:.1f} | {s.p95:.1f} "
                f"| {s.p99:.1f} | {s.max:.1f} | {BUDGETS_MS[page]:.0f} | {mark} |"
            )
    loads = ", ".join(
        f"{ENGINE_NAMES[r.engine]} {r.load_before:.2f} → {r.load_after:.2f}" for r in results
    )
    busy = max(r.load_before for r in results) > 0.5 * cpus
    note = f" ({cpus} CPUs: other work was running on the machine)" if busy else ""
    method = (
        "The server runs as in production (`uvicorn --factory kizuna.cli.asgi:build`, one "
        "process, log level warning) on 127.0.0.1; one `httpx` client logs in through the "
        "`/login` form. Before measuring, the database files are read into the OS page "
        "cache (as on a dedicated server, which keeps a database this size cached), then "
        f"{results[0].warmup} warm-up requests, then the timed requests one at a time, "
        "Portfolio and Account 360 interleaved. 1-minute load average before → after "
        f"measuring: {loads}{note}."
    )
    return "\n".join(lines) + "\n\n" + method


def _variants(results: list[EngineResult]) -> str:
    lines = [
        "<details><summary>Per variant (p50 / p95 / max ms)</summary>\n",
        "| Page | Variant | " + " | ".join(ENGINE_NAMES[r.engine] for r in results) + " |",
        "|---|---|" + "---:|" * len(results),
    ]
    for page, by_name in results[0].variants.items():
        for name in by_name:
            cells = [_cell(r.variants.get(page, {}).get(name)) for r in results]
            lines.append(f"| {page} | {name} | " + " | ".join(cells) + " |")
    lines.append("\n</details>")
    return "\n".join(lines)


def _cell(summary: Summary | None) -> str:
    if summary is None:
        return "—"
    return f"{summary.p50:.0f} / {summary.p95:.0f} / {summary.max:.0f} (n={summary.count})"
