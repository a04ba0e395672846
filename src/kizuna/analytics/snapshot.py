"""Compute the metric catalogue: the one place where metric expressions are executed.

:func:`compute` takes the raw event store (an engine table), the identity and contract
context (Arrow tables) and the previous results, and returns every metric value per
account and period, plus the daily roll-up the next run starts from.

**Incremental**: with ``since`` (the first local day whose events changed, or whose
values must move on, such as yesterday's "current period"), only periods that end on or
after ``since`` are recomputed: the raw events are read from the start of the earliest
such period, the daily roll-up of earlier days and the values of earlier periods are
taken from ``previous``. Every kind is causal (a period's value depends only on events up
to its end), which is what makes the result equal to a full recompute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.analytics.connect import Engine
from kizuna.analytics.metrics import KINDS, AggregateFunction, Inputs, MetricSpec, with_defaults
from kizuna.analytics.sources import (
    ACCOUNT_SCHEMA,
    GRAINS,
    IDENTITY_SCHEMA,
    SEAT_SCHEMA,
    VALUE_SCHEMA,
    Grain,
    calendar,
    daily_actors,
    daily_rollup,
    daily_schema,
    period_rows,
    period_start,
    resolve_events,
    truncate,
)


@dataclass(frozen=True)
class Context:
    """Who is who and who holds what (from the database, as Arrow tables).

    ``users``/``groups``: key (user id / group id), account_id. ``accounts``: account_id,
    start_on (tenure start). ``seats``: account_id, start_on, end_on, quantity.
    """

    users: pa.Table
    groups: pa.Table
    accounts: pa.Table
    seats: pa.Table

    @classmethod
    def empty(cls) -> Context:
        return cls(
            IDENTITY_SCHEMA.empty_table(),
            IDENTITY_SCHEMA.empty_table(),
            ACCOUNT_SCHEMA.empty_table(),
            SEAT_SCHEMA.empty_table(),
        )


@dataclass(frozen=True)
class Snapshot:
    """``values``: metric, grain, account_id, period, value, sorted by grain, account,
    metric and period. ``daily``: the roll-up (``sources.daily_schema`` of the properties
    the catalogue sums), in no particular order. Metric, grain and account id
    columns come dictionary-encoded."""

    values: pa.Table
    daily: pa.Table


def cutoffs(since: date, grains: Sequence[Grain]) -> dict[Grain, date]:
    """The first period start of each grain that an incremental run recomputes."""
    return {g: period_start(since, g) for g in grains}


def compute(
    engine: Engine,
    specs: Sequence[MetricSpec],
    raw_events: ir.Table,
    context: Context,
    *,
    today: date,
    utc_offset_seconds: int,
    since: date | None = None,
    previous: Snapshot | None = None,
) -> Snapshot:
    """Every enabled metric of ``specs`` for every account and period up to ``today``.

    ``since=None`` (or no ``previous``) computes everything from scratch.
    """
    wanted = _wanted_properties(specs)
    properties = sorted(wanted)
    if previous is not None and not set(daily_schema(properties).names) <= set(
        previous.daily.column_names
    ):
        previous = None  # a roll-up without a property sum this catalogue reads
    if previous is None:
        since = None
    grains = sorted({g for s in specs for g in s.grains}, key=GRAINS.index)
    cut = cutoffs(since, grains) if since is not None else {}
    scan_start = min(cut.values()) if cut else None

    keys = _Keys(context)
    users = engine.from_arrow("users", keys.encode(context.users.cast(IDENTITY_SCHEMA)))
    groups = engine.from_arrow("groups", keys.encode(context.groups.cast(IDENTITY_SCHEMA)))
    # Not materialised: the roll-up and the per-day actors each read the store once
    # (10 M resolved rows would cost as much to write as to group).
    events = resolve_events(
        raw_events,
        users,
        groups,
        utc_offset_seconds=utc_offset_seconds,
        since=scan_start,
        properties=wanted,
    )
    # The distinct (account, day, actor) rows that ``active_users`` reads; staged only
    # when some kind reads the events at all.
    reads_events = any(KINDS[s.kind].reads == "events" for s in specs)
    actors = (
        engine.stage("actors", daily_actors(events, engine.distinct_key))
        if reads_events
        else events
    )
    daily = daily_rollup(events, properties)
    if previous is not None and scan_start is not None:
        kept = previous.daily.select(daily_schema(properties).names)
        kept = kept.filter(pc.less(kept["day"], scan_start)).cast(daily_schema(properties))
        daily = daily.union(engine.from_arrow("old_daily", keys.encode(kept)))
    daily = engine.stage("daily", daily)
    per_day = engine.stage(
        "per_day", daily.group_by(["account_id", "day"]).aggregate(n=daily.n.sum())
    )

    shared = _Shared(
        engine,
        today,
        events,
        actors,
        daily,
        per_day,
        engine.from_arrow("seats", keys.encode(context.seats.cast(SEAT_SCHEMA))),
        engine.from_arrow("accounts", keys.encode(context.accounts.cast(ACCOUNT_SCHEMA))),
        _calendars(engine, daily, grains, cut, today),
    )
    kept_values = keys.encode(_kept_values(previous, specs, cut)) if since is not None else None
    aggregated = [s for s in specs if KINDS[s.kind].aggregate is not None]
    other = [s for s in specs if KINDS[s.kind].function is not None]
    base = [s for s in other if KINDS[s.kind].reads != "series"]
    derived = [s for s in other if KINDS[s.kind].reads == "series"]
    # Each metric that is not a daily aggregate is materialised on its own (DuckDB runs one
    # big UNION of them slower than the parts); the daily aggregates of a grain share one
    # grouping. Then the parts are concatenated.
    fresh = [
        *(shared.aggregates(aggregated, g) for g in grains),
        *(
            engine.stage(f"m_{s.key}_{g}", shared.metric(s, g, None))
            for s in base
            for g in s.grains
        ),
    ]
    parts = list(fresh)
    if derived:
        history = list(fresh)
        if kept_values is not None:
            history.append(engine.from_arrow("old_values", kept_values))
        series = engine.stage("series", _union(history, engine))
        parts += [shared.metric(s, g, series) for s in derived for g in s.grains]
    if kept_values is not None:
        parts.append(engine.from_arrow("kept_values", kept_values))
    codes = _MetricCodes(sorted({s.key for s in specs}))
    values = engine.to_arrow(codes.ordered(_union(parts, engine), engine))
    rollup = engine.to_arrow(daily)  # in no order: its readers filter or read it whole
    return Snapshot(values=codes.decode(values, keys), daily=keys.decode(rollup))


class _MetricCodes:
    """Metric keys and grains as small integers while sorting 2–3 M values, and as
    dictionary-encoded columns afterwards (no string per row is ever built)."""

    def __init__(self, metrics: Sequence[str]) -> None:
        self.metrics = pa.array(metrics, pa.string())  # sorted: code order is key order
        self.grains = pa.array(GRAINS, pa.string())

    def ordered(self, values: ir.Table, engine: Engine) -> ir.Table:
        """``values`` with integer ``metric``/``grain``, sorted by grain, account, metric
        and period (how the value files keep them)."""
        pairs = [(m, g) for m in self.metrics.to_pylist() for g in GRAINS]
        table = pa.table(
            {
                "c_metric": pa.array([m for m, _ in pairs], pa.string()),
                "c_grain": pa.array([g for _, g in pairs], pa.string()),
                "metric_code": pa.array(
                    [i for i in range(len(self.metrics)) for _ in GRAINS], pa.int32()
                ),
                "grain_code": pa.array([GRAINS.index(g) for _, g in pairs], pa.int8()),
            }
        )
        lookup = engine.from_arrow("metric_codes", table)
        joined = values.join(
            lookup, [values.metric == lookup.c_metric, values.grain == lookup.c_grain]
        )
        out = joined.select(
            metric=joined.metric_code,
            grain=joined.grain_code,
            account_id=joined.account_id,
            period=joined.period,
            value=joined.value,
        )
        return out.order_by(["grain", "account_id", "metric", "period"])

    def decode(self, values: pa.Table, keys: _Keys) -> pa.Table:
        metric = pa.DictionaryArray.from_arrays(values["metric"].combine_chunks(), self.metrics)
        grain = pa.DictionaryArray.from_arrays(values["grain"].combine_chunks(), self.grains)
        return keys.decode(values.set_column(0, "metric", metric).set_column(1, "grain", grain))


class _Keys:
    """Account ids (text) as dense integers inside the engine: joins and groupings on
    int32 are much cheaper than on 36-character UUID strings."""

    def __init__(self, context: Context) -> None:
        ids = pa.concat_arrays(
            [
                t["account_id"].combine_chunks().cast(pa.string())
                for t in (context.users, context.groups, context.accounts, context.seats)
            ]
        )
        unique = pc.unique(ids.drop_null())
        # Sorted, so that ordering by the integer is ordering by the id.
        self.ids = unique.take(pc.array_sort_indices(unique))

    def encode(self, table: pa.Table) -> pa.Table:
        """``account_id`` as its integer; rows of unknown accounts are dropped."""
        index = pc.index_in(table["account_id"], value_set=self.ids).cast(pa.int32())
        position = table.schema.get_field_index("account_id")
        encoded = table.set_column(position, "account_id", index)
        return encoded.filter(pc.is_valid(encoded["account_id"]))

    def decode(self, table: pa.Table) -> pa.Table:
        """``account_id`` back to the id, dictionary-encoded (the integer is the index)."""
        position = table.schema.get_field_index("account_id")
        indices = table["account_id"].combine_chunks().cast(pa.int32())
        ids = pa.DictionaryArray.from_arrays(indices, self.ids)
        return table.set_column(position, "account_id", ids)


def _wanted_properties(specs: Sequence[MetricSpec]) -> dict[str, list[str] | None]:
    """Numeric properties the ``sum`` metrics read, with the events they are read on
    (None: every event)."""
    wanted: dict[str, list[str] | None] = {}
    for spec in specs:
        if spec.kind != "sum":
            continue
        name, events = str(spec.params["property"]), spec.params.get("events") or None
        if name in wanted and (wanted[name] is None or events is None):
            wanted[name] = None
        elif events is not None:
            wanted[name] = sorted({*(wanted.get(name) or []), *events})
        else:
            wanted[name] = None
    return wanted


@dataclass(frozen=True)
class _Shared:
    engine: Engine
    today: date
    events: ir.Table
    actors: ir.Table
    daily: ir.Table
    per_day: ir.Table
    seats: ir.Table
    accounts: ir.Table
    calendars: Mapping[Grain, ir.Table]

    def metric(self, spec: MetricSpec, grain: Grain, series: ir.Table | None) -> ir.Table:
        """One metric at one grain, on the full calendar of the periods being computed."""
        kind = KINDS[spec.kind]
        calendar = self.calendars[grain]
        if series is None:
            series = _empty_values(self.engine)
        inputs = Inputs(
            grain=grain,
            today=self.today,
            calendar=calendar,
            events=self.events,
            actors=self.actors,
            daily=self.daily,
            per_day=self.per_day,
            series=series.filter(series.grain == grain),
            seats=self.seats,
            accounts=self.accounts,
        )
        assert kind.function is not None  # daily aggregates go through ``aggregates``
        out = kind.function(inputs, with_defaults(spec))
        out = out.rename(v_account="account_id", v_period="period")
        joined = calendar.left_join(
            out, [calendar.account_id == out.v_account, calendar.period == out.v_period]
        )
        value = joined.value if kind.fill is None else joined.value.fill_null(kind.fill)
        return joined.select(
            metric=ibis.literal(spec.key, "string"),
            grain=ibis.literal(grain, "string"),
            account_id=joined.account_id,
            period=joined.period,
            value=value.cast("float64"),
        )

    def aggregates(self, specs: Sequence[MetricSpec], grain: Grain) -> ir.Table:
        """Every daily-aggregate metric of ``grain`` from one grouping of the roll-up, on
        the grain's calendar, as metric values (one staged table per grain)."""
        specs = [s for s in specs if grain in s.grains]
        if not specs:
            return _empty_values(self.engine)
        daily = self.daily.mutate(period=truncate(self.daily.day, grain))
        columns = {
            f"v{i}": _aggregate_of(s)(daily, with_defaults(s)).cast("float64")
            for i, s in enumerate(specs)
        }
        wide = daily.group_by(["account_id", "period"]).aggregate(**columns)
        wide = wide.rename(v_account="account_id", v_period="period")
        calendar = self.calendars[grain]
        joined = calendar.left_join(
            wide, [calendar.account_id == wide.v_account, calendar.period == wide.v_period]
        )
        staged = self.engine.stage(
            f"aggregates_{grain}", joined.select("account_id", "period", *columns)
        )
        parts = []
        for i, spec in enumerate(specs):
            fill = KINDS[spec.kind].fill
            value = staged[f"v{i}"]
            parts.append(
                staged.select(
                    metric=ibis.literal(spec.key, "string"),
                    grain=ibis.literal(grain, "string"),
                    account_id=staged.account_id,
                    period=staged.period,
                    value=value if fill is None else value.fill_null(fill),
                )
            )
        return _union(parts, self.engine)


def _aggregate_of(spec: MetricSpec) -> AggregateFunction:
    aggregate = KINDS[spec.kind].aggregate
    assert aggregate is not None
    return aggregate


def _calendars(
    engine: Engine, daily: ir.Table, grains: Sequence[Grain], cut: Mapping[Grain, date], today: date
) -> dict[Grain, ir.Table]:
    """Per grain, the account × period rows to compute (from each account's first active
    period, and no earlier than the grain's cutoff)."""
    earliest = engine.to_arrow(daily.aggregate(first=daily.day.min()))["first"][0].as_py()
    out: dict[Grain, ir.Table] = {}
    for grain in grains:
        first = max(d for d in (earliest, cut.get(grain)) if d is not None) if earliest else today
        table = engine.from_arrow(f"periods_{grain}", period_rows(first, today, grain))
        out[grain] = engine.stage(f"calendar_{grain}", calendar(daily, table, grain))
    return out


def _kept_values(
    previous: Snapshot | None, specs: Sequence[MetricSpec], cut: Mapping[Grain, date]
) -> pa.Table:
    """Previous values of the catalogue's metrics in periods before each grain's cutoff."""
    if previous is None:
        return VALUE_SCHEMA.empty_table()
    values = previous.values.cast(VALUE_SCHEMA)
    keep = pc.is_in(values["metric"], pa.array([s.key for s in specs], pa.string()))
    by_grain = None
    for grain, cutoff in cut.items():
        mask = pc.and_(pc.equal(values["grain"], grain), pc.less(values["period"], cutoff))
        by_grain = mask if by_grain is None else pc.or_(by_grain, mask)
    if by_grain is None:
        return VALUE_SCHEMA.empty_table()
    return values.filter(pc.and_(keep, by_grain))


def _union(tables: Sequence[ir.Table], engine: Engine) -> ir.Table:
    if not tables:
        return _empty_values(engine)
    result = tables[0]
    for table in tables[1:]:
        result = result.union(table)
    return result


_INTERNAL_VALUES = VALUE_SCHEMA.set(
    VALUE_SCHEMA.get_field_index("account_id"), pa.field("account_id", pa.int32())
)


def _empty_values(engine: Engine) -> ir.Table:
    return engine.from_arrow("no_values", _INTERNAL_VALUES.empty_table())
