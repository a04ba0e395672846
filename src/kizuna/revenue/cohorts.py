"""Cohort retention tables. Pure: numpy and plain values.

An account's cohort is the month of its first active day. Column k of a cohort c is
measured on the first day of month c + k + 1 (the e of month c + k), so column 0 is the
state at the end of the cohort's own month:

- logo: accounts of the cohort active that day ÷ accounts in the cohort;
- mrr: the cohort's MRR that day ÷ its MRR in column 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from kizuna.revenue.ledger import Snapshot
from kizuna.revenue.movements import group_sum
from kizuna.revenue.retention import ratio
from kizuna.revenue.schemas import Basis, CohortRow


def month_key(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d.year:04d}-{d.month:02d}"


def cohort_rows(snap: Snapshot, cohort_months: Sequence[date], basis: Basis) -> list[CohortRow]:
    """Rows for ``cohort_months``; ``snap.days`` are the first days of the months after
    each of them (so ``snap.days[t]`` closes ``cohort_months[t]``)."""
    n = len(cohort_months)
    index = {f"{m.year:04d}-{m.month:02d}": i for i, m in enumerate(cohort_months)}
    keys = [month_key(int(o)) for o in snap.first_start.tolist()]
    codes = np.array([index.get(k, n) for k in keys], dtype=np.intp)  # n = outside the range
    size = np.bincount(codes, minlength=n + 1)[:n]
    if basis is Basis.LOGO:
        table = group_sum(snap.active.astype(np.int64), codes, n + 1)[:n]
    else:
        table = group_sum(snap.mrr, codes, n + 1)[:n]
    rows = []
    for c, month in enumerate(cohort_months):
        counts = [int(v) for v in table[c, c:n]]
        base = int(size[c]) if basis is Basis.LOGO else (counts[0] if counts else 0)
        values = [ratio(v, base) for v in counts] + [None] * c
        rows.append(
            CohortRow(
                cohort=f"{month.year:04d}-{month.month:02d}",
                size=int(size[c]),
                base_mrr=int(snap.mrr[codes == c, c].sum()) if snap.size else 0,
                values=values,
                counts=counts,
            )
        )
    return rows
