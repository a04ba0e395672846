"""Compute the metric catalogue over the event store (``kizuna metrics compute``, job
``usage.compute_metrics``).

Three steps so that no database transaction stays open while the engine works:
:func:`plan` (read the catalogue, identities, seats and what changed), :func:`execute`
(run the engine, write the value files) and :func:`record` (latest values and state).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.analytics.connect import EngineName, connect
from kizuna.analytics.metrics import MetricSpec, references
from kizuna.analytics.snapshot import Context, Snapshot, evaluate, reduce
from kizuna.analytics.sources import EVENT_COLUMNS, EVENT_SCHEMA, GRAINS, Grain, period_start
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.bulk import insert_rows
from kizuna.kit.clock import today as local_today
from kizuna.kit.clock import utc_now
from kizuna.models.account import Account
from kizuna.models.enums import ProductKind, ProductUnit
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.usage import UsageGroup, UsageUser
from kizuna.models.usage_metric import UsageMetricLatest
from kizuna.usage import pipeline
from kizuna.usage.catalogue import all_metrics, spec_of
from kizuna.usage.store import EventStore
from kizuna.usage.values import ValueStore


@dataclass(frozen=True)
class Options:
    data_dir: Path
    zone: str = "Asia/Tokyo"
    engine: EngineName = "duckdb"
    spark_master: str = "local[*]"
    full: bool = False
    since: date | None = None  # recompute from this local day at least
    today: date | None = None  # default: today in ``zone``


@dataclass(frozen=True)
class Plan:
    specs: tuple[MetricSpec, ...]
    metric_ids: dict[str, str]
    fingerprint: str
    since: date | None  # None: full recompute
    today: date
    utc_offset_seconds: int
    context: Context
    events_marker: int


@dataclass(frozen=True)
class ComputeResult:
    metrics: int
    values: int
    accounts: int
    full: bool
    since: date | None
    seconds: float


def plan(session: Session, actor: Actor, options: Options) -> Plan:
    actor.require(Permission.METRIC_ADMIN)
    metrics = [m for m in all_metrics(session) if m.enabled]
    enabled = {m.key for m in metrics}
    specs = tuple(spec_of(m) for m in metrics if all(r in enabled for r in references(spec_of(m))))
    fingerprint = hashlib.sha256(
        json.dumps(
            [[s.key, s.kind, dict(s.params), list(s.grains)] for s in specs], sort_keys=True
        ).encode()
    ).hexdigest()
    state = pipeline.state(session)
    today = options.today or local_today(options.zone)
    since = _since(state.dirty_since, state.computed_today, options)
    if (
        options.full
        or fingerprint != state.catalogue_hash
        or not ValueStore.under(options.data_dir).exists()
    ):
        since = None
    offset = datetime.now(ZoneInfo(options.zone)).utcoffset() or timedelta(0)
    return Plan(
        specs=specs,
        metric_ids={m.key: str(m.id) for m in metrics},
        fingerprint=fingerprint,
        since=since,
        today=today,
        utc_offset_seconds=int(offset.total_seconds()),
        context=_context(session),
        events_marker=state.events_stored,
    )


def _since(dirty: date | None, computed_today: date | None, options: Options) -> date | None:
    """The first local day to recompute: the earliest new event's UTC day minus one (any
    zone's local day of it is at most one day earlier), or the last run's today."""
    candidates = [d for d in (computed_today, options.since) if d is not None]
    if dirty is not None:
        candidates.append(dirty - timedelta(days=1))
    return min(candidates) if candidates else None


def execute(plan: Plan, options: Options) -> Snapshot:
    """Run the engine over the store and replace the value files."""
    store, values = EventStore.under(options.data_dir), ValueStore.under(options.data_dir)
    previous = values.previous() if plan.since is not None else None
    with (
        store.reading(),
        connect(options.engine, spark_master=options.spark_master) as engine,
        ThreadPoolExecutor(1) as background,
        values.replacing() as writing,
    ):
        files = store.files(_months_from(store, plan.since))
        if files:
            raw = engine.read_parquet("events", files, EVENT_COLUMNS)
        else:
            raw = engine.from_arrow("events", EVENT_SCHEMA.empty_table())
        # The engine computes the activity words in the background while the roll-up is
        # written and its metrics computed.
        reduced = reduce(
            engine,
            plan.specs,
            raw,
            plan.context,
            utc_offset_seconds=plan.utc_offset_seconds,
            since=plan.since,
            previous=previous,
            background=background,
        )
        daily = reduced.daily_table()
        writing.daily(daily)
        computed = evaluate(plan.specs, reduced, plan.context, plan.today)
        actors = reduced.actors_table()
        writing.actors(actors)
        writing.values(computed)
    return Snapshot(computed, daily, actors)


def _months_from(store: EventStore, since: date | None) -> list[str] | None:
    if since is None:
        return None
    first = (since.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # zone margin
    return [m for m in store.months() if m >= first]


def record(session: Session, plan: Plan, snapshot: Snapshot, seconds: float) -> ComputeResult:
    """Replace the latest values and move the computation state on."""
    latest = _latest(snapshot.values, plan.today)
    session.execute(delete(UsageMetricLatest))
    rows = [
        {
            "metric_id": plan.metric_ids[r["metric"]],
            "grain": r["grain"],
            "account_id": r["account_id"],
            "period_start": r["period"],
            "value": r["value"],
            "previous_value": r["previous"],
        }
        for r in latest.to_pylist()
        if r["metric"] in plan.metric_ids
    ]
    known = {str(a) for a in session.scalars(select(Account.id))}
    rows = [_typed(r) for r in rows if r["account_id"] in known]
    # One driver executemany / COPY (``db.bulk``): tens of thousands of rows.
    insert_rows(session, UsageMetricLatest.__table__, rows)
    state = pipeline.state(session)
    if state.events_stored == plan.events_marker:
        state.dirty_since = None  # nothing was stored while we computed
    state.computed_today = plan.today
    state.catalogue_hash = plan.fingerprint
    state.last_run_at = utc_now()
    state.last_run_ms = int(seconds * 1000)
    session.flush()
    return ComputeResult(
        metrics=len(plan.specs),
        values=snapshot.values.num_rows,
        accounts=len({r["account_id"] for r in rows}),
        full=plan.since is None,
        since=plan.since,
        seconds=seconds,
    )


def run(session: Session, actor: Actor, options: Options) -> ComputeResult:
    """plan → execute → record in the caller's session, for callers that own two
    transactions around it (see ``cli`` and ``jobs``)."""
    with session.begin():
        chosen = plan(session, actor, options)
    started = time.perf_counter()
    snapshot = execute(chosen, options)
    with session.begin():
        return record(session, chosen, snapshot, time.perf_counter() - started)


def _latest(values: pa.Table, today: date) -> pa.Table:
    """Per metric, grain and account: the last complete period's value and the one
    before (the current period is partial: "this week so far" would look like a drop).
    Periods are dense from each account's first one, so these are the two periods just
    before today's."""
    last = {g: _step_back(period_start(today, g), g) for g in GRAINS}
    before = {g: _step_back(last[g], g) for g in GRAINS}
    bounds = pa.table(
        {
            "g": list(GRAINS),
            "last": pa.array([last[g] for g in GRAINS], pa.date32()),
            "before": pa.array([before[g] for g in GRAINS], pa.date32()),
        }
    )
    con = duckdb.connect()
    try:
        con.register("v", values)
        con.register("b", bounds)
        return con.sql(
            """SELECT v.metric, v.grain, v.account_id, v.period, v.value, p.value AS previous
               FROM v JOIN b ON b.g = v.grain AND v.period = b.last
               LEFT JOIN v p ON p.metric = v.metric AND p.grain = v.grain
                            AND p.account_id = v.account_id AND p.period = b.before"""
        ).to_arrow_table()
    finally:
        con.close()


def _step_back(start: date, grain: Grain) -> date:
    """The start of the period before the one starting on ``start``."""
    return period_start(start - timedelta(days=1), grain)


def _typed(row: dict[str, object]) -> dict[str, object]:
    return {
        **row,
        "metric_id": uuid.UUID(str(row["metric_id"])),
        "account_id": uuid.UUID(str(row["account_id"])),
    }


def _context(session: Session) -> Context:
    users = session.execute(
        select(UsageUser.user_id, UsageUser.account_id).where(UsageUser.account_id.is_not(None))
    ).all()
    groups = session.execute(
        select(UsageGroup.group_id, UsageGroup.account_id).where(UsageGroup.account_id.is_not(None))
    ).all()
    starts = session.execute(
        select(Account.id, Account.created_at, func.min(Subscription.start_on))
        .outerjoin(Subscription, Subscription.account_id == Account.id)
        .group_by(Account.id, Account.created_at)
    ).all()
    seats = session.execute(
        select(
            Subscription.account_id,
            Subscription.start_on,
            Subscription.end_on,
            Subscription.quantity,
        )
        .join(Product, Product.id == Subscription.product_id)
        .where(Product.unit == ProductUnit.SEAT, Product.kind == ProductKind.BASE_PLAN)
    ).all()
    return Context(
        users=pa.table({"key": [r[0] for r in users], "account_id": [str(r[1]) for r in users]}),
        groups=pa.table({"key": [r[0] for r in groups], "account_id": [str(r[1]) for r in groups]}),
        accounts=pa.table(
            {
                "account_id": [str(r[0]) for r in starts],
                "start_on": pa.array([r[2] or r[1].date() for r in starts], pa.date32()),
            }
        ),
        seats=pa.table(
            {
                "account_id": [str(r[0]) for r in seats],
                "start_on": pa.array([r[1] for r in seats], pa.date32()),
                "end_on": pa.array([r[2] for r in seats], pa.date32()),
                "quantity": pa.array([r[3] for r in seats], pa.int64()),
            }
        ),
    )
