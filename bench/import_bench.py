"""How fast a million rows import, and in how much memory (issue 3 §5 and §9).

Run by hand (not in CI), from the repository root:

    .venv/bin/python bench/import_bench.py [--engine sqlite|postgresql|both]
        [--rows 1000000] [--accounts 20000] [--no-heap]

Budget: 1 M subscription or activity rows import in under 60 s, with memory bounded
(the engine streams the file twice and spills checked rows to a temporary file).

For each engine: a throw-away database migrated by ``kizuna.db.migrate.upgrade``, with
``--accounts`` accounts and 8 products bulk-inserted. Three files of ``--rows`` rows are
written once: subscription lines as CSV (the export's own format, UTF-8 with a BOM) and
the same lines as Parquet (account_ref, product_ref, start_on, end_on, mrr_amount,
quantity, external_id), and activities as CSV. Each import runs in a fresh process, so
that its memory peak is its own: ``create_run`` then ``execute_run`` of
``kizuna.importing.service`` in one transaction, exactly as the CLI does; the time is
``execute_run`` (checking every row, then writing), the upload copy excluded. The
transaction is rolled back afterwards so every case starts from the same database. Peak
RSS is the child's ``ru_maxrss``. Unless ``--no-heap``, a second fresh process repeats the
import under ``tracemalloc`` for the Python heap peak (tracing slows it, so that run is
not timed). Results go to bench/results/import.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit.docs import update_section
from benchkit.engines import ENGINES, REPO, server_version, temporary_database
from benchkit.machine import Machine, describe

BUDGET_SECONDS = 60.0
RESULTS = REPO / "bench" / "results" / "import.json"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PRODUCTS = ["KZ-STARTER", "KZ-STD", "KZ-PRO", "KZ-ENT", "KZ-OPT-SSO", "KZ-OPT-API", "KZ-SEAT",
            "KZ-ONBOARD"]  # fmt: skip
SUBSCRIPTION_COLUMNS = ["account_ref", "product_ref", "start_on", "end_on", "mrr_amount",
                        "quantity", "external_id"]  # fmt: skip
ACTIVITY_COLUMNS = ["account_ref", "kind", "subject", "occurred_at", "duration_minutes", "body",
                    "external_id"]  # fmt: skip
ACTIVITY_KINDS = ["meeting", "call", "email", "note", "qbr", "training", "event", "inquiry"]
SUBJECTS = ["定例ミーティング", "オンボーディング支援", "QBR 準備", "利用状況のご報告",
            "請求について", "Re: 契約更新のご相談", "トレーニング（管理者向け）",
            "障害のお問い合わせ"]  # fmt: skip
BODY = "議事録: 導入目的を再確認。次回までに、利用部門の拡大について検討いただく。"
# (case, kind, file) in the order they run.
CASES = [
    ("subscriptions CSV", "subscriptions", "subscriptions.csv"),
    ("subscriptions Parquet", "subscriptions", "subscriptions.parquet"),
    ("activities CSV", "activities", "activities.csv"),
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--no-heap", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument(
        "--quiet-wait", type=int, default=120, metavar="SECONDS",
        help="before each case, wait up to this long for the load average to drop",
    )  # fmt: skip
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def command_line(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python bench/import_bench.py", f"--engine {args.engine}",
             f"--rows {args.rows}", f"--accounts {args.accounts}"]  # fmt: skip
    return " ".join([*parts, "--no-heap"] if args.no_heap else parts)


# --- data (built in child processes: the parent stays small, so ru_maxrss is the child's) --


def account_key(i: int, accounts: int) -> str:
    return f"ACC-{(i * 7919) % accounts:06d}"


def subscription_rows(rows: int, accounts: int) -> Iterator[tuple[object, ...]]:
    first = date(2019, 1, 1)
    for i in range(rows):
        start = first + timedelta(days=(i * 37) % 2500)
        yield (
            account_key(i, accounts),
            PRODUCTS[i % len(PRODUCTS)],
            start,
            start + timedelta(days=365 * (1 + i % 3)) if i % 3 else None,
            1_000 * (1 + (i * 13) % 500),
            1 + i % 100,
            f"SUB-{i:07d}",
        )


def activity_rows(rows: int, accounts: int) -> Iterator[tuple[object, ...]]:
    first = datetime(2023, 4, 1, 9, 0)  # noqa: DTZ001 - a file's naive local time
    for i in range(rows):
        yield (
            account_key(i, accounts),
            ACTIVITY_KINDS[i % len(ACTIVITY_KINDS)],
            f"{SUBJECTS[i % len(SUBJECTS)]} #{i}",
            (first + timedelta(minutes=(i * 17) % 1_500_000)).strftime("%Y-%m-%d %H:%M"),
            15 * (1 + i % 8),
            BODY if i % 5 == 0 else "",
            f"ACT-{i:07d}",
        )


def write_files(folder: str, rows: int, accounts: int) -> dict[str, int]:
    """The three files, streamed; returns their sizes in bytes."""
    import pyarrow as pa

    from kizuna.exporting.writers import write_csv, write_parquet

    root = Path(folder)
    write_csv(root / "subscriptions.csv", SUBSCRIPTION_COLUMNS, subscription_rows(rows, accounts))
    schema = pa.schema(
        [("account_ref", pa.string()), ("product_ref", pa.string()), ("start_on", pa.date32()),
         ("end_on", pa.date32()), ("mrr_amount", pa.int64()), ("quantity", pa.int64()),
         ("external_id", pa.string())]
    )  # fmt: skip
    write_parquet(root / "subscriptions.parquet", schema, subscription_rows(rows, accounts))
    write_csv(root / "activities.csv", ACTIVITY_COLUMNS, activity_rows(rows, accounts))
    return {name: (root / name).stat().st_size for _case, _kind, name in CASES}


def seed(url: str, accounts: int) -> None:
    """Migrate, then bulk-insert the accounts and products the files refer to."""
    from sqlalchemy import insert

    from kizuna.db.migrate import upgrade
    from kizuna.db.session import Database
    from kizuna.kit.clock import utc_now
    from kizuna.kit.ids import uuid7
    from kizuna.models import Account, Product

    upgrade(url)
    database = Database.from_url(url)
    now = utc_now()
    try:
        with database.sessions() as session, session.begin():
            session.execute(
                insert(Account),
                [{"id": uuid7(), "external_id": f"ACC-{i:06d}", "name": f"株式会社サンプル{i}",
                  "currency": "JPY", "created_at": now, "updated_at": now}
                 for i in range(accounts)],
            )  # fmt: skip
            session.execute(
                insert(Product),
                [{"id": uuid7(), "code": code, "name": code, "kind": "base_plan", "unit": "seat",
                  "created_at": now, "updated_at": now} for code in PRODUCTS],
            )  # fmt: skip
    finally:
        database.engine.dispose()


# --- one import, in its own process ----------------------------------------------------------


def status_mib(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(url: str, kind: str, path: str, workdir: str, trace: bool) -> dict[str, Any]:
    """Import ``path`` through the service in one transaction, then roll it back."""
    from kizuna.auth.actor import Actor
    from kizuna.db.session import Database
    from kizuna.importing.service import Workspace, create_run, execute_run
    from kizuna.models.importing import ImportKind

    baseline = status_mib("VmRSS")
    if trace:
        tracemalloc.start()
    database = Database.from_url(url)
    actor = Actor.system("bench")
    workspace = Workspace(Path(workdir))
    try:
        with database.sessions() as session:
            session.begin()
            upload = Path(path)
            run = create_run(
                session, actor, workspace, kind=ImportKind(kind), filename=upload.name,
                upload=upload,
            )  # fmt: skip
            started, cpu = time.perf_counter(), time.process_time()
            run = execute_run(session, actor, workspace, run.id)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            outcome = {
                "status": run.status.value, "total_rows": run.total_rows,
                "created": run.created_count, "invalid_rows": run.invalid_rows,
                "problems": run.problems[:3],
            }  # fmt: skip
            session.rollback()
    finally:
        database.engine.dispose()
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    return {
        **outcome, "seconds": seconds, "cpu_seconds": cpu_seconds,
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "hwm_mib": status_mib("VmHWM"), "rss_baseline_mib": baseline, "heap_peak_mib": heap_peak,
    }  # fmt: skip


def in_child(function: Any, *args: object) -> Any:
    """Run ``function(*args)`` in a fresh spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(function, args)


def wait_until_quiet(seconds: int) -> float:
    """Other work on the machine skews timings: wait (bounded) for the load to drop."""
    limit = 0.5 * (os.cpu_count() or 1)
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > limit and time.monotonic() < deadline:
        time.sleep(5)
    load = os.getloadavg()[0]
    if load > limit:
        print(f"  load average {load:.2f} > {limit:.1f}: the machine is busy, expect noise")
    return load


def run_engine(engine: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {ENGINE_NAMES[engine]}")
    results = []
    with temporary_database(engine) as url, tempfile.TemporaryDirectory() as workdir:
        version = server_version(url)
        in_child(seed, url, args.accounts)
        for case, kind, name in CASES:
            load_before = wait_until_quiet(args.quiet_wait)
            timed = in_child(measure, url, kind, str(folder / name), workdir, False)
            load_after = os.getloadavg()[0]
            if timed["status"] != "done" or timed["created"] != args.rows:
                raise RuntimeError(f"{case}: the import did not write every row: {timed}")
            heap = None
            if not args.no_heap:
                heap = in_child(measure, url, kind, str(folder / name), workdir, True)
            result = {
                "case": case, "kind": kind, "file": name, "rows": timed["total_rows"],
                "bytes": (folder / name).stat().st_size, "seconds": timed["seconds"],
                "cpu_seconds": timed["cpu_seconds"], "rss_peak_mib": timed["rss_peak_mib"],
                "hwm_mib": timed["hwm_mib"], "rss_baseline_mib": timed["rss_baseline_mib"],
                "heap_peak_mib": heap["heap_peak_mib"] if heap else None,
                "traced_rss_peak_mib": heap["rss_peak_mib"] if heap else None,
                "load_before": load_before, "load_after": load_after,
            }  # fmt: skip
            results.append(result)
            rate = result["rows"] / result["seconds"]
            print(
                f"  {case:22} {result['seconds']:6.1f} s  {rate:9,.0f} rows/s  "
                f"RSS peak {result['rss_peak_mib']:6.0f} MiB  heap peak "
                + (f"{result['heap_peak_mib']:5.1f} MiB" if heap else "—")
            )
    return {"engine": engine, "server": version, "cases": results}


# --- report ------------------------------------------------------------------------------------


def render(machine: Machine, command: str, measured: str, engines: list[dict[str, Any]]) -> str:
    rows = engines[0]["cases"][0]["rows"] if engines else 0
    lines = [
        f"Budget: 1 M subscription or activity rows import in under {BUDGET_SECONDS:.0f} s, "
        "with memory bounded (streamed).",
        "",
        f"Command: `{command}`",
        "",
        f"Measured: {measured}.",
        "",
        "**Machine**",
        "",
        f"- CPU: {machine.cpu_model}, {machine.cpus} CPUs (`nproc`)",
        f"- Memory: {machine.memory} (`free -h`)",
        f"- OS: {machine.os}",
        f"- Python {machine.python}, SQLite {machine.sqlite} (Python's `sqlite3`), "
        f"{machine.postgresql}",
        "",
        f"**Data**: {rows:,} rows per file; the database already holds the accounts and the 8 "
        "products the rows refer to (each row names its account by external id and its product "
        "by code). Subscriptions: 7 columns, a third open-ended; activities: 7 columns, Japanese "
        "subjects, a body on one row in five, naive Asia/Tokyo times.",
        "",
        "**Results** (`execute_run`: every row checked, then written, in one transaction)",
        "",
        "| Engine | File | Size | Time (s) | Rows/s | Peak RSS (MiB) | Python heap peak (MiB) "
        f"| Budget ({BUDGET_SECONDS:.0f} s) |",
        "|---|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for engine in engines:
        for c in engine["cases"]:
            heap = "—" if c["heap_peak_mib"] is None else f"{c['heap_peak_mib']:.1f}"
            ok = "✓" if c["seconds"] < BUDGET_SECONDS else "✗"
            lines.append(
                f"| {ENGINE_NAMES[engine['engine']]} | {c['case']} | "
                f"{c['bytes'] / 2**20:,.0f} MiB | {c['seconds']:.1f} | "
                f"{c['rows'] / c['seconds']:,.0f} | {c['rss_peak_mib']:.0f} | {heap} | {ok} |"
            )
    loads = "; ".join(
        f"{ENGINE_NAMES[e['engine']]} {c['case']} {c['load_before']:.2f} → {c['load_after']:.2f}"
        for e in engines
        for c in e["cases"]
    )
    lines += [
        "",
        "Each import runs in a fresh process; peak RSS is its `ru_maxrss` (the interpreter, "
        "SQLAlchemy and, for Parquet, pyarrow account for about "
        f"{min(c['rss_baseline_mib'] for e in engines for c in e['cases']):.0f} MiB of it before "
        "the import starts). The heap peak is `tracemalloc`'s, from a second, untimed run. The "
        "PostgreSQL server's own memory is not counted. 1-minute load average before → after "
        f"each timed run: {loads}.",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="kizuna-import-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        sizes = in_child(write_files, str(folder), args.rows, args.accounts)
        print(
            f"wrote {len(sizes)} files of {args.rows:,} rows in "
            f"{time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in sizes.items())
        )
        results = [run_engine(engine, folder, args) for engine in engines]
    postgres = next((r["server"] for r in results if r["engine"] == "postgresql"), None)
    machine = describe(postgres or "PostgreSQL not measured")
    measured = datetime.now(UTC).strftime("%Y-%m-%d")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine.as_dict(), "command": command_line(args), "engines": results}
    RESULTS.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not args.no_docs:
        body = render(machine, command_line(args), measured, results)
        update_section("Import (issue: import and export)", "import", body)
        print("updated docs/benchmarks.md")
    return 0 if all(c["seconds"] < BUDGET_SECONDS for r in results for c in r["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
