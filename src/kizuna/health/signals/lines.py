"""Subscription lines as step functions: MRR, seats and options on any day, for many
(account, day) pairs at once. Pure numpy.

A line counts on day d when ``start_on ≤ d < end_on`` (``end_on`` is the first day
without service, as in the revenue engine: docs/metrics.md). An account's MRR on d is the
sum of its lines' ``mrr_amount`` converted into the reporting currency with the rate valid
on d (``currency_rate``; the reporting currency needs none), in whole units (yen). A day a
foreign currency has no rate for makes that account's MRR NaN on that day (the revenue
engine refuses such a figure; a score treats it as missing).

Change days (churn, contraction) are the days some line of the account starts or ends; a
rate move alone is not a change of the account's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kizuna.health.signals.timelines import (
    DAY_SPAN,
    NO_DAY,
    Bools,
    Floats,
    Ints,
    Timeline,
    add_months,
    expand,
    months_between,
)


@dataclass(frozen=True)
class Rates:
    """Per currency: sorted valid-from days and the rate (reporting units per unit)."""

    reporting: str
    minor: dict[str, int]
    table: dict[str, tuple[Ints, Floats]] = field(default_factory=dict)

    def factor(self, currency: str, days: Ints) -> Floats:
        """Reporting whole units per *minor* unit of ``currency`` on each day (NaN: no rate)."""
        scale = 10.0 ** self.minor.get(currency, 0)
        if currency == self.reporting:
            return np.full(len(days), 1.0 / scale)
        valid, rates = self.table.get(currency, (np.zeros(0, np.int64), np.zeros(0)))
        index = np.searchsorted(valid, days, side="right") - 1
        found = rates[np.maximum(index, 0)] if len(rates) else np.zeros(len(days))
        return np.where(index >= 0, found / scale, np.nan)


@dataclass(frozen=True)
class Lines:
    """Every subscription line (arrays aligned), sorted by account then start."""

    account: Ints
    start: Ints
    end: Ints  # NO_DAY: open-ended
    amount: Ints  # mrr_amount, minor units of ``currency``
    currency: list[str]
    quantity: Ints
    per_seat: Bools  # product unit is seat
    option: Bools  # product kind is option or add-on
    term_months: Ints

    @property
    def open_end(self) -> Ints:
        return np.where(self.end >= 0, self.end, DAY_SPAN - 1)


class Mrr:
    """MRR step functions of every account, built once from the lines."""

    def __init__(self, lines: Lines, rates: Rates) -> None:
        self.lines = lines
        self.rates = rates
        self.by_currency: dict[str, Timeline] = {}
        currencies = np.asarray(lines.currency, dtype=object)
        for code in sorted(set(lines.currency)):
            mine = currencies == code
            accounts = np.concatenate([lines.account[mine], lines.account[mine & (lines.end >= 0)]])
            days = np.concatenate([lines.start[mine], lines.end[mine & (lines.end >= 0)]])
            deltas = np.concatenate(
                [lines.amount[mine], -lines.amount[mine & (lines.end >= 0)]]
            ).astype(np.float64)
            self.by_currency[code] = Timeline.of(accounts, days, deltas)
        self.change_keys, self.change_accounts, self.change_days = self._change_days()
        before = self.on(self.change_accounts, self.change_days - 1)
        after = self.on(self.change_accounts, self.change_days)
        with np.errstate(invalid="ignore"):
            churn = (before > 0) & (after == 0)
            falls = (after > 0) & (after < before)
            downturn = churn | (falls & (after <= 0.9 * before))
        self.churns = self._events(churn)
        self.falls = self._events(falls)
        self.downturns = self._events(downturn)
        self.starts = Timeline.of(lines.account, lines.start)

    def _change_days(self) -> tuple[Ints, Ints, Ints]:
        parts = [t.keys for t in self.by_currency.values()]
        keys = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        return keys, keys // DAY_SPAN, keys % DAY_SPAN

    def _events(self, mask: Bools) -> Timeline:
        return Timeline.of(self.change_accounts[mask], self.change_days[mask])

    def on(self, accounts: Ints, days: Ints) -> Floats:
        """MRR in reporting whole units on each (account, day)."""
        total = np.zeros(len(accounts), np.float64)
        for code, timeline in self.by_currency.items():
            lo, hi = timeline.bounds(accounts, np.zeros_like(days), days + 1)
            cumulative = timeline.cumulative
            native = cumulative[hi] - cumulative[lo]
            factor = self.rates.factor(code, days)
            total += np.where(native != 0, native * factor, 0.0)  # NaN: no rate that day
        return total

    def active(self, accounts: Ints, day: Ints) -> tuple[Ints, Ints]:
        """(row, line index) of every line active on ``day[row]`` for ``accounts[row]``."""
        lo = np.searchsorted(self.lines.account, accounts, side="left")
        hi = np.searchsorted(self.lines.account, accounts, side="right")
        rows, index = expand(lo.astype(np.int64), hi.astype(np.int64))
        keep = (self.lines.start[index] <= day[rows]) & (day[rows] < self.lines.open_end[index])
        return rows[keep], index[keep]

    def line_sums(self, accounts: Ints, day: Ints, weights: Floats) -> Floats:
        rows, index = self.active(accounts, day)
        sums = np.bincount(rows, weights=weights[index], minlength=len(accounts))
        return sums.astype(np.float64)

    def next_renewal(self, accounts: Ints, as_of: Ints) -> Ints:
        """Nearest term anniversary ≥ as_of (``start_on`` + k × ``term_months``) among
        lines active on as_of − 1. A line's ``end_on`` is not used: it is often written
        when a customer cancels, after the fact, and would tell a past day the future."""
        rows, index = self.active(accounts, as_of - 1)
        start, term = self.lines.start[index], np.maximum(self.lines.term_months[index], 1)
        target = as_of[rows]
        k = np.maximum(months_between(target, start) // term, 1)
        anniversary = add_months(start, k * term)
        behind = anniversary < target
        anniversary[behind] = add_months(start[behind], (k[behind] + 1) * term[behind])
        out = np.full(len(accounts), DAY_SPAN, np.int64)
        np.minimum.at(out, rows, anniversary)
        return np.where(out < DAY_SPAN, out, NO_DAY)
