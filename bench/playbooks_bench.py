"""How fast the playbooks and the journey are evaluated (issue 7: C5 + C7).

Run by hand (not in CI), from the repository root:

    .venv/bin/python bench/playbooks_bench.py [--engine sqlite|postgresql]
        [--accounts 10000] [--activities 200000] [--playbooks 50]

Budget: evaluating 50 playbooks and the journey over 10 k accounts in ≤ 10 s end to end
(``evaluate_journey`` then ``evaluate_playbooks`` in one transaction, as the daily journey
job runs them, the playbooks reusing the facts the journey loaded: load the facts,
evaluate, write the firings, tasks, notifications and state).

Data: the Portfolio benchmark's synthetic company (``portfolio_build``: accounts with
tiers and owners, contacts, lines, survey answers, ``--activities`` activities), the
Health benchmark's usage store (two years of weekly/monthly values per account, so seat
activation and usage facts exist), one rescore (health scores and bands), three shared
segments, a few domain events (NPS answers, hand-offs), and ``--playbooks`` published
playbooks cycling through every trigger (segment entered/left, health dropped, phase
stalled, renewal in N days, NPS detractor, hand-off, seats nearly used, date field,
conditions, manual) with audiences (tiers, segments), touch models and actions (tasks
routed to owners and teams in turn, e-mails, Slack, tag updates).

Measured (each committed, as the hourly job does):

1. **cold**: the first evaluation after publishing — every playbook's trigger state is
   new, so each account matching a condition trigger today fires once: the heaviest run;
2. **warm**: the next evaluation — nothing changed, so (almost) nothing fires: the
   hourly steady state;
3. a dry run of every playbook (reads only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchkit.docs import update_section
from benchkit.engines import REPO, server_version, temporary_database
from benchkit.machine import describe
from health_bench import write_usage
from kizuna.auth.actor import Actor
from kizuna.db.session import build_engine
from kizuna.facts.catalogue import FactsCache
from kizuna.health import service as health
from kizuna.journey import service as journey
from kizuna.kit.clock import today as local_today
from kizuna.models import Account, Job, PlaybookFiring, Segment, Task, Team
from kizuna.outbox import service as outbox
from kizuna.playbook import service
from kizuna.playbook.engine import evaluate_playbooks, facts_needed
from kizuna.playbook.schemas import PlaybookCreate
from portfolio_build import SEED, Sizes, build

ZONE = "Asia/Tokyo"
RESULTS = REPO / "bench" / "results" / "playbooks.json"
BUDGET = 10.0
SYSTEM = Actor.system("bench")
console = Console()


def _task(title: str, assignee: str = "owner:csm", days: int = 7, **extra: Any) -> dict[str, Any]:
    return {"type": "create_task", "title": title, "assignee": assignee, "due_in_days": days,
            **extra}  # fmt: skip


def _rule(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    out = {"fact": fact, "op": op}
    if value is not None:
        out["value"] = value
    return out


def definitions(segments: list[str], n: int) -> list[dict[str, Any]]:
    """``n`` varied playbook definitions (deterministic)."""
    tiers = [None, "tier1", "tier2", "tier3"]
    triggers: list[dict[str, Any]] = [
        *({"type": "health_dropped", "points": p} for p in (5, 10, 15, 20)),
        {"type": "health_dropped", "points": 10, "days": 14},
        *({"type": "renewal_in", "days": d} for d in (30, 60, 90, 120, 180)),
        {"type": "phase_stalled", "phase": "onboarding"},
        {"type": "phase_stalled", "phase": "adoption", "days": 120},
        {"type": "phase_stalled", "phase": "expansion", "days": 200},
        {"type": "phase_stalled"},
        *({"type": "seats_nearly_used", "ratio": r} for r in (0.8, 0.9, 1.0)),
        *({"type": "segment_entered", "segment_id": s} for s in segments),
        *({"type": "segment_left", "segment_id": s} for s in segments),
        *(
            {
                "type": "date_field",
                "fact": "account.created_on",
                "offset_days": o,
                "anniversary": True,
            }
            for o in (-30, -60, 0)
        ),
        {"type": "nps_detractor", "max_score": 6},
        {"type": "nps_detractor", "max_score": 3},
        {"type": "handoff_received"},
        {"type": "manual"},
        *(
            {"type": "condition", "condition": c}
            for c in (
                _rule("health.score", "lte", 40),
                _rule("health.band", "eq", "red"),
                _rule("activity.call.days_since", "gte", 60),
                _rule("activity.meeting.days_since", "gte", 90),
                _rule("contact.decision_maker.count", "eq", 0),
                _rule("contact.champion.count", "eq", 0),
                {
                    "all": [
                        _rule("account.employee_count", "gte", 1000),
                        _rule("health.score", "lte", 60),
                    ]
                },
                {
                    "any": [
                        _rule("signal.nps_latest", "lte", 6),
                        _rule("health.churn_risk", "gte", 30),
                    ]
                },
                _rule("signal.days_since_touch", "gte", 45),
                _rule("signal.mrr", "gte", 500_000),
                _rule("journey.step.initial_setup", "is_false"),
                {
                    "all": [
                        _rule("journey.phase", "eq", "adoption"),
                        _rule("journey.step.habitual_use", "is_false"),
                    ]
                },
                _rule("journey.overdue", "is_true"),
                _rule("account.industry", "eq", "製造業"),
                _rule("signal.seat_activation", "lte", 0.3),
                _rule("health.change_7d", "lte", -3),
            )
        ),
    ]
    rng = random.Random(SEED)
    out = []
    for i in range(n):
        trigger = triggers[i % len(triggers)]
        tier = tiers[i % len(tiers)]
        audience: dict[str, Any] = {"segment_id": None, "condition": None}
        if tier:
            audience["condition"] = _rule("account.tier", "eq", tier)
        if i % 7 == 3:
            audience["segment_id"] = segments[i % len(segments)]
        touch = [["high_touch"], ["low_touch", "tech_touch"], [], []][i % 4]
        actions: list[dict[str, Any]] = [
            _task(f"P{i:02d}: {{account}}", ["owner:csm", "team:round_robin", "owner:sales",
                                            "team:queue"][i % 4], rng.randint(1, 30),
                  steps=["確認", "連絡", "記録"][: 1 + i % 3], description="{why}"),
        ]  # fmt: skip
        if i % 5 == 0:
            actions.append(_task(f"P{i:02d} follow-up", "owner:csm", 14))
        if trigger["type"] in ("nps_detractor", "handoff_received", "segment_left"):
            actions.append({"type": "email_owner", "subject": "{account}", "body": "{why}\n{link}"})
            actions.append({"type": "slack", "text": "{playbook}: {account}"})
        if trigger["type"] == "date_field":
            actions.append({"type": "update_field", "field": "tags", "add": ["anniversary"],
                            "remove": []})  # fmt: skip
        out.append({
            "trigger": trigger, "audience": audience, "touch_models": touch,
            "actions": actions, "cooldown_days": [0, 7, 30][i % 3],
        })  # fmt: skip
    return out


def prepare(url: str, data_dir: Path, n_playbooks: int) -> dict[str, int]:
    """Health scores, segments, events and the published playbooks (not measured)."""
    engine = build_engine(url)
    today = local_today(ZONE)
    facts: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        started = time.perf_counter()
        health.rescore_all(session, SYSTEM, data_dir=data_dir, zone=ZONE, today=today)
        console.print(f"Rescored in {time.perf_counter() - started:.1f} s")
    with Session(engine) as session, session.begin():
        segments = []
        for name, definition in (
            ("大企業", _rule("account.employee_count", "gte", 1000)),
            ("要注意", _rule("health.band", "eq", "red")),
            ("Tier 1", _rule("account.tier", "eq", "tier1")),
        ):
            segment = Segment(name=name, definition=definition, shared=True)
            session.add(segment)
            session.flush()
            segments.append(str(segment.id))
        team = session.scalar(select(Team.id).where(Team.name == "カスタマーサクセス"))
        for i, definition in enumerate(definitions(segments, n_playbooks)):
            key = f"bench_{i:02d}"
            service.create_playbook(session, SYSTEM, PlaybookCreate(
                key=key, name=f"ベンチ {i:02d}", definition=definition,
                team_id=team if i % 3 == 0 else None))  # fmt: skip
            service.publish(session, SYSTEM, key)
        ids = list(session.scalars(select(Account.id).order_by(Account.id)))
        rng = random.Random(SEED)
        now = datetime.now(UTC)
        for account_id in rng.sample(ids, 200):
            outbox.publish(session, "survey.answered", account_id,
                           {"kind": "nps", "score": rng.randint(0, 10)},
                           occurred_at=now + timedelta(seconds=1))  # fmt: skip
        for account_id in rng.sample(ids, 50):
            outbox.publish(session, "handoff.accepted", account_id, {},
                           occurred_at=now + timedelta(seconds=1))  # fmt: skip
        facts["segments"] = len(segments)
    engine.dispose()
    return facts


def measure(url: str, data_dir: Path) -> tuple[dict[str, float], dict[str, Any]]:
    engine = build_engine(url)
    today = local_today(ZONE)
    steps: dict[str, float] = {}
    facts: dict[str, Any] = {}
    for label in ("cold", "warm"):
        with Session(engine) as session, session.begin():
            # As the daily journey job does: the journey, then the playbooks in the same
            # transaction, reusing the facts the journey loaded (jobs/journey.py).
            started = time.perf_counter()
            cache = FactsCache()
            cache.ahead = facts_needed(session, cache)
            result = journey.evaluate_journey(session, SYSTEM, today=today, zone=ZONE,
                                              data_dir=data_dir, cache=cache)  # fmt: skip
            middle = time.perf_counter()
            report = evaluate_playbooks(
                session, SYSTEM, today=today, zone=ZONE, data_dir=data_dir, dry_run=False,
                now=datetime.now(UTC) + timedelta(minutes=1), origin="bench", cache=cache,
            )  # fmt: skip
            ended = time.perf_counter()
        committed = time.perf_counter()
        steps[f"{label}: evaluate_journey"] = middle - started
        steps[f"{label}: evaluate_playbooks"] = ended - middle
        steps[f"{label}: commit"] = committed - ended
        steps[f"{label}: total"] = committed - started
        facts[label] = {
            "journey_steps_completed": result.steps_completed,
            "journey_phases_advanced": result.phases_advanced,
            "playbooks": len(report.playbooks),
            "fired": report.fired,
            "tasks": report.tasks_created,
            "errors": [p.key for p in report.playbooks if p.error],
        }
        console.print(f"{label}: {steps[f'{label}: total']:.2f} s, {report.fired:,} firings, "
                      f"{report.tasks_created:,} tasks")  # fmt: skip
    with Session(engine) as session, session.begin():
        started = time.perf_counter()
        report = evaluate_playbooks(session, SYSTEM, today=today, zone=ZONE, data_dir=data_dir,
                                    dry_run=True)  # fmt: skip
        steps["dry run of every playbook"] = time.perf_counter() - started
        session.rollback()
    with Session(engine) as session:
        facts["rows"] = {
            "tasks": session.scalar(select(func.count()).select_from(Task)),
            "firings": session.scalar(select(func.count()).select_from(PlaybookFiring)),
            "notification jobs": session.scalar(
                select(func.count()).select_from(Job).where(Job.name.like("notify.%"))
            ),
        }
    engine.dispose()
    return steps, facts


def report(engine: str, version: str, sizes: dict[str, int], steps: dict[str, float],
           facts: dict[str, Any], args: argparse.Namespace) -> str:  # fmt: skip
    machine = describe(version if engine == "postgresql" else "not used")
    cold, warm = steps["cold: total"], steps["warm: total"]
    lines = [
        f"Budget: {args.playbooks} playbooks and the journey over {sizes['accounts']:,} "
        f"accounts in ≤ {BUDGET:.0f} s.",
        "",
        f"Command: `.venv/bin/python bench/playbooks_bench.py --engine {engine} "
        f"--accounts {args.accounts} --activities {args.activities} "
        f"--playbooks {args.playbooks}`",
        "",
        f"Measured: {engine} {datetime.now(UTC).date().isoformat()}.",
        "",
        f"**Machine**: {machine.cpu_model}, {machine.cpus} CPUs (`nproc`), {machine.memory} "
        f"(`free -h`), {machine.os}, Python {machine.python}, SQLite {machine.sqlite}, "
        f"PostgreSQL {machine.postgresql}.",
        "",
        f"**Data**: {sizes['accounts']:,} accounts, {sizes['activities']:,} activities, "
        f"{sizes.get('usage_rows', 0):,} usage values, {args.playbooks} published playbooks, "
        "250 domain events.",
        "",
        "| Step | Seconds | Budget |",
        "|---|---:|---|",
    ]
    for name, seconds in steps.items():
        budget = ""
        if name.endswith(": total"):
            budget = f"{BUDGET:.0f} s " + ("✓" if seconds <= BUDGET else "✗")
        lines.append(f"| {name} | {seconds:.2f} | {budget} |")
    lines += [
        "",
        f"Cold run: {facts['cold']['fired']:,} firings, {facts['cold']['tasks']:,} tasks; "
        f"warm run: {facts['warm']['fired']:,} firings, {facts['warm']['tasks']:,} tasks. "
        f"Rows after both: {facts['rows']['tasks']:,} tasks, {facts['rows']['firings']:,} "
        f"firings, {facts['rows']['notification jobs']:,} notification jobs. "
        f"Errors: {facts['cold']['errors'] or 'none'}.",
        "",
        f"Result: cold {cold:.2f} s, warm {warm:.2f} s — "
        + ("within the budget." if max(cold, warm) <= BUDGET else "over the budget."),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--playbooks", type=int, default=50)
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument("--keep", type=Path, help="build into (or reuse) this folder (SQLite)")
    args = parser.parse_args()
    with _database(args) as (url, data_dir):
        version = server_version(url)
        engine = build_engine(url)
        with Session(engine) as session:
            ids = [str(i) for i in session.scalars(select(Account.id))]
        engine.dispose()
        sizes = {"accounts": len(ids), "activities": args.activities}
        started = time.perf_counter()
        if not (data_dir / "usage").exists():
            sizes["usage_rows"] = write_usage(data_dir, ids, local_today(ZONE), SEED)
            console.print(f"Usage store: {sizes['usage_rows']:,} rows in "
                          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            prepare(url, data_dir, args.playbooks)
        console.rule(f"[bold]{version}")
        steps, facts = measure(url, data_dir)
    table = Table(title=f"Playbooks benchmark ({version})")
    table.add_column("Step")
    table.add_column("Seconds", justify="right")
    for name, seconds in steps.items():
        table.add_row(name, f"{seconds:.2f}")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = {"engine": args.engine, "server": version, "sizes": sizes, "steps": steps,
            "facts": facts}  # fmt: skip
    RESULTS.write_text(json.dumps(data, indent=2, default=str))
    body = report(args.engine, version, sizes, steps, facts, args)
    if not args.no_docs:
        update_section("Playbooks and the journey (issue 7: C5, C7)", f"playbooks-{args.engine}",
                       body)  # fmt: skip
    console.print(body)


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[tuple[str, Path]]:
    if args.keep is not None:  # for profiling: build once, then reuse (never measured twice)
        args.keep.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{args.keep / 'bench.db'}"
        if not (args.keep / "bench.db").exists():
            build(url, Sizes(args.accounts, args.activities), seed=SEED, run_analyze=True,
                  console=console)  # fmt: skip
        yield url, args.keep / "data"
        return
    with temporary_database(args.engine) as url, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        built = build(url, Sizes(args.accounts, args.activities), seed=SEED,
                      run_analyze=True, console=console)  # fmt: skip
        console.print(f"Built {sum(built.counts.values()):,} rows in "
                      f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        yield url, Path(folder)


if __name__ == "__main__":
    main()
    sys.exit(0)
