"""Usage analytics benchmark: bulk import and the metric catalogue, against plain SQL.

Budgets (issue 4 item 9): bulk import ≥ 1 M events/s from Parquet; the whole catalogue
for 1 000 accounts over 10 M events ≤ 5 s, and ≥ 50× faster than the same metrics in
plain SQL on PostgreSQL on the same data. Run from the repository root:

    .venv/bin/python bench/usage_bench.py [--events 10000000] [--accounts 1000] [--no-pg]

It generates the events (``usage_data.py``), imports them into a throw-away SQLite +
event store with ``kizuna.usage.importer`` (the code ``kizuna events import`` runs),
computes the catalogue with ``kizuna.usage.compute`` (DuckDB), then once more
incrementally after one more day of events, then loads the same events into PostgreSQL
with COPY and computes the catalogue in SQL (``usage_sql.py``). Prints each number and
the ratios, and rewrites its block in docs/benchmarks.md (``--no-docs`` to skip).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from sqlalchemy import insert  # noqa: E402

import usage_data  # noqa: E402
import usage_sql  # noqa: E402
from benchkit.docs import update_section  # noqa: E402
from benchkit.engines import server_version, temporary_database  # noqa: E402
from benchkit.machine import describe  # noqa: E402
from kizuna.auth.actor import Actor  # noqa: E402
from kizuna.db.migrate import upgrade  # noqa: E402
from kizuna.db.session import Database  # noqa: E402
from kizuna.kit.clock import today, utc_now  # noqa: E402
from kizuna.kit.ids import uuid7  # noqa: E402
from kizuna.models import Account, Product, Subscription  # noqa: E402
from kizuna.models.enums import ProductKind, ProductUnit  # noqa: E402
from kizuna.usage import compute, importer  # noqa: E402
from kizuna.usage.store import EventStore  # noqa: E402

SYSTEM = Actor.system("bench")
TODAY = date(2026, 11, 23)
START_ON = TODAY - timedelta(days=400)


def _setup(url: str, accounts: int) -> list[tuple[str, int]]:
    """Accounts BENCH-0000… with a seat line each; returns (group id, seats)."""
    upgrade(url)
    database = Database.from_url(url)
    seats = usage_data.seats(accounts, 7)
    now = utc_now()
    product = uuid7()
    ids = [uuid7() for _ in range(accounts)]
    with database.sessions() as session, session.begin():
        session.execute(
            insert(Product),
            [
                {
                    "id": product,
                    "code": "BENCH",
                    "name": "Bench plan",
                    "kind": ProductKind.BASE_PLAN,
                    "unit": ProductUnit.SEAT,
                    "list_price_amount": 1000,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        session.execute(
            insert(Account),
            [
                {
                    "id": ids[i],
                    "external_id": usage_data.group_id(i),
                    "name": f"ベンチ{i:04d}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(accounts)
            ],
        )
        session.execute(
            insert(Subscription),
            [
                {
                    "id": uuid7(),
                    "account_id": ids[i],
                    "product_id": product,
                    "mrr_amount": 1000,
                    "quantity": int(seats[i]),
                    "start_on": START_ON,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(accounts)
            ],
        )
    database.engine.dispose()
    return [(usage_data.group_id(i), int(seats[i])) for i in range(accounts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL baseline")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="kizuna-usage-bench-"))
    events_file = work / "events.parquet"
    t = time.perf_counter()
    usage_data.write_events(
        events_file, events=args.events, accounts=args.accounts, days=args.days, end=TODAY
    )
    print(f"generated {args.events:,} events in {time.perf_counter() - t:.1f} s")
    day_file = work / "day.parquet"
    extra = max(1, args.events // args.days)
    usage_data.write_events(
        day_file, events=extra, accounts=args.accounts, days=1, end=TODAY + timedelta(1), seed=9
    )
    results: dict[str, float] = {}
    with temporary_database("sqlite") as url:
        groups = _setup(url, args.accounts)
        database = Database.from_url(url)
        store = EventStore.under(work / "data")
        with database.sessions() as session, session.begin():
            t, c = time.perf_counter(), time.process_time()
            imported = importer.import_events(session, SYSTEM, store, events_file)
            results["import_s"] = time.perf_counter() - t
            results["import_cpu"] = time.process_time() - c
        assert imported.stored == args.events, imported
        print(
            f"import: {args.events / results['import_s']:,.0f} events/s "
            f"({results['import_s']:.2f} s)"
        )
        options = compute.Options(data_dir=work / "data", today=TODAY)
        c = time.process_time()
        with database.sessions() as session:
            full = compute.run(session, SYSTEM, options)
        results["compute_cpu"] = time.process_time() - c
        results["compute_s"] = full.seconds
        results["values"] = full.values
        print(
            f"full compute: {full.seconds:.2f} s, {full.values:,} values, "
            f"{full.metrics} metrics, {full.accounts} accounts"
        )
        with database.sessions() as session, session.begin():
            importer.import_events(session, SYSTEM, store, day_file)
        c = time.process_time()
        with database.sessions() as session:
            later = compute.run(
                session, SYSTEM, compute.Options(data_dir=work / "data", today=TODAY + timedelta(1))
            )
        results["incremental_cpu"] = time.process_time() - c
        results["incremental_s"] = later.seconds
        print(
            f"incremental compute (+{extra:,} events, one day): {later.seconds:.2f} s "
            f"from {later.since}"
        )
    pg_version = "not used"
    if not args.no_pg:
        with temporary_database("postgresql") as url:
            pg_version = server_version(url)
            plain = url.replace("postgresql+psycopg://", "postgresql://")
            account_of = {g: i for i, (g, _) in enumerate(groups)}
            results["pg_load_s"] = usage_sql.load(
                plain,
                events_file,
                list(account_of.items()),
                [(i, s) for i, (_, s) in enumerate(groups)],
                START_ON.isoformat(),
            )
            print(f"PostgreSQL COPY: {results['pg_load_s']:.1f} s")
            total, values, _timings = usage_sql.compute(plain, TODAY.isoformat())
            results["pg_compute_s"], results["pg_values"] = total, values
            print(
                f"PostgreSQL plain SQL: {total:.1f} s, {values:,} values; "
                f"ratio {total / results['compute_s']:.1f}×"
            )
    load_after = os.getloadavg()[0]
    if not args.no_docs:
        _docs(args, results, pg_version, load_before, load_after)
    ok = args.events / results["import_s"] >= 1_000_000 and results["compute_s"] <= 5
    if "pg_compute_s" in results:
        ok = ok and results["pg_compute_s"] / results["compute_s"] >= 50
    return 0 if ok else 1


def _docs(
    args: argparse.Namespace, r: dict[str, float], pg: str, before: float, after: float
) -> None:
    machine = describe(pg)
    rate = args.events / r["import_s"]
    lines = [
        "Budgets: bulk import ≥ 1 M events/s from Parquet; whole catalogue for 1 000 accounts "
        "over 10 M events ≤ 5 s and ≥ 50× faster than plain SQL on PostgreSQL.",
        "",
        f"Command: `.venv/bin/python bench/usage_bench.py --events {args.events} "
        f"--accounts {args.accounts} --days {args.days}`",
        "",
        f"Measured {today()} on {machine.cpu_model}, {machine.cpus} CPUs, "
        f"{machine.memory}; {machine.python}; {pg}. 1-minute load average {before:.1f} → "
        f"{after:.1f} (other work shared the machine).",
        "",
        "CPU seconds (this process, both cores together) are given beside the wall time: on a "
        "shared machine they move less than the wall time does.",
        "",
        "| Step | Result | CPU | Budget | |",
        "|---|---:|---:|---:|:-:|",
        f"| Bulk import (Parquet → event store, checks + dedupe) | {rate:,.0f} events/s "
        f"({r['import_s']:.1f} s) | {r['import_cpu']:.1f} s | ≥ 1,000,000 events/s "
        f"| {'✓' if rate >= 1e6 else '✗'} |",
        f"| Whole catalogue, full (DuckDB) | {r['compute_s']:.2f} s, {int(r['values']):,} "
        f"values | {r['compute_cpu']:.1f} s | ≤ 5 s | {'✓' if r['compute_s'] <= 5 else '✗'} |",
        f"| Incremental after one more day | {r['incremental_s']:.2f} s "
        f"| {r['incremental_cpu']:.1f} s | — | |",
    ]
    if "pg_compute_s" in r:
        ratio = r["pg_compute_s"] / r["compute_s"]
        lines += [
            f"| Same catalogue, plain SQL on PostgreSQL | {r['pg_compute_s']:.1f} s, "
            f"{int(r['pg_values']):,} values (COPY load {r['pg_load_s']:.0f} s, not counted) "
            f"| (server) | — | |",
            f"| Ratio PostgreSQL ÷ engine | {ratio:.1f}× | | ≥ 50× "
            f"| {'✓' if ratio >= 50 else '✗'} |",
        ]
    update_section("Usage analytics (import and metric catalogue)", "usage", "\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
