"""Vectorised as-of questions over sorted event timelines. Pure numpy, no database.

An event timeline is a set of events (account index, day) encoded as one int64 key
``account × 2^20 + day`` and sorted. Days are integers: days since 1970-01-01 (numpy's
``datetime64[D]`` epoch) shifted by ``DAY_SHIFT`` so that every day of interest is a
small non-negative number. A query is a pair of arrays (account index, as-of day); every
answer is computed for all queries at once with ``np.searchsorted``:

- ``last_before``: the newest event strictly before the as-of day (an event *on* the as-of
  day is not seen: a value "as of D" is what was knowable at the start of D);
- ``window_counts``: the events with a day in ``[as_of − w, as_of)``;
- ``window_sums``: the sum of a value over that window, from a cumulative sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

DAY_BITS = 20
DAY_SPAN = 1 << DAY_BITS  # ≈ 2,870 years of days per account
DAY_SHIFT = 25_567  # 1900-01-01 is day 0 (1970-01-01 is day 25,567)
NO_DAY = -1

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def to_days(values: npt.NDArray[np.datetime64]) -> Ints:
    """``datetime64[D]`` → shifted day numbers (NaT → NO_DAY)."""
    raw = values.astype("datetime64[D]")
    days = raw.astype(np.int64) + DAY_SHIFT
    return np.where(np.isnat(raw), NO_DAY, days).astype(np.int64)


def day_number_of(value: date) -> int:
    """The shifted day number of one date."""
    return (value - date(1970, 1, 1)).days + DAY_SHIFT


def from_days(days: npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """Shifted day numbers → ``datetime64[D]`` (negative → NaT)."""
    array = np.asarray(days, dtype=np.int64)
    out = (array - DAY_SHIFT).astype("datetime64[D]")
    out[array < 0] = np.datetime64("NaT")
    return out


def encode(accounts: Ints, days: Ints) -> Ints:
    """The sort key of (account, day) pairs (days clamped into the key's range)."""
    if len(days) and (int(days.min()) < 0 or int(days.max()) >= DAY_SPAN):
        days = np.clip(days, 0, DAY_SPAN - 1)
    keys: Ints = accounts.astype(np.int64, copy=False) * DAY_SPAN + days
    return keys


@dataclass(frozen=True)
class Timeline:
    """Events sorted by (account, day); ``values`` (optional) aligned with them."""

    keys: Ints
    days: Ints
    values: Floats

    @classmethod
    def of(cls, accounts: Ints, days: Ints, values: npt.ArrayLike | None = None) -> Timeline:
        """Sort the events; events without a day (NO_DAY) are dropped."""
        vals = (
            np.ones(len(accounts), np.float64) if values is None else np.asarray(values, np.float64)
        )
        if len(days) and int(days.min()) < 0:
            keep = days >= 0
            accounts, days, vals = accounts[keep], days[keep], vals[keep]
        keys = encode(accounts, days)
        if len(keys) < 2 or bool((keys[1:] >= keys[:-1]).all()):  # often already in order
            return cls(keys, days, vals)
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], days[order], vals[order])

    @classmethod
    def empty(cls) -> Timeline:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def cumulative(self) -> Floats:
        """Prefix sums of ``values`` with a leading 0: sum of events [i, j) = c[j] − c[i]."""
        return np.concatenate(([0.0], np.cumsum(self.values)))

    def position(self, accounts: Ints, days: Ints) -> Ints:
        """Index of the first event at or after (account, day)."""
        return np.searchsorted(self.keys, encode(accounts, days), side="left").astype(np.int64)

    def last_before(self, accounts: Ints, as_of: Ints) -> Ints:
        """Index of the newest event of each account strictly before its as-of day;
        -1 when there is none."""
        index = self.position(accounts, as_of) - 1
        start = self.position(accounts, np.zeros_like(as_of))
        return np.where(index >= start, index, -1)

    def first_index(self, accounts: Ints, as_of: Ints) -> Ints:
        """Index of the account's oldest event if it is before the as-of day, else -1."""
        start = self.position(accounts, np.zeros_like(as_of))
        end = self.position(accounts, as_of)
        return np.where(start < end, start, -1)

    def bounds(self, accounts: Ints, start: Ints, end: Ints) -> tuple[Ints, Ints]:
        """Index range [lo, hi) of the events with a day in [start, end)."""
        return self.position(accounts, start), self.position(accounts, np.maximum(end, start))

    def window_counts(self, accounts: Ints, as_of: Ints, window: int) -> Ints:
        lo, hi = self.bounds(accounts, as_of - window, as_of)
        return hi - lo

    def window_sums(self, accounts: Ints, as_of: Ints, window: int) -> Floats:
        lo, hi = self.bounds(accounts, as_of - window, as_of)
        cumulative = self.cumulative
        return cumulative[hi] - cumulative[lo]

    def window_means(self, accounts: Ints, as_of: Ints, start: Ints, end: Ints) -> Floats:
        """Mean of ``values`` over days [start, end); NaN for an empty window."""
        lo, hi = self.bounds(accounts, start, end)
        cumulative = self.cumulative
        count = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, (cumulative[hi] - cumulative[lo]) / count, np.nan)

    def days_at(self, index: Ints) -> Ints:
        """Day of the events at ``index`` (NO_DAY where index is -1)."""
        if len(self.days) == 0:
            return np.full(len(index), NO_DAY, np.int64)
        return np.where(index >= 0, self.days[np.maximum(index, 0)], NO_DAY)

    def values_at(self, index: Ints) -> Floats:
        """Value of the events at ``index`` (NaN where index is -1)."""
        if len(self.values) == 0:
            return np.full(len(index), np.nan)
        return np.where(index >= 0, self.values[np.maximum(index, 0)], np.nan)


def expand(lo: Ints, hi: Ints) -> tuple[Ints, Ints]:
    """Flatten the index ranges [lo[r], hi[r]) into (row, index) pairs, without a loop.

    For questions a prefix sum cannot answer (distinct contacts, conditions on a second
    date): the few events inside each row's window are listed and then filtered.
    """
    sizes = np.maximum(hi - lo, 0)
    total = int(sizes.sum())
    rows = np.repeat(np.arange(len(lo), dtype=np.int64), sizes)
    if total == 0:
        return rows, np.zeros(0, np.int64)
    offsets = np.cumsum(sizes) - sizes
    index = np.arange(total, dtype=np.int64) - np.repeat(offsets, sizes) + np.repeat(lo, sizes)
    return rows, index


def days_between(later: Ints, earlier: Ints) -> Floats:
    """``later − earlier`` in days as float, NaN where ``earlier`` is NO_DAY."""
    return np.where(earlier >= 0, (later - earlier).astype(np.float64), np.nan)


def add_months(days: Ints, months: Ints) -> Ints:
    """Vectorised ``subscription.terms.add_months``: the day clamped to the month's end."""
    dates = from_days(days)
    month = dates.astype("datetime64[M]")
    day_of_month = (dates - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    result = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
    return to_days(result)


def months_between(later: Ints, earlier: Ints) -> Ints:
    """Whole calendar months from ``earlier``'s month to ``later``'s (ignoring the day)."""
    a = from_days(later).astype("datetime64[M]").astype(np.int64)
    b = from_days(earlier).astype("datetime64[M]").astype(np.int64)
    return (a - b).astype(np.int64)


def newest(*days: Ints) -> Ints:
    """Element-wise newest of several day arrays (NO_DAY when all are NO_DAY)."""
    return np.maximum.reduce(days) if days else np.zeros(0, np.int64)
