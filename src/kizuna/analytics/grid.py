"""The account-scale half of the metric pipeline: dense per-account day grids in numpy.

The engine (DuckDB or Spark, see ``snapshot``) reduces the events to two compact tables:
the daily roll-up (account, day, event → count and property sums) and the actors'
activity words (account, actor, word → one bit per active day of a 63-day word). What
follows is at the scale of the output, accounts × days, and runs here on dense arrays,
identically whichever engine reduced the events: a period's total is a ``reduceat`` over
the period boundaries, recency a running maximum, a window a difference of cumulative
sums, distinct users an OR of day bits, feature breadth a population count of event bits.
Accounts are taken in blocks of ``BLOCK`` so that memory stays bounded (a few arrays of
``BLOCK`` × days × 8 bytes), whatever the number of accounts.

Arrays of values are float64 with NaN for "no value"; kinds return one row per account
of the block and one column per period (``Frame``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizuna.analytics.sources import (
    GRAINS,
    WORD_DAYS,
    WORD_ORIGIN,
    Grain,
    period_last_day,
    period_start,
    periods,
    property_column,
)

EPOCH = date(1970, 1, 1)
BLOCK = 2048  # accounts per block
KEEP_BYTES = 64 << 20  # event bit sets kept for the next grain up to this size

Names = tuple[str, ...]  # an event filter: the names, sorted; () = every event


def day_number(day: date) -> int:
    return (day - EPOCH).days


def as_filter(names: Sequence[str] | None) -> Names:
    return tuple(sorted(set(names or ())))


@dataclass(frozen=True)
class Span:
    """The grid's days: ``origin`` (day number of index 0), ``days`` (how many), and
    ``today`` (index of today; the grid runs on to the end of today's week and month so
    that a current period holds every event dated in it)."""

    origin: int
    days: int
    today: int

    @classmethod
    def covering(cls, first: date, today: date) -> Span:
        start = min(period_start(first, g) for g in GRAINS)
        end = max(period_last_day(period_start(today, g), g) for g in GRAINS)
        return cls(day_number(start), (end - start).days + 1, (today - start).days)


@dataclass(frozen=True)
class Periods:
    """The periods of one grain from the first event's to today's, as grid indices:
    ``starts`` (first day), ``ends`` (last day, today for the current period) and
    ``dates`` (period starts as day numbers, for the output)."""

    grain: Grain
    starts: np.ndarray
    ends: np.ndarray
    dates: np.ndarray
    lasts: np.ndarray  # the periods' last days, not clipped to today

    @classmethod
    def of(cls, grain: Grain, first: date, today: date, span: Span) -> Periods:
        starts = periods(first, today, grain)
        dates = np.array([day_number(s) for s in starts], np.int64)
        lasts = np.array([day_number(period_last_day(s, grain)) for s in starts], np.int64)
        ends = np.minimum(lasts, span.origin + span.today)
        return cls(grain, dates - span.origin, ends - span.origin, dates, lasts - span.origin)

    def __len__(self) -> int:
        return len(self.dates)

    def first(self, days: np.ndarray) -> np.ndarray:
        """Index of the period holding each of ``days`` (grid indices, none before the
        first period); ``len(self)`` for a day after the last period."""
        if not len(self):
            return np.zeros(len(days), np.int64)
        index = np.clip(np.searchsorted(self.starts, days, side="right") - 1, 0, None)
        return np.where(days > self.lasts[index], len(self), index)


@dataclass(frozen=True)
class Rows:
    """The roll-up rows of one block: ``account`` (index in the block), ``day`` (grid
    index), ``event`` (index into ``names``), ``n`` and each summed property (null as 0)."""

    account: np.ndarray
    day: np.ndarray
    event: np.ndarray
    n: np.ndarray
    sums: Mapping[str, np.ndarray]
    names: Sequence[str]

    def take(self, index: np.ndarray) -> Rows:
        return Rows(
            self.account[index],
            self.day[index],
            self.event[index],
            self.n[index],
            {k: v[index] for k, v in self.sums.items()},
            self.names,
        )

    def of(self, names: Names) -> np.ndarray | None:
        """Mask of the rows of the named events (None: every row)."""
        if not names:
            return None
        wanted = set(names)
        chosen = np.array([name in wanted for name in self.names] or [False], bool)
        mask: np.ndarray = chosen[self.event]
        return mask


@dataclass(frozen=True)
class Words:
    """Activity words of one block, one row per (account, actor, word), sorted by account
    then actor: ``pair`` (index of the (account, actor) pair, from 0), ``pair_account``
    (each pair's account index in the block), ``word`` and ``bits`` (bit ``i`` of word
    ``w``: active on day ``WORD_ORIGIN + 63·w + i``)."""

    pair: np.ndarray
    pair_account: np.ndarray
    word: np.ndarray
    bits: np.ndarray


@dataclass(frozen=True)
class Holdings:
    """Per account of a block: ``started`` (tenure start as a grid index, NaN when the
    account is unknown) and the seat lines (``account``, ``start``, ``end`` as grid indices,
    ``end`` = +inf when open, ``quantity``)."""

    started: np.ndarray
    seat_account: np.ndarray
    seat_start: np.ndarray
    seat_end: np.ndarray
    seat_quantity: np.ndarray


class Block:
    """One block of accounts and the per-day arrays its kinds read, built once each."""

    def __init__(
        self,
        accounts: int,
        span: Span,
        rows: Rows,
        words: Callable[[], Mapping[Names, Words]],
        holdings: Holdings,
    ) -> None:
        self.accounts = accounts
        self.span = span
        self.rows = rows
        self._words = words
        self._words_read: Mapping[Names, Words] | None = None
        self.holdings = holdings
        self._cache: dict[tuple[object, ...], np.ndarray] = {}

    def _cached(self, key: tuple[object, ...], build: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _per_day(self, weights: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        rows = self.rows
        cells = rows.account * self.span.days + rows.day
        if mask is not None:
            cells, weights = cells[mask], weights[mask]
        flat = np.bincount(cells, weights=weights, minlength=self.accounts * self.span.days)
        return flat.reshape(self.accounts, self.span.days)

    def counts(self, names: Names) -> np.ndarray:
        """Events (of the named ones) per account and day."""
        return self._cached(
            ("counts", names), lambda: self._per_day(self.rows.n, self.rows.of(names))
        )

    def sums(self, prop: str, names: Names) -> np.ndarray:
        """The sum of a numeric property (of the named events) per account and day."""
        column = self.rows.sums[property_column(prop)]
        return self._cached(
            ("sums", prop, names), lambda: self._per_day(column, self.rows.of(names))
        )

    def first_day(self) -> np.ndarray:
        """Each account's first day with an event (grid index)."""

        def build() -> np.ndarray:
            first = np.full(self.accounts, self.span.days, np.int64)
            np.minimum.at(first, self.rows.account, self.rows.day)
            return first

        return self._cached(("first",), build)

    def event_bits(self, names: Names) -> Iterator[np.ndarray]:
        """Which events (of the named ones) each account used each day, as bit sets of 32
        events at a time (uint32, accounts × days). Kept for the other grains when they
        are few; with thousands of event names (pages) they are rebuilt instead."""
        key = ("bits", names)
        if key in self._cache:
            yield from self._cache[key]
            return
        mask = self.rows.of(names)
        rows = self.rows if mask is None else self.rows.take(np.flatnonzero(mask))
        used = np.flatnonzero(np.bincount(rows.event, minlength=len(self.rows.names)))
        lookup = np.zeros(len(self.rows.names), np.int64)
        lookup[used] = np.arange(len(used))
        local = lookup[rows.event]
        cells = rows.account * self.span.days + rows.day
        count = (len(used) + 31) // 32
        keep = count * self.accounts * self.span.days * 4 <= KEEP_BYTES
        layers = []
        for layer in range(count):
            chosen = (local // 32) == layer
            # Each (account, day, event) is one roll-up row, so the sum of distinct powers
            # of two is their OR; below 2^32 it is exact in float64.
            weights = np.ldexp(1.0, (local[chosen] % 32).astype(np.int32))
            flat = np.bincount(
                cells[chosen], weights=weights, minlength=self.accounts * self.span.days
            )
            bits = flat.astype(np.uint32).reshape(self.accounts, self.span.days)
            if keep:
                layers.append(bits)
            yield bits
        if keep:
            self._cache[key] = np.stack(layers) if layers else np.zeros((0, 0, 0), np.uint32)

    def active_users(self, names: Names, periods: Periods) -> np.ndarray:
        """Distinct actors (of the named events) per account and period."""
        if self._words_read is None:
            self._words_read = self._words()
        words = self._words_read.get(names)
        if words is None or not words.pair.size or not len(periods):
            return np.zeros((self.accounts, len(periods)))
        if periods.grain == "day":
            per_day = self._cached(("actor_days", names), lambda: self._actors_per_day(words))
            return per_day[:, periods.starts].astype(np.float64)
        return self._actors_per_period(words, periods)

    def _actors_per_day(self, words: Words) -> np.ndarray:
        """Active actors per account and grid day: the day bits summed over the rows of
        each (account, word) — an actor has one row per word, so nothing is counted twice."""
        first_word = int(words.word.min())
        width = int(words.word.max()) - first_word + 1
        key = words.pair_account[words.pair] * width + (words.word - first_word)
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        bits = words.bits[order].astype("<u8").view(np.uint8).reshape(-1, 8)
        days = np.unpackbits(bits, axis=1, bitorder="little")[:, :WORD_DAYS]
        by_word = np.zeros((self.accounts * width, WORD_DAYS), np.int32)
        by_word[key[starts]] = np.add.reduceat(days, starts, axis=0, dtype=np.int32)
        flat = by_word.reshape(self.accounts, width * WORD_DAYS)
        # The words' days on the grid: word ``first_word`` starts at grid index ``offset``.
        offset = first_word * WORD_DAYS + WORD_ORIGIN - self.span.origin
        source, target = max(0, -offset), max(0, offset)
        length = min(width * WORD_DAYS - source, self.span.days - target)
        grid = np.zeros((self.accounts, self.span.days), np.int32)
        if length > 0:
            grid[:, target : target + length] = flat[:, source : source + length]
        return grid

    def _actors_per_period(self, words: Words, periods: Periods) -> np.ndarray:
        """Active actors per account and week or month. Each word row is tested against
        the periods its 63 days overlap (a week lies within one word, a month within at
        most two); the (pair, period) hits come out in non-decreasing order (pairs, then
        words, then periods), so an actor active in a month in two words is counted once
        by dropping repeats."""
        first_word = int(words.word.min())
        width = int(words.word.max()) - first_word + 1
        word_start = (first_word + np.arange(width)) * WORD_DAYS  # days since WORD_ORIGIN
        shift = self.span.origin - WORD_ORIGIN
        start, last = periods.starts + shift, periods.lasts + shift
        lo = np.searchsorted(start, word_start, side="right") - 1
        hi = np.searchsorted(start, word_start + WORD_DAYS - 1, side="right") - 1
        count = len(periods)
        relative = words.word - first_word
        keys = []
        for slot in range(int((hi - lo).max()) + 1):
            period = lo + slot
            valid = (period >= 0) & (period <= hi) & (period < count)
            safe = np.clip(period, 0, count - 1)
            begin = np.clip(start[safe] - word_start, 0, WORD_DAYS)
            end = np.clip(last[safe] - word_start + 1, 0, WORD_DAYS)  # exclusive
            mask = (np.left_shift(1, end, dtype=np.int64) - 1) ^ (
                np.left_shift(1, begin, dtype=np.int64) - 1
            )
            hit = valid[relative] & ((words.bits & mask[relative]) != 0)
            keys.append(np.where(hit, words.pair * count + safe[relative], -1))
        ordered = np.stack(keys, axis=1).ravel()
        ordered = ordered[ordered >= 0]
        distinct = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered
        cells = words.pair_account[distinct // count] * count + distinct % count
        return (
            np.bincount(cells, minlength=self.accounts * count)
            .reshape(self.accounts, count)
            .astype(np.float64)
        )


class Frame:
    """What a kind function reads: one grain of one block. Day-level arrays come from the
    block (shared by the grains); ``series`` holds the base metrics' values of this grain
    (NaN outside each account's periods) for the derived kinds."""

    def __init__(self, block: Block, periods: Periods, series: Mapping[str, np.ndarray]) -> None:
        self.block = block
        self.periods = periods
        self.grain = periods.grain
        self._series = series

    @property
    def shape(self) -> tuple[int, int]:
        return (self.block.accounts, len(self.periods))

    def counts(self, names: Names) -> np.ndarray:
        return self.block.counts(names)

    def sums(self, prop: str, names: Names) -> np.ndarray:
        return self.block.sums(prop, names)

    def total(self, per_day: np.ndarray) -> np.ndarray:
        """Per account and period: the sum of a per-day array over the period's days."""
        if self.grain == "day":
            return per_day[:, self.periods.starts].astype(np.float64)
        if not len(self.periods):
            return np.zeros(self.shape)
        return self._per_period(np.add, per_day)

    def any(self, per_day: np.ndarray) -> np.ndarray:
        """Per account and period: whether a per-day boolean array holds on some day."""
        if self.grain == "day":
            return per_day[:, self.periods.starts]
        if not len(self.periods):
            return np.zeros(self.shape, bool)
        return self._per_period(np.logical_or, per_day)

    def _per_period(self, ufunc: np.ufunc, per_day: np.ndarray) -> np.ndarray:
        """``ufunc`` reduced over each period's days (the grid may run past the last
        period: today's month can end after today's week, or the other way round)."""
        bounds = self.periods.starts
        end = int(self.periods.lasts[-1]) + 1
        if end < per_day.shape[1]:
            bounds = np.append(bounds, end)
        return ufunc.reduceat(per_day, bounds, axis=1)[:, : len(self.periods)]

    def at_ends(self, per_day: np.ndarray) -> np.ndarray:
        """A per-day array read on each period's last day (today for the current one)."""
        return per_day[:, self.periods.ends]

    @property
    def ends(self) -> np.ndarray:
        return self.periods.ends

    def active_users(self, names: Names) -> np.ndarray:
        """Distinct actors (of the named events) per account and period."""
        return self.block.active_users(names, self.periods)

    def breadth(self, names: Names) -> np.ndarray:
        """Distinct events (of the named ones) per account and period."""
        out = np.zeros(self.shape)
        for bits in self.block.event_bits(names):  # 32 events at a time
            if self.grain == "day":
                used = bits[:, self.periods.starts]
            elif not len(self.periods):
                continue
            else:
                used = self._per_period(np.bitwise_or, bits)
            out += np.bitwise_count(used)
        return out

    def series(self, key: str) -> np.ndarray:
        return self._series[key]

    def started(self) -> np.ndarray:
        """Each account's tenure start (grid index; NaN when unknown)."""
        return self.block.holdings.started

    def seats(self) -> np.ndarray:
        """Licensed seats on each period's last day (NaN without a seat line)."""
        h = self.block.holdings
        ends = self.periods.ends[None, :].astype(np.float64)
        held = (h.seat_start[:, None] <= ends) & (ends < h.seat_end[:, None])
        out = np.zeros(self.shape)
        lines = np.zeros(self.shape)
        np.add.at(out, h.seat_account, held * h.seat_quantity[:, None].astype(np.float64))
        np.add.at(lines, h.seat_account, held.astype(np.float64))
        return np.where(lines > 0, out, np.nan)


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``; NaN where the denominator is NaN or zero."""
    valid = np.isfinite(denominator) & (denominator != 0)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=valid)
    return out


@dataclass
class Output:
    """Values collected per grain, in block (account) order."""

    metric: dict[Grain, list[np.ndarray]] = field(default_factory=dict)
    account: dict[Grain, list[np.ndarray]] = field(default_factory=dict)
    period: dict[Grain, list[np.ndarray]] = field(default_factory=dict)
    value: dict[Grain, list[np.ndarray]] = field(default_factory=dict)

    def add(
        self,
        grain: Grain,
        codes: np.ndarray,
        accounts: np.ndarray,
        periods: Periods,
        first: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """``values``: accounts × metrics × periods; kept from each account's first
        period on, in account, metric, period order."""
        count = len(periods)
        kept = np.arange(count)[None, None, :] >= first[:, None, None]
        kept = np.broadcast_to(kept, values.shape)
        self.metric.setdefault(grain, []).append(
            np.broadcast_to(codes[None, :, None], values.shape)[kept].astype(np.int32)
        )
        self.account.setdefault(grain, []).append(
            np.broadcast_to(accounts[:, None, None], values.shape)[kept].astype(np.int32)
        )
        self.period.setdefault(grain, []).append(
            np.broadcast_to(periods.dates[None, None, :], values.shape)[kept].astype(np.int32)
        )
        self.value.setdefault(grain, []).append(values[kept])

    def table(self, metrics: pa.Array, accounts: pa.Array) -> pa.Table:
        """The values as ``metric``, ``grain``, ``account_id`` (dictionary-encoded),
        ``period``, ``value`` (null for NaN), sorted by grain, account, metric, period."""
        grains = [g for g in GRAINS if g in self.value]

        def joined(parts: dict[Grain, list[np.ndarray]], dtype: type) -> np.ndarray:
            chunks = [c for g in grains for c in parts[g]]
            return np.concatenate(chunks) if chunks else np.zeros(0, dtype)

        value = joined(self.value, np.float64)
        grain = np.concatenate(
            [np.full(sum(len(c) for c in self.value[g]), GRAINS.index(g), np.int8) for g in grains]
            or [np.zeros(0, np.int8)]
        )
        return pa.table(
            {
                "metric": pa.DictionaryArray.from_arrays(
                    pa.array(joined(self.metric, np.int32)), metrics
                ),
                "grain": pa.DictionaryArray.from_arrays(
                    pa.array(grain), pa.array(GRAINS, pa.string())
                ),
                "account_id": pa.DictionaryArray.from_arrays(
                    pa.array(joined(self.account, np.int32)), accounts
                ),
                "period": pa.array(joined(self.period, np.int32)).cast(pa.date32()),
                "value": pa.array(value, mask=np.isnan(value)),
            }
        )


def day_numbers(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A date32 column as day numbers (int64)."""
    return np.asarray(pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False), np.int64)
