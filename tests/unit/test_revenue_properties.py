"""Properties of the revenue figures over random contract histories (hypothesis).

Each example is also checked against a direct, line-by-line reading of the definitions.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.revenue import report
from kizuna.revenue.cuts import AccountAttributes
from kizuna.revenue.ledger import Ledger
from kizuna.revenue.rates_table import RateTable
from kizuna.revenue.schemas import Cut
from kizuna.revenue.windows import months

BASE = date(2024, 1, 1)
Line = tuple[int, int, int, int | None, int]  # account, product, start, end, mrr

lines = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 1),
        st.integers(0, 700),
        st.one_of(st.none(), st.integers(1, 400)),
        st.integers(0, 50_000),
    ).map(lambda t: (t[0], t[1], t[2], None if t[3] is None else t[2] + t[3], t[4])),
    max_size=25,
)
windows = st.tuples(st.integers(0, 700), st.integers(1, 400))


def inputs(rows: list[Line]) -> report.Inputs:
    ledger = Ledger.build(
        account=[r[0] for r in rows],
        product=[r[1] for r in rows],
        currency=["JPY"] * len(rows),
        start=[(BASE + timedelta(days=r[2])).toordinal() for r in rows],
        end=[None if r[3] is None else (BASE + timedelta(days=r[3])).toordinal() for r in rows],
        amount=[r[4] for r in rows],
        n_accounts=6,
        n_products=2,
    )
    attrs = AccountAttributes(
        tier=["tier1", "tier2", None, "tier1", "tier3", "tier2"],
        employee_count=[None, 10, 500, 5000, 99, 100],
        industry=["製造", "", "小売", "製造", "IT", ""],
        owner=[None] * 6,
        owner_names={},
        product_codes=["A", "B"],
        product_names=["A", "B"],
    )
    return report.Inputs(ledger, RateTable(), attrs, "JPY")


def reference(rows: list[Line], s: int, e: int) -> dict[str, int]:
    """The definitions read literally, account by account."""

    def active(a: int, t: int) -> bool:
        return any(r[0] == a and r[2] <= t and (r[3] is None or t < r[3]) for r in rows)

    def mrr(a: int, t: int) -> int:
        return sum(r[4] for r in rows if r[0] == a and r[2] <= t and (r[3] is None or t < r[3]))

    out = dict.fromkeys(("n_start", "n_churned", "start", "end", "churn", "con", "exp"), 0)
    out |= {"new": 0, "react": 0, "kept": 0, "retained": 0}
    for a in {r[0] for r in rows}:
        x, y = mrr(a, s), mrr(a, e)
        on_s, on_e = active(a, s), active(a, e)
        out["start"] += x
        out["end"] += y
        if on_s:
            out["n_start"] += 1
            out["kept"] += min(x, y)
            out["retained"] += y
            if not on_e:
                out["n_churned"] += 1
                out["churn"] += x
            else:
                out["exp"] += max(y - x, 0)
                out["con"] += max(x - y, 0)
        elif on_e:
            before = min(r[2] for r in rows if r[0] == a) < s
            out["react" if before else "new"] += y
    return out


@settings(max_examples=150, deadline=None)
@given(rows=lines, window=windows)
def test_window_matches_the_definitions(rows: list[Line], window: tuple[int, int]) -> None:
    s, e = window[0], window[0] + window[1]
    f, _ = report.window(inputs(rows), BASE + timedelta(days=s), BASE + timedelta(days=e))
    ref = reference(rows, s, e)
    assert (f.n_start, f.n_churned, f.start_mrr, f.end_mrr) == (
        ref["n_start"], ref["n_churned"], ref["start"], ref["end"],
    )  # fmt: skip
    assert (f.churned_mrr, f.contraction_mrr, f.expansion_mrr) == (
        ref["churn"], ref["con"], ref["exp"],
    )  # fmt: skip
    assert (f.new_mrr, f.reactivation_mrr, f.retained_mrr) == (
        ref["new"], ref["react"], ref["retained"],
    )  # fmt: skip
    change = f.new_mrr + f.expansion_mrr + f.reactivation_mrr - f.contraction_mrr - f.churned_mrr
    assert change == f.end_mrr - f.start_mrr
    if f.logo_churn_rate is not None:
        assert 0 <= f.logo_churn_rate <= 1
    if f.grr is not None and f.nrr is not None:
        assert f.grr <= f.nrr
        assert 0 <= f.grr <= 1


@settings(max_examples=60, deadline=None)
@given(rows=lines, by=st.sampled_from(list(Cut)))
def test_monthly_movements_sum_exactly_in_every_group(rows: list[Line], by: Cut) -> None:
    firsts = months(date(2024, 3, 1), date(2025, 8, 1))
    total, groups = report.monthly(inputs(rows), firsts, by)
    for series in [total, *[g.months for g in groups]]:
        for row in series:
            assert row.net_change == row.closing_mrr - row.mrr
            assert row.new_mrr >= 0
            assert row.churned_mrr >= 0
            assert row.contraction_mrr >= 0
    for k, row in enumerate(total):
        assert sum(g.months[k].mrr for g in groups) == row.mrr
        assert sum(g.months[k].closing_mrr for g in groups) == row.closing_mrr
