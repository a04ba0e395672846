"""Contract lines as columns, and each account's MRR on chosen days. Pure: numpy only.

A line is active on day d when ``start ≤ d < end`` (no end = open). An account's MRR on d
is the sum of its active lines' ``mrr_amount`` (already monthly and net of discounts),
converted to the reporting currency with the rate valid on d and rounded half-even to the
reporting currency's minor unit once per account-day. Sums stay in int64 (exact); foreign
amounts are converted with Python integers (exact, no float anywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from kizuna.revenue.rates_table import RateTable

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Bools = npt.NDArray[np.bool_]
OPEN_END = date.max.toordinal()  # an open-ended line never stops counting
ATOM_BLOCK = 16_384  # atoms per block: small arrays, reused by the allocator


@dataclass(frozen=True)
class Ledger:
    """Every contract line, sorted by (account, product, currency).

    ``account`` and ``product`` index the caller's account and product lists, ``currency``
    indexes ``currencies``; days are ``date.toordinal()`` values.
    """

    account: I32
    product: I32
    currency: I32
    start: I64
    end: I64
    amount: I64
    currencies: tuple[str, ...]
    n_accounts: int
    n_products: int

    @classmethod
    def build(
        cls,
        *,
        account: Sequence[int] | npt.NDArray[np.integer],
        product: Sequence[int] | npt.NDArray[np.integer],
        currency: Sequence[str] | npt.NDArray[np.integer],
        start: Sequence[int] | npt.NDArray[np.integer],
        end: Sequence[int | None] | npt.NDArray[np.integer],
        amount: Sequence[int] | npt.NDArray[np.integer],
        n_accounts: int,
        n_products: int,
        currencies: Sequence[str] = (),
    ) -> Ledger:
        """Columns in any order; ``currency`` as codes, or as indexes into ``currencies``."""
        acc = np.asarray(account, dtype=np.int32)
        prod = np.asarray(product, dtype=np.int32)
        if len(currency) and isinstance(currency[0], str):
            names = tuple(sorted({str(c) for c in currency}))
            lookup = {c: i for i, c in enumerate(names)}
            cur = np.fromiter((lookup[str(c)] for c in currency), np.int32, len(currency))
        else:
            names = tuple(currencies)
            cur = np.asarray(currency, dtype=np.int32)
        ends = [OPEN_END if e is None else e for e in end] if isinstance(end, Sequence) else end
        order = np.lexsort((cur, prod, acc))
        return cls(
            account=acc[order],
            product=prod[order],
            currency=cur[order],
            start=np.asarray(start, dtype=np.int64)[order],
            end=np.asarray(ends, dtype=np.int64)[order],
            amount=np.asarray(amount, dtype=np.int64)[order],
            currencies=names,
            n_accounts=n_accounts,
            n_products=n_products,
        )

    def __len__(self) -> int:
        return int(self.account.shape[0])


@dataclass(frozen=True)
class Snapshot:
    """Per entity — an account, or an account × product pair — its MRR and activity.

    ``mrr`` and ``active`` are [entities × days]; ``first_start`` is the entity's first
    active day (ordinal); ``account``/``product`` map each entity back.
    """

    days: tuple[date, ...]
    mrr: I64
    active: Bools
    first_start: I64
    account: I32
    product: I32 | None

    @property
    def size(self) -> int:
        return int(self.account.shape[0])

    def rows(self, which: slice | npt.NDArray[np.bool_]) -> Snapshot:
        """The snapshot of some entities only."""
        return Snapshot(
            days=self.days,
            mrr=self.mrr[which],
            active=self.active[which],
            first_start=self.first_start[which],
            account=self.account[which],
            product=None if self.product is None else self.product[which],
        )

    def started(self) -> Snapshot:
        """Only the entities whose first line starts by the last day: the others (read
        with a later book) add nothing to any figure and must not make groups."""
        last = max(self.days).toordinal() if self.days else 0
        keep = np.asarray(self.first_start <= last)
        return self if keep.all() else self.rows(keep)


def snapshot(
    ledger: Ledger,
    days: Sequence[date],
    rates: RateTable,
    reporting: str,
    *,
    by_product: bool = False,
) -> Snapshot:
    """MRR and activity of every entity on each of ``days`` (rounded once per entity-day)."""
    ordinals = [d.toordinal() for d in days]
    if len(ledger) == 0:
        shape = (0, len(days))
        none = np.zeros(0, dtype=np.int32)
        return Snapshot(
            days=tuple(days),
            mrr=np.zeros(shape, dtype=np.int64),
            active=np.zeros(shape, dtype=np.bool_),
            first_start=np.zeros(0, dtype=np.int64),
            account=none,
            product=none if by_product else None,
        )
    key = ledger.account.astype(np.int64)
    if by_product:
        key = key * max(ledger.n_products, 1) + ledger.product
    atom_key = key * (len(ledger.currencies) + 1) + ledger.currency
    atom_at = _boundaries(atom_key)  # first line of each (entity, currency) atom
    entity_at = _boundaries(key)  # first line of each entity
    native, live = _on_days(ledger, atom_key, atom_at.size, ordinals)
    atom_entity = np.searchsorted(entity_at, atom_at, side="right") - 1
    atom_currency = ledger.currency[atom_at]
    reporting_idx = ledger.currencies.index(reporting) if reporting in ledger.currencies else -1
    home = np.where((atom_currency == reporting_idx)[:, None], native, 0)
    if atom_at.size == entity_at.size:  # one currency per entity: atoms are the entities
        active, mrr = live, home
    else:
        entity_atoms = _boundaries(atom_entity)
        active = np.logical_or.reduceat(live, entity_atoms, axis=0)
        mrr = np.add.reduceat(home, entity_atoms, axis=0)
    foreign = np.flatnonzero(atom_currency != reporting_idx)
    if foreign.size:
        _add_converted(
            mrr, native, live, foreign, atom_entity, atom_currency, ledger.currencies,
            days, rates, reporting,
        )  # fmt: skip
    return Snapshot(
        days=tuple(days),
        mrr=mrr,
        active=active,
        first_start=np.minimum.reduceat(ledger.start, entity_at),
        account=ledger.account[entity_at],
        product=ledger.product[entity_at] if by_product else None,
    )


def _on_days(
    ledger: Ledger, atom_key: I64, atoms: int, ordinals: Sequence[int]
) -> tuple[I64, Bools]:
    """Per atom and day: the summed amount, and whether any of its lines is active.

    A line is active on the days with index in [first, stop) of the sorted days, so it
    adds +amount at ``first`` and −amount at ``stop`` of its atom's row, and a running sum
    along the days gives every value: O(lines + atoms × days), not O(lines × days).
    Atoms are taken a block at a time (their lines are contiguous) to keep arrays small.
    """
    order = np.argsort(np.asarray(ordinals, dtype=np.int64), kind="stable")
    sorted_days = np.asarray(ordinals, dtype=np.int64)[order]
    first = np.searchsorted(sorted_days, ledger.start, side="left")
    stop = np.searchsorted(sorted_days, ledger.end, side="left")
    atom = np.concatenate(([0], np.cumsum(atom_key[1:] != atom_key[:-1])))
    line_at = np.searchsorted(atom, np.arange(0, atoms + ATOM_BLOCK, ATOM_BLOCK))
    exact = int(np.abs(ledger.amount).sum(dtype=np.float64)) < 2**53  # float sums exact
    native = np.empty((atoms, len(ordinals)), dtype=np.int64)
    active = np.empty((atoms, len(ordinals)), dtype=np.bool_)
    for b, a0 in enumerate(range(0, atoms, ATOM_BLOCK)):
        lines = slice(int(line_at[b]), int(line_at[b + 1]))
        n = min(ATOM_BLOCK, atoms - a0)
        amount = _interval_sums(atom[lines] - a0, first[lines], stop[lines],
                                ledger.amount[lines], n, len(ordinals), exact)  # fmt: skip
        native[a0 : a0 + n] = amount
        active[a0 : a0 + n] = _interval_sums(
            atom[lines] - a0, first[lines], stop[lines], None, n, len(ordinals), True
        ) > 0  # fmt: skip
    if (order != np.arange(order.size)).any():  # back to the order the days were given in
        restore = np.argsort(order)
        native, active = native[:, restore], active[:, restore]
    return np.ascontiguousarray(native), np.ascontiguousarray(active)


def _interval_sums(
    row: npt.NDArray[np.integer],
    first: npt.NDArray[np.integer],
    stop: npt.NDArray[np.integer],
    weight: I64 | None,
    rows: int,
    days: int,
    exact_float: bool,
) -> I64:
    """[rows × days]: Σ weight (or a count) of the items with first ≤ day index < stop."""
    width = days + 1
    rise, fall = row * width + first, row * width + stop
    size = rows * width
    if weight is None:
        steps = np.bincount(rise, minlength=size) - np.bincount(fall, minlength=size)
    elif exact_float:
        up = np.bincount(rise, weights=weight, minlength=size)
        steps = np.rint(up - np.bincount(fall, weights=weight, minlength=size)).astype(np.int64)
    else:
        steps = np.zeros(size, dtype=np.int64)
        np.add.at(steps, rise, weight)
        np.subtract.at(steps, fall, weight)
    result: I64 = steps.reshape(rows, width).cumsum(axis=1)[:, :-1]
    return result


def _boundaries(sorted_keys: npt.NDArray[np.integer]) -> npt.NDArray[np.intp]:
    """Indexes where a run of equal keys starts (the keys are sorted)."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.intp)


def _add_converted(
    mrr: I64,
    native: I64,
    live: Bools,
    foreign: npt.NDArray[np.intp],
    atom_entity: npt.NDArray[np.intp],
    atom_currency: I32,
    currencies: tuple[str, ...],
    days: Sequence[date],
    rates: RateTable,
    reporting: str,
) -> None:
    """Add foreign-currency MRR, converted exactly, rounded half-even once per entity-day.

    Every rate is a fraction with a power-of-ten denominator, so all foreign amounts of an
    entity-day are brought to one denominator (``scale``), summed as integers (int64 when
    no sum can overflow, Python integers otherwise) and divided once.
    """
    codes = atom_currency[foreign]
    present = np.unique(codes).tolist()
    scale = rates.common_scale(currencies[c] for c in present)
    factors = np.zeros((foreign.size, len(days)), dtype=object)
    for c in present:
        rows = np.flatnonzero(codes == c)
        needed = set(np.flatnonzero(live[foreign[rows]].any(axis=0)).tolist())
        row = [rates.multiplier(currencies[c], d, reporting, scale) if t in needed else 0
               for t, d in enumerate(days)]  # fmt: skip
        factors[rows] = np.array(row, dtype=object)[None, :]
    amounts = native[foreign]
    largest = int(np.abs(amounts).max(initial=0)) * int(max(factors.max(initial=0), 1))
    if largest * foreign.size < 2**62:  # exact in int64, by far the common case
        numerators = amounts * factors.astype(np.int64)
    else:
        numerators = amounts.astype(object) * factors
    entities = atom_entity[foreign]  # foreign atoms come in entity order
    first = _boundaries(entities)
    totals = np.add.reduceat(numerators, first, axis=0)
    quotient = totals // scale
    twice = 2 * (totals - quotient * scale)
    up = (twice > scale) | ((twice == scale) & (quotient % 2 == 1))
    mrr[entities[first]] += (quotient + up).astype(np.int64)


def round_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half to even (banker's rounding), exactly."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient
