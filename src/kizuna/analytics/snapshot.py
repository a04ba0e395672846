"""Compute the metric catalogue: the one place where metric expressions are executed.

:func:`compute` takes the raw event store (an engine table), the identity and contract
context (Arrow tables) and the previous results, and returns every metric value per
account and period, plus what the next run starts from.

Two halves. The engine (DuckDB, or Spark for event volumes beyond one machine) reads the
events and reduces them, through the portable expressions of ``sources``, to two compact
tables: the daily roll-up (account, day, event) and the actors' activity words (account,
actor, 63 days as bits). Every kind is then computed from those on dense per-account day
arrays (``grid``, numpy): that half works at the size of the output (accounts × days),
where array arithmetic is much faster than joins, windows and self-joins in SQL, and it is
one implementation whichever engine reduced the events.

**Incremental**: with ``since`` (the first local day whose events changed) and
``previous``, the engine reads the events from ``since`` on only; the roll-up and the
words of earlier days come from ``previous``. The values of every period are then
computed again from them, which is cheap at that scale and equal, by construction, to a
full computation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import date

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.analytics.connect import Engine
from kizuna.analytics.grid import (
    BLOCK,
    Block,
    Frame,
    Holdings,
    Names,
    Output,
    Periods,
    Rows,
    Span,
    Words,
    as_filter,
    day_number,
    day_numbers,
)
from kizuna.analytics.metrics import KINDS, MetricSpec, with_defaults
from kizuna.analytics.sources import (
    ACCOUNT_SCHEMA,
    GRAINS,
    IDENTITY_SCHEMA,
    SEAT_SCHEMA,
    WORD_DAYS,
    WORD_ORIGIN,
    Grain,
    actor_words,
    daily_rollup,
    daily_schema,
    resolve_events,
)

ACTOR_KEY = b"kizuna.actor_key"  # schema metadata of the words: what ``actor`` holds


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
    metric and period; metric, grain and account id come dictionary-encoded. ``daily``:
    the roll-up (``sources.daily_schema`` of the properties the catalogue sums), in no
    particular order. ``actors``: the activity words (``events``: the event filter of the
    ``active_users`` metrics they serve, as a JSON list, [] for every event; account_id,
    actor, word, bits), sorted by filter, account, actor and word."""

    values: pa.Table
    daily: pa.Table
    actors: pa.Table


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
    """Every enabled metric of ``specs`` for every account and period up to ``today``:
    :func:`reduce`, then :func:`evaluate`.

    ``since=None`` (or no ``previous``, or one that lacks what this catalogue reads)
    computes everything from the events.
    """
    reduced = reduce(
        engine,
        specs,
        raw_events,
        context,
        utc_offset_seconds=utc_offset_seconds,
        since=since,
        previous=previous,
    )
    daily, actors = reduced.history()
    return Snapshot(evaluate(specs, reduced, context, today), daily, actors)


class Reduced:
    """The engine's half of a computation: the roll-up (account ids as integers) and the
    activity words per event filter, ready for :func:`evaluate`. The words may still be
    on their way (``pending``): they are waited for when first read, so that the roll-up's
    metrics are computed meanwhile."""

    def __init__(
        self,
        daily: pa.Table,
        words: Mapping[Names, _SortedWords] | Future[dict[Names, _SortedWords]],
        keys: _Keys,
        actor_key: str,
    ) -> None:
        self.daily = daily
        self.keys = keys
        self.actor_key = actor_key
        self._words = words

    @property
    def words(self) -> Mapping[Names, _SortedWords]:
        if isinstance(self._words, Future):
            self._words = self._words.result()
        return self._words

    def history(self) -> tuple[pa.Table, pa.Table]:
        """What the next incremental run starts from: ``Snapshot.daily`` and
        ``Snapshot.actors``."""
        return self.daily_table(), self.actors_table()

    def daily_table(self) -> pa.Table:
        return self.keys.decode(self.daily)

    def actors_table(self) -> pa.Table:
        return _words_table(self.words, self.keys, self.actor_key)


def reduce(
    engine: Engine,
    specs: Sequence[MetricSpec],
    raw_events: ir.Table,
    context: Context,
    *,
    utc_offset_seconds: int,
    since: date | None = None,
    previous: Snapshot | None = None,
    background: Executor | None = None,
) -> Reduced:
    """Read the events (from ``since`` on, the rest from ``previous``) and reduce them to
    the roll-up and the activity words on ``engine``. With ``background``, the words are
    computed there while the caller goes on (``engine`` must stay open until they are
    read)."""
    wanted = _wanted_properties(specs)
    properties = sorted(wanted)
    filters = sorted(
        {as_filter(s.params.get("events")) for s in specs if KINDS[s.kind].reads == "actors"}
    )
    if previous is not None and not _continues(previous, properties, filters, engine.actor_key):
        previous = None
    if previous is None or since is None:
        previous, since = None, None

    keys = _Keys(context)
    users = engine.from_arrow("users", keys.encode(context.users.cast(IDENTITY_SCHEMA)))
    groups = engine.from_arrow("groups", keys.encode(context.groups.cast(IDENTITY_SCHEMA)))
    events = resolve_events(
        raw_events,
        users,
        groups,
        utc_offset_seconds=utc_offset_seconds,
        since=since,
        properties=wanted,
    )
    daily = engine.to_arrow(daily_rollup(events, properties))
    if previous is not None and since is not None:
        kept = previous.daily.select(daily_schema(properties).names)
        kept = keys.encode(kept.filter(pc.less(kept["day"], since)))
        daily = pa.concat_tables([daily, kept.cast(daily.schema)])
    old_actors = keys.encode(previous.actors) if previous is not None else None

    def words() -> dict[Names, _SortedWords]:
        out = {}
        for names in filters:
            expr = actor_words(_named(events, names), engine.distinct_key, engine.day_bits)
            table = engine.to_arrow(expr)
            if old_actors is not None and since is not None:
                old = _words_of(old_actors, names, since)
                table = pa.concat_tables([table, old.cast(table.schema)])
            out[names] = _merge_words(table)
        return out

    pending = background.submit(words) if background is not None else words()
    return Reduced(daily, pending, keys, engine.actor_key)


def _named(events: ir.Table, names: Names) -> ir.Table:
    return events.filter(events.event.isin(list(names))) if names else events


def _filter_key(names: Names) -> str:
    return json.dumps(list(names), ensure_ascii=False)


def _continues(
    previous: Snapshot, properties: Sequence[str], filters: Sequence[Names], actor_key: str
) -> bool:
    """Whether ``previous`` holds what an incremental run of this catalogue reads: the
    roll-up with every summed property, and words of every filter, keyed as this
    engine keys them."""
    if not set(daily_schema(properties).names) <= set(previous.daily.column_names):
        return False
    if not filters or not previous.daily.num_rows:
        return True
    metadata = previous.actors.schema.metadata or {}
    if metadata.get(ACTOR_KEY) != actor_key.encode():
        return False
    stored = set(pc.unique(previous.actors["events"]).to_pylist())
    return all(_filter_key(names) in stored for names in filters)


def _words_of(actors: pa.Table, names: Names, since: date) -> pa.Table:
    """The stored words of one filter, with the days from ``since`` on cleared."""
    table = actors.filter(pc.equal(actors["events"], _filter_key(names))).drop_columns("events")
    word, bit = divmod(day_number(since) - WORD_ORIGIN, WORD_DAYS)
    words = table["word"].to_numpy()
    bits = table["bits"].to_numpy()
    kept = np.where(words < word, bits, np.where(words == word, bits & ((1 << bit) - 1), 0))
    table = table.set_column(table.schema.get_field_index("bits"), "bits", pa.array(kept))
    return table.filter(pa.array(kept != 0))


@dataclass(frozen=True)
class _SortedWords:
    """Words sorted by account, actor and word, one row per (account, actor, word):
    ``table`` and its columns as arrays, with ``pair`` numbering the (account, actor)
    pairs from 0."""

    table: pa.Table
    account: np.ndarray
    pair: np.ndarray
    word: np.ndarray
    bits: np.ndarray


def _merge_words(table: pa.Table) -> _SortedWords:
    """Sort the words and OR together rows of one (account, actor, word) (an incremental
    run's new words and the stored ones of the same 63 days)."""
    table = table.combine_chunks()
    if not table.num_rows:
        empty = np.zeros(0, np.int64)
        return _SortedWords(table, empty, empty, empty, empty)
    account = table["account_id"].to_numpy().astype(np.int64)
    actor_column = table["actor"]
    if pa.types.is_string(actor_column.type) or pa.types.is_large_string(actor_column.type):
        actor = pc.dictionary_encode(actor_column).combine_chunks().indices.to_numpy()
    else:
        actor = actor_column.to_numpy()
    word = table["word"].to_numpy().astype(np.int64)
    order = np.lexsort((word, actor, account))
    account, actor, word = account[order], actor[order], word[order]
    bits = table["bits"].to_numpy()[order]
    new_pair = np.r_[True, (account[1:] != account[:-1]) | (actor[1:] != actor[:-1])]
    new_row = new_pair | np.r_[True, word[1:] != word[:-1]]
    starts = np.flatnonzero(new_row)
    if len(starts) < len(order):
        bits = np.bitwise_or.reduceat(bits, starts)
        order, account, word, new_pair = (
            order[starts],
            account[starts],
            word[starts],
            new_pair[starts],
        )
    table = table.take(pa.array(order))
    table = table.set_column(table.schema.get_field_index("bits"), "bits", pa.array(bits))
    return _SortedWords(table, account, np.cumsum(new_pair) - 1, word, bits)


def _words_table(words: Mapping[Names, _SortedWords], keys: _Keys, actor_key: str) -> pa.Table:
    """The words to keep for the next run, one filter after another."""
    parts = [
        keys.decode(w.table).add_column(
            0, "events", pa.array([_filter_key(names)] * w.table.num_rows, pa.string())
        )
        for names, w in sorted(words.items())
    ]
    if not parts:
        return no_actors(actor_key)
    table = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    return table.replace_schema_metadata({ACTOR_KEY: actor_key.encode()})


def no_actors(actor_key: str = "text") -> pa.Table:
    """An empty ``Snapshot.actors`` (a catalogue without active-users metrics)."""
    table = pa.table(
        {
            "events": pa.array([], pa.string()),
            "account_id": pa.array([], pa.string()),
            "actor": pa.array([], pa.string()),
            "word": pa.array([], pa.int32()),
            "bits": pa.array([], pa.int64()),
        }
    )
    return table.replace_schema_metadata({ACTOR_KEY: actor_key.encode()})


def evaluate(
    specs: Sequence[MetricSpec], reduced: Reduced, context: Context, today: date
) -> pa.Table:
    """Every metric of ``specs`` from the roll-up and the words, block by block of
    accounts: ``Snapshot.values``."""
    daily, keys = reduced.daily, reduced.keys
    metrics = pa.array(sorted({s.key for s in specs}), pa.string())
    output = Output()
    if not daily.num_rows or not specs:
        return output.table(metrics, keys.ids)
    first = pc.min(daily["day"]).as_py()
    span = Span.covering(first, today)
    account = daily["account_id"].to_numpy().astype(np.int64)
    grains = [g for g in GRAINS if any(g in s.grains for s in specs)]
    periods = {g: Periods.of(g, first, today, span) for g in grains}
    day = day_numbers(daily["day"]) - span.origin
    encoded = pc.dictionary_encode(daily["event"]).combine_chunks()
    names = encoded.dictionary.to_pylist()
    columns = {
        c: daily[c].fill_null(0).to_numpy().astype(np.float64)
        for c in daily.column_names
        if c.startswith("prop_")
    }
    inside = day < span.days
    rows = Rows(
        account[inside],
        day[inside],
        encoded.indices.to_numpy()[inside],
        daily["n"].to_numpy()[inside].astype(np.float64),
        {c: v[inside] for c, v in columns.items()},
        names,
    )
    present = np.flatnonzero(np.bincount(rows.account, minlength=len(keys.ids)))
    holdings = _holdings(context, keys, span)
    plan = _Plan(specs, metrics)
    for lo in range(0, len(present), BLOCK):
        codes = present[lo : lo + BLOCK]
        block = _block(codes, len(keys.ids), rows, reduced, holdings, span)
        first = {g: periods[g].first(block.first_day()) for g in grains}
        for grain, (metric_codes, stacked) in plan.block(block, periods, first).items():
            output.add(grain, metric_codes, codes, periods[grain], first[grain], stacked)
    return output.table(metrics, keys.ids)


class _Plan:
    """The order in which metrics are computed — the roll-up's kinds of every grain, then
    the actors' (whose words may still be on their way), then the kinds derived from
    them — and the order in which they are output (by key)."""

    def __init__(self, specs: Sequence[MetricSpec], metrics: pa.Array) -> None:
        self.codes = {key: i for i, key in enumerate(metrics.to_pylist())}
        stages = ("daily", "actors", "series")
        self.specs = sorted(specs, key=lambda s: (stages.index(KINDS[s.kind].reads), s.key))

    def block(
        self, block: Block, periods: Mapping[Grain, Periods], first: Mapping[Grain, np.ndarray]
    ) -> dict[Grain, tuple[np.ndarray, np.ndarray]]:
        """Per grain: (metric codes, accounts × metrics × periods), NaN before each
        account's ``first`` period (derived kinds see those as missing)."""
        series: dict[Grain, dict[str, np.ndarray]] = {g: {} for g in periods}
        frames = {g: Frame(block, p, series[g]) for g, p in periods.items()}
        for spec in self.specs:
            kind = KINDS[spec.kind]
            for grain in spec.grains:
                frame = frames[grain]
                value = np.asarray(kind.function(frame, with_defaults(spec)), np.float64)
                value = np.broadcast_to(value, frame.shape)
                if kind.fill is not None:
                    value = np.where(np.isnan(value), kind.fill, value)
                outside = np.arange(frame.shape[1])[None, :] < first[grain][:, None]
                series[grain][spec.key] = np.where(outside, np.nan, value)
        out = {}
        for grain, values in series.items():
            if values:
                keys = sorted(values)
                stacked = np.stack([values[k] for k in keys], axis=1)
                out[grain] = (np.array([self.codes[k] for k in keys], np.int32), stacked)
        return out


def _block(
    codes: np.ndarray,
    accounts: int,
    rows: Rows,
    reduced: Reduced,
    holdings: _AllHoldings,
    span: Span,
) -> Block:
    """The block of accounts ``codes`` (ascending account codes); its words are cut from
    ``reduced`` when first needed."""
    local = np.full(accounts, -1, np.int64)
    local[codes] = np.arange(len(codes))
    position = local[rows.account]
    mine = rows.take(np.flatnonzero(position >= 0)) if (position < 0).any() else rows
    mine = Rows(local[mine.account], mine.day, mine.event, mine.n, mine.sums, mine.names)
    return Block(
        len(codes),
        span,
        mine,
        lambda: {names: _cut(w, codes, local) for names, w in reduced.words.items()},
        holdings.of(local, len(codes)),
    )


def _cut(words: _SortedWords, codes: np.ndarray, local: np.ndarray) -> Words:
    """The words of the accounts ``codes``, pairs numbered from 0 within the block."""
    lo, hi = np.searchsorted(words.account, [codes[0], codes[-1] + 1])
    account = local[words.account[lo:hi]]
    keep = account >= 0
    pair = words.pair[lo:hi][keep]
    new_pair = np.r_[True, pair[1:] != pair[:-1]] if pair.size else np.zeros(0, bool)
    return Words(
        pair=np.cumsum(new_pair) - 1,
        pair_account=account[keep][new_pair],
        word=words.word[lo:hi][keep],
        bits=words.bits[lo:hi][keep],
    )


@dataclass(frozen=True)
class _AllHoldings:
    """Tenure starts and seat lines of every account (codes, grid indices)."""

    started_account: np.ndarray
    started: np.ndarray
    seat_account: np.ndarray
    seat_start: np.ndarray
    seat_end: np.ndarray
    seat_quantity: np.ndarray

    def of(self, local: np.ndarray, accounts: int) -> Holdings:
        started = np.full(accounts, np.nan)
        where = local[self.started_account]
        started[where[where >= 0]] = self.started[where >= 0]
        seat = local[self.seat_account]
        mine = seat >= 0
        return Holdings(
            started=started,
            seat_account=seat[mine],
            seat_start=self.seat_start[mine],
            seat_end=self.seat_end[mine],
            seat_quantity=self.seat_quantity[mine],
        )


def _holdings(context: Context, keys: _Keys, span: Span) -> _AllHoldings:
    accounts = keys.encode(context.accounts.cast(ACCOUNT_SCHEMA))
    seats = keys.encode(context.seats.cast(SEAT_SCHEMA))
    ends = seats["end_on"]
    end = day_numbers(ends.fill_null(0)).astype(np.float64) - span.origin
    end[~np.asarray(pc.is_valid(ends).to_numpy(zero_copy_only=False), bool)] = np.inf
    return _AllHoldings(
        started_account=accounts["account_id"].to_numpy().astype(np.int64),
        started=(day_numbers(accounts["start_on"]) - span.origin).astype(np.float64),
        seat_account=seats["account_id"].to_numpy().astype(np.int64),
        seat_start=(day_numbers(seats["start_on"]) - span.origin).astype(np.float64),
        seat_end=end,
        seat_quantity=seats["quantity"].to_numpy().astype(np.float64),
    )


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
