"""Portfolio and Account 360 latency through HTTP, on SQLite and on PostgreSQL.

Run by hand (not in CI), from the repository root:

    .venv/bin/python bench/portfolio_bench.py [--engine sqlite|postgresql|both]
        [--accounts 10000] [--activities 1000000] [--requests 300]

For each engine: build a throw-away database (bulk inserts), serve it with uvicorn in a
subprocess on a loopback port, log in through the real form, warm up, then time
``--requests`` sequential requests of each page and report p50/p95/p99/max against the
budgets. Results go to bench/results/portfolio.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchkit.engines import ENGINES, prewarm, server_version, size_on_disk, temporary_database
from benchkit.machine import describe
from benchkit.server import logged_in_client, running_server
from benchkit.timing import Probe, Summary, run_probes, summarize
from portfolio_build import PASSWORD, SEED, BuiltData, Sizes, build
from portfolio_probes import measured_probes, variant_order, warmup_probes
from portfolio_report import BUDGETS_MS, ENGINE_NAMES, EngineResult, Report, merge_saved, write_docs
from portfolio_report import load as load_results
from portfolio_report import save as save_results

console = Console()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument(
        "--sqlite-analyze", action="store_true",
        help="run ANALYZE on SQLite after loading (the app itself never does)",
    )  # fmt: skip
    parser.add_argument(
        "--quiet-wait", type=int, default=120, metavar="SECONDS",
        help="before measuring, wait up to this long for the load average to drop",
    )  # fmt: skip
    parser.add_argument(
        "--no-docs", action="store_true",
        help="do not record the results (docs/benchmarks.md, bench/results/portfolio.json)",
    )  # fmt: skip
    parser.add_argument(
        "--docs-only", action="store_true",
        help="only re-render docs/benchmarks.md from bench/results/portfolio.json",
    )  # fmt: skip
    return parser.parse_args(argv)


def command_line(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python bench/portfolio_bench.py", f"--engine {args.engine}",
        f"--accounts {args.accounts}", f"--activities {args.activities}",
        f"--requests {args.requests}",
    ]  # fmt: skip
    if args.sqlite_analyze:
        parts.append("--sqlite-analyze")
    return " ".join(parts)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip


def wait_until_quiet(seconds: int) -> None:
    """Other work on the machine skews latency: wait (bounded) for the load to drop."""
    limit = 0.5 * (os.cpu_count() or 1)
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        time.sleep(5)
    if os.getloadavg()[0] > limit:
        console.print(f"[yellow]load average {os.getloadavg()[0]:.2f} > {limit:.1f}: "
                      "the machine is busy, results will be noisy[/]")  # fmt: skip


@dataclass(frozen=True)
class Measurement:
    samples: list[tuple[Probe, float]]
    warmup: int
    load_before: float
    load_after: float


def time_probes(base: str, data: BuiltData, args: argparse.Namespace) -> Measurement:
    """Log in, wait for a quiet machine, load the database into the page cache, warm up,
    then time the interleaved probes."""
    rng = random.Random(SEED)
    warmup = warmup_probes(data, rng)
    measured = measured_probes(data, args.requests, rng)
    client = logged_in_client(base, data.login_email, PASSWORD)
    with closing(client), _progress() as progress:
        wait_until_quiet(args.quiet_wait)
        read = prewarm(data.url)
        console.print(f"Read {read / 2**20:,.0f} MiB of database into the page cache")
        task = progress.add_task("warm-up", total=len(warmup))
        run_probes(client, warmup, lambda: progress.advance(task))
        load_before = os.getloadavg()[0]
        task = progress.add_task("measuring", total=len(measured))
        samples = run_probes(client, measured, lambda: progress.advance(task))
    return Measurement(samples, len(warmup), load_before, os.getloadavg()[0])


def summarise(
    samples: list[tuple[Probe, float]], order: list[str]
) -> tuple[dict[str, Summary], dict[str, dict[str, Summary]]]:
    by_page: dict[str, list[float]] = defaultdict(list)
    by_variant: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for probe, ms in samples:
        by_page[probe.page].append(ms)
        by_variant[probe.page][probe.variant].append(ms)
    pages = {page: summarize(by_page[page]) for page in BUDGETS_MS}
    variants = {
        page: {name: summarize(by_variant[page][name]) for name in order if by_variant[page][name]}
        for page in BUDGETS_MS
    }
    return pages, variants


def run_engine(engine: str, args: argparse.Namespace) -> EngineResult:
    console.rule(f"[bold]{ENGINE_NAMES[engine]}")
    sizes = Sizes(args.accounts, args.activities)
    analyzed = engine == "postgresql" or args.sqlite_analyze
    with temporary_database(engine) as url, tempfile.TemporaryDirectory() as logs:
        version = server_version(url)
        data = build(url, sizes, seed=SEED, run_analyze=analyzed, console=console)
        console.print(f"Built {sum(data.counts.values()):,} rows in {data.seconds:.0f} s")
        database_bytes = size_on_disk(url)
        with running_server(url, Path(logs) / "server.log") as base:
            measurement = time_probes(base, data, args)
    pages, variants = summarise(measurement.samples, variant_order(data))
    return EngineResult(
        engine=engine, server=version, measured_at=datetime.now(UTC).strftime("%Y-%m-%d"),
        sizes={"accounts": sizes.accounts, "activities": sizes.activities},
        build_seconds=data.seconds, database_bytes=database_bytes, counts=data.counts,
        heaviest_activities=[n for _, n in data.heaviest], analyzed=analyzed,
        warmup=measurement.warmup, load_before=measurement.load_before,
        load_after=measurement.load_after, pages=pages, variants=variants,
    )  # fmt: skip


def show(results: list[EngineResult]) -> None:
    table = Table(title="p95 against the budgets (ms)")
    for column in ("Engine", "Page", "n", "p50", "p95", "p99", "max", "budget", ""):
        table.add_column(column, justify="left" if column in ("Engine", "Page") else "right")
    for r in results:
        for page, s in r.pages.items():
            table.add_row(
                ENGINE_NAMES[r.engine], page, str(s.count), f"{s.p50:.1f}", f"{s.p95:.1f}",
                f"{s.p99:.1f}", f"{s.max:.1f}", f"{BUDGETS_MS[page]:.0f}",
                "[green]✓[/]" if r.passed(page) else "[red]✗[/]",
            )  # fmt: skip
    console.print(table)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.docs_only:
        write_docs(load_results())
        return 0
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    results = [run_engine(engine, args) for engine in engines]
    show(results)
    merged = merge_saved(results)
    servers = {r.engine: r.server for r in merged}
    postgres = servers.get("postgresql", "PostgreSQL not measured")
    report = Report(describe(postgres), command_line(args), merged)
    if not args.no_docs:
        save_results(report)
        write_docs(report)
        console.print("Updated docs/benchmarks.md")
    return 0 if all(r.passed(page) for r in results for page in r.pages) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
