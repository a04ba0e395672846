"""Whole reports from a ledger: windows, monthly series, the KGI. Pure: no database.

The service loads the ledger, the rates and the accounts' attributes and calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from kizuna.revenue import movements, retention
from kizuna.revenue.cuts import AccountAttributes, Grouping, grouping
from kizuna.revenue.ledger import Ledger, Snapshot, snapshot
from kizuna.revenue.rates_table import RateTable
from kizuna.revenue.schemas import Cut, GroupSeries, GroupWindow, KgiPoint, MonthRow, WindowFigures
from kizuna.revenue.windows import month_end_before, months, quarter_ends
from kizuna.subscription.terms import add_months

Totals = list[dict[str, int]]  # per step: component → amount


@dataclass(frozen=True)
class Inputs:
    ledger: Ledger
    rates: RateTable
    attributes: AccountAttributes
    currency: str
    _snapshots: dict[tuple[tuple[date, ...], bool], Snapshot] = field(
        default_factory=dict, compare=False, repr=False
    )

    def snapshot(self, days: Sequence[date], *, by_product: bool = False) -> Snapshot:
        """The snapshot on ``days`` (kept: several cuts over the same days share it)."""
        key = (tuple(days), by_product)
        if key not in self._snapshots:
            self._snapshots[key] = snapshot(
                self.ledger, days, self.rates, self.currency, by_product=by_product
            )
        return self._snapshots[key]


def reduce(
    inputs: Inputs, days: Sequence[date], pairs: Sequence[tuple[int, int]], by: Cut | None
) -> tuple[Totals, list[tuple[str, str, Totals]]]:
    """Totals per step (always over accounts), and per group of ``by`` when given."""
    total, (grouped,) = reduce_many(inputs, days, pairs, [by])
    return total, grouped


def reduce_many(
    inputs: Inputs,
    days: Sequence[date],
    pairs: Sequence[tuple[int, int]],
    cuts: Sequence[Cut | None],
) -> tuple[Totals, list[list[tuple[str, str, Totals]]]]:
    """Totals per step, and the groups of each of ``cuts`` ([] for None), building each
    component once for all the account cuts (and once more for the product split)."""
    snap = inputs.snapshot(days).started()
    groupings = [(np.zeros(snap.size, dtype=np.intp), 1)]
    cut_of: dict[Cut, Grouping] = {}
    for by in cuts:
        if by is not None and by is not Cut.PRODUCT and by not in cut_of:
            cut_of[by] = grouping(by, inputs.attributes, snap.account, None, snap.first_start)
            groupings.append((cut_of[by].codes, cut_of[by].size))
    reduced = movements.reduce(snap, pairs, groupings)
    by_cut = dict(zip(cut_of, reduced[1:], strict=True))
    if Cut.PRODUCT in cuts:
        split = inputs.snapshot(days, by_product=True).started()
        cut_of[Cut.PRODUCT] = grouping(
            Cut.PRODUCT, inputs.attributes, split.account, split.product, split.first_start
        )
        codes = cut_of[Cut.PRODUCT]
        (by_cut[Cut.PRODUCT],) = movements.reduce(split, pairs, [(codes.codes, codes.size)])
    groups: list[list[tuple[str, str, Totals]]] = []
    for by in cuts:
        if by is None:
            groups.append([])
            continue
        cut = cut_of[by]
        groups.append(
            [
                (key, label, _steps(by_cut[by], g))
                for g, (key, label) in enumerate(zip(cut.keys, cut.labels, strict=True))
            ]
        )
    return _steps(reduced[0], 0), groups


def window(
    inputs: Inputs, start: date, end: date, by: Cut | None = None
) -> tuple[WindowFigures, list[GroupWindow]]:
    total, groups = reduce(inputs, [start, end], [(0, 1)], by)
    return retention.figures(total[0]), [
        GroupWindow(key=key, label=label, figures=retention.figures(steps[0]))
        for key, label, steps in groups
    ]


def monthly(
    inputs: Inputs, firsts: Sequence[date], by: Cut | None = None
) -> tuple[list[MonthRow], list[GroupSeries]]:
    """Rows for the months whose first days are ``firsts`` (consecutive months), each
    measured from the previous month's last day to its own last day."""
    rows, (groups,) = monthly_many(inputs, firsts, [by])
    return rows, groups


def monthly_many(
    inputs: Inputs, firsts: Sequence[date], cuts: Sequence[Cut | None]
) -> tuple[list[MonthRow], list[list[GroupSeries]]]:
    """``monthly`` for several cuts at once (one pass over the data for all of them)."""
    days = [month_end_before(m) for m in [*firsts, add_months(firsts[-1], 1)]]
    pairs = [(i, i + 1) for i in range(len(firsts))]
    total, grouped = reduce_many(inputs, days, pairs, cuts)
    rows = [retention.month_row(m, t) for m, t in zip(firsts, total, strict=True)]
    return rows, [
        [
            GroupSeries(
                key=key,
                label=label,
                months=[retention.month_row(m, t) for m, t in zip(firsts, steps, strict=True)],
            )
            for key, label, steps in groups
        ]
        for groups in grouped
    ]


def kgi(inputs: Inputs, as_of: date, quarters: int) -> list[KgiPoint]:
    """Seed 004's KGI at each of the last ``quarters`` quarter ends before ``as_of``."""
    ends = quarter_ends(as_of, quarters)
    days = months(add_months(ends[0].replace(day=1), -11), add_months(ends[-1].replace(day=1), 1))
    monthly_pairs = [(i, i + 1) for i in range(len(days) - 1)]
    yearly = [_year(days, end) for end in ends]
    total, _ = reduce(inputs, [month_end_before(d) for d in days], monthly_pairs + yearly, None)
    rows = [retention.month_row(days[i], total[k]) for k, (i, _j) in enumerate(monthly_pairs)]
    points = []
    for q, end in enumerate(ends):
        last = days.index(end.replace(day=1))
        year = retention.figures(total[len(monthly_pairs) + q])
        points.append(retention.kgi_point(end, rows[last - 11 : last + 1], year))
    return points


def _year(days: list[date], quarter_end: date) -> tuple[int, int]:
    """Day indexes of the twelve months ending with ``quarter_end``'s month."""
    month = quarter_end.replace(day=1)
    return days.index(add_months(month, -11)), days.index(add_months(month, 1))


def _steps(reduced: npt.NDArray[np.int64], group: int) -> Totals:
    """[fields × groups × steps] → one ``{field: amount}`` per step of ``group``."""
    return [
        {name: int(reduced[k, group, s]) for k, name in enumerate(movements.FIELDS)}
        for s in range(reduced.shape[2])
    ]
