"""MRR movements and retention components between two days. Pure: numpy only.

For one entity (account, or account × product) and one step from s to e, with a = MRR on
s, b = MRR on e and "active" as in ``ledger``:

- active on s and on e: expansion b − a when b > a, contraction a − b when a > b;
- active on s, not on e: churn a;
- active on e, not on s: reactivation b when the entity was active on some day before s
  (its first active day is before s), otherwise new b.

So new + expansion + reactivation − contraction − churn = Σb − Σa exactly, per entity and
in total. GRR's numerator ("kept") is Σ min(a, b) over the entities active on s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kizuna.revenue.ledger import I64, Bools, Snapshot
from kizuna.revenue.schemas import Movement

FIELDS = (
    "n_start",
    "n_end",
    "n_churned",
    "start_mrr",
    "end_mrr",
    "retained_mrr",
    "churned_mrr",
    "contraction_mrr",
    "expansion_mrr",
    "new_mrr",
    "reactivation_mrr",
    "kept_mrr",
)
_EXACT_FLOAT = 2**53  # integers up to here add exactly in float64
# Entities are processed in blocks: arrays stay small enough for the allocator to reuse
# (large ones are mapped and unmapped, page-faulting on every use) and for the caches.
BLOCK = 16_384
Values = npt.NDArray[np.int64] | npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Steps:
    """Per entity and step: MRR and activity on s and on e, and "active before s"."""

    a: I64
    b: I64
    on_s: Bools
    on_e: Bools
    before: Bools

    @classmethod
    def of(cls, snap: Snapshot, pairs: Sequence[tuple[int, int]]) -> Steps:
        i = np.array([p[0] for p in pairs], dtype=np.intp)
        j = np.array([p[1] for p in pairs], dtype=np.intp)
        days = np.array([d.toordinal() for d in snap.days], dtype=np.int64)
        c = np.ascontiguousarray  # column picks come back strided; sums want rows
        return cls(
            a=c(snap.mrr[:, i]),
            b=c(snap.mrr[:, j]),
            on_s=c(snap.active[:, i]),
            on_e=c(snap.active[:, j]),
            before=snap.first_start[:, None] < days[i][None, :],
        )


def components(snap: Snapshot, pairs: Sequence[tuple[int, int]], field: str) -> Values:
    """One component, per entity and step: an [entities × steps] array (int64, or bool for
    the counts)."""
    return _component(Steps.of(snap, pairs), field)


def _component(st: Steps, field: str) -> Values:
    a, b, on_s, on_e = st.a, st.b, st.on_s, st.on_e
    zero = np.int64(0)
    if field == "n_start":
        return on_s
    if field == "n_end":
        return on_e
    if field == "n_churned":
        return on_s & ~on_e  # counted as 0/1 by the sums
    if field == "start_mrr":
        return a
    if field == "end_mrr":
        return b
    if field == "retained_mrr":
        return np.where(on_s, b, zero)
    if field == "churned_mrr":
        return np.where(on_s & ~on_e, a, zero)
    if field == "contraction_mrr":
        return np.where(on_s & on_e & (a > b), a - b, zero)
    if field == "expansion_mrr":
        return np.where(on_s & on_e & (b > a), b - a, zero)
    if field == "new_mrr":
        return np.where(~on_s & on_e & ~st.before, b, zero)
    if field == "reactivation_mrr":
        return np.where(~on_s & on_e & st.before, b, zero)
    if field == "kept_mrr":
        return np.where(on_s, np.minimum(a, b), zero)
    raise ValueError(f"unknown component {field!r}")


def group_sum(values: Values, codes: npt.NDArray[np.intp], groups: int) -> I64:
    """Sum the rows of ``values`` [entities × steps] by group code: [groups × steps], exact."""
    return _Summer(codes, groups, values.shape[1], _bound(values)).sum(values)


class _Summer:
    """Sums [entities × steps] arrays by group. ``np.bincount`` adds in float64, which is
    exact while every partial sum stays below 2^53 (checked with ``bound``, an upper limit
    of |value| × entities); otherwise Python integers add exactly."""

    def __init__(self, codes: npt.NDArray[np.intp], groups: int, steps: int, bound: int):
        self.codes, self.groups, self.steps = codes, groups, steps
        self.exact_float = bound < _EXACT_FLOAT
        self.flat = (codes[:, None] * steps + np.arange(steps)).ravel()

    def sum(self, values: Values) -> I64:
        if values.size == 0:
            return np.zeros((self.groups, self.steps), dtype=np.int64)
        if self.groups == 1:  # the totals: int64 sums are exact
            totals: I64 = values.sum(axis=0, dtype=np.int64)[None, :]
            return totals
        if self.exact_float:
            sums = np.bincount(
                self.flat, weights=values.ravel(), minlength=self.groups * self.steps
            )
            return np.rint(sums).astype(np.int64).reshape(self.groups, self.steps)
        out = np.zeros((self.groups, self.steps), dtype=object)
        np.add.at(out, self.codes, values.astype(object))
        return out.astype(np.int64)


def _bound(values: Values) -> int:
    return int(np.abs(values).max(initial=0)) * max(int(values.shape[0]), 1)


# Summed directly per pair; the other components follow from these and the per-day sums.
_SUMMED = ("n_churned", "churned_mrr", "contraction_mrr", "expansion_mrr", "new_mrr")


def reduce(
    snap: Snapshot,
    pairs: Sequence[tuple[int, int]],
    groupings: Sequence[tuple[npt.NDArray[np.intp], int]],
) -> list[I64]:
    """Every component summed per group, for each grouping: [fields × groups × steps].

    A grouping is (group code per entity, number of groups); the totals are the grouping
    with a single group, and entities are taken a block at a time. Only five components
    are summed per entity and step; the rest
    follow exactly from them and from the per-day sums of activity and MRR (MRR is never
    negative and is 0 on a day an entity is not active):

    - n_start, n_end, start_mrr, end_mrr: the per-day sums on s and on e;
    - kept = start − churned − contraction (min(a, b) for every entity active on s);
    - retained = start − churned + expansion − contraction (b for every entity active on s);
    - reactivation = end − retained − new (b for the entities active on e but not on s).
    """
    # every component is at most max(MRR) per entity (or 1 for counts)
    bound = max(int(snap.mrr.max(initial=0)), 1) * max(snap.size, 1)
    i = np.array([p[0] for p in pairs], dtype=np.intp)
    j = np.array([p[1] for p in pairs], dtype=np.intp)
    sums = [
        {f: np.zeros((n, len(pairs)), dtype=np.int64) for f in _SUMMED}
        | {"on_day": np.zeros((n, len(snap.days)), dtype=np.int64),
           "mrr_on_day": np.zeros((n, len(snap.days)), dtype=np.int64)}
        for _, n in groupings
    ]  # fmt: skip
    for block in range(0, max(snap.size, 1), BLOCK):
        part = snap.rows(slice(block, block + BLOCK))
        st = Steps.of(part, pairs)
        summed = {field: _component(st, field) for field in _SUMMED}
        for (codes, n), acc in zip(groupings, sums, strict=True):
            local = codes[block : block + BLOCK]
            per_pair = _Summer(local, n, len(pairs), bound)
            per_day = _Summer(local, n, len(snap.days), bound)
            for field, values in summed.items():
                acc[field] += per_pair.sum(values)
            acc["on_day"] += per_day.sum(part.active)
            acc["mrr_on_day"] += per_day.sum(part.mrr)
    out = []
    for t in sums:
        t["n_start"], t["n_end"] = t["on_day"][:, i], t["on_day"][:, j]
        t["start_mrr"], t["end_mrr"] = t["mrr_on_day"][:, i], t["mrr_on_day"][:, j]
        t["kept_mrr"] = t["start_mrr"] - t["churned_mrr"] - t["contraction_mrr"]
        t["retained_mrr"] = t["kept_mrr"] + t["expansion_mrr"]
        t["reactivation_mrr"] = t["end_mrr"] - t["retained_mrr"] - t["new_mrr"]
        out.append(np.stack([t[field] for field in FIELDS]))
    return out


def classify(snap: Snapshot, i: int = 0, j: int = 1) -> list[Movement]:
    """The movement of each entity from ``days[i]`` to ``days[j]``."""
    kinds = np.full(snap.size, "", dtype=object)
    pairs = [(i, j)]
    for field, kind in (
        ("new_mrr", Movement.NEW),
        ("reactivation_mrr", Movement.REACTIVATION),
        ("expansion_mrr", Movement.EXPANSION),
        ("contraction_mrr", Movement.CONTRACTION),
    ):
        kinds[components(snap, pairs, field)[:, 0] > 0] = kind
    came = ~snap.active[:, i] & snap.active[:, j]
    before = snap.first_start < snap.days[i].toordinal()
    kinds[came & before & (kinds == "")] = Movement.REACTIVATION
    kinds[came & ~before & (kinds == "")] = Movement.NEW
    kinds[snap.active[:, i] & ~snap.active[:, j]] = Movement.CHURN
    kinds[kinds == ""] = Movement.UNCHANGED
    return [Movement(k) for k in kinds.tolist()]
