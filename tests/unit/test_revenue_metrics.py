"""Revenue and retention definitions on plain values, against hand-computed figures.

The window fixture is worked through in docs/metrics.md ("Worked example").
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

from kizuna.revenue import ledger as ledger_module
from kizuna.revenue import movements, report, sqlite_lines
from kizuna.revenue.cohorts import cohort_rows
from kizuna.revenue.cuts import AccountAttributes, segment_of
from kizuna.revenue.errors import MissingRate
from kizuna.revenue.ledger import Ledger, round_half_even, snapshot
from kizuna.revenue.movements import classify
from kizuna.revenue.rates_table import RateTable
from kizuna.revenue.retention import annualised, ratio
from kizuna.revenue.schemas import Basis, Cut, Movement
from kizuna.revenue.windows import months, quarter_ends

S, E = date(2026, 1, 1), date(2026, 2, 1)
USD = RateTable.of(
    [("USD", date(2025, 1, 1), Decimal("150")), ("USD", date(2026, 1, 20), Decimal("151.5"))]
)


def d(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def ledger(rows: list[tuple[int, int, str, str, str | None, int]], n_accounts: int) -> Ledger:
    """rows: (account, product, currency, start, end or None, mrr_amount)."""
    return Ledger.build(
        account=[r[0] for r in rows],
        product=[r[1] for r in rows],
        currency=[r[2] for r in rows],
        start=[d(r[3]) for r in rows],
        end=[None if r[4] is None else d(r[4]) for r in rows],
        amount=[r[5] for r in rows],
        n_accounts=n_accounts,
        n_products=2,
    )


def attributes(n: int, **overrides: list[object]) -> AccountAttributes:
    values: dict[str, object] = {
        "tier": ["tier1"] * n,
        "employee_count": [None] * n,
        "industry": [""] * n,
        "owner": [None] * n,
        "owner_names": {},
        "product_codes": ["BASE", "OPT"],
        "product_names": ["ベース", "オプション"],
    }
    values.update(overrides)
    return AccountAttributes(**values)  # type: ignore[arg-type]


# A: contraction (a second line ends mid-month); B: churn; C: new (mid-month start);
# D: reactivation; E: expansion (a second product); F: USD, retained, the rate moves;
# G: starts and ends within the window (never on s or e: no figure at all).
WINDOW = [
    (0, 0, "JPY", "2025-06-01", None, 10_000),
    (0, 1, "JPY", "2025-06-01", "2026-01-15", 5_000),
    (1, 0, "JPY", "2025-01-01", "2026-01-20", 20_000),
    (2, 0, "JPY", "2026-01-10", None, 8_000),
    (3, 0, "JPY", "2024-01-01", "2025-01-01", 7_000),
    (3, 0, "JPY", "2026-01-05", None, 9_000),
    (4, 0, "JPY", "2025-03-01", None, 3_000),
    (4, 1, "JPY", "2026-01-15", None, 2_000),
    (5, 0, "USD", "2025-01-01", None, 10_050),
    (6, 0, "JPY", "2026-01-05", "2026-01-25", 4_000),
]
TIERS = ["tier1", "tier2", "tier2", "tier3", "tier1", None, "tier3"]


def window_inputs() -> report.Inputs:
    return report.Inputs(ledger(WINDOW, 7), USD, attributes(7, tier=TIERS), "JPY")


def test_window_figures_by_hand() -> None:
    f, _ = report.window(window_inputs(), S, E)
    # $100.50 × 150 = ¥15,075 on s; × 151.5 = ¥15,225.75 → ¥15,226 on e
    assert (f.n_start, f.n_end, f.n_churned) == (4, 5, 1)
    assert f.start_mrr == 15_000 + 20_000 + 3_000 + 15_075 == 53_075
    assert f.end_mrr == 10_000 + 8_000 + 9_000 + 5_000 + 15_226 == 47_226
    assert f.retained_mrr == 10_000 + 5_000 + 15_226
    assert (f.churned_mrr, f.contraction_mrr, f.expansion_mrr) == (20_000, 5_000, 2_151)
    assert (f.new_mrr, f.reactivation_mrr) == (8_000, 9_000)
    q = Decimal("0.000001")
    assert f.logo_churn_rate == Decimal("0.25")
    assert f.nrr == (Decimal(30_226) / 53_075).quantize(q, ROUND_HALF_EVEN)
    assert f.grr == (Decimal(10_000 + 3_000 + 15_075) / 53_075).quantize(q, ROUND_HALF_EVEN)
    assert f.mrr_churn_rate == (Decimal(25_000) / 53_075).quantize(q, ROUND_HALF_EVEN)
    change = f.new_mrr + f.expansion_mrr + f.reactivation_mrr - f.contraction_mrr - f.churned_mrr
    assert change == f.end_mrr - f.start_mrr


def test_each_account_gets_one_movement() -> None:
    inputs = window_inputs()
    snap = inputs.snapshot([S, E])
    assert classify(snap) == [
        Movement.CONTRACTION,
        Movement.CHURN,
        Movement.NEW,
        Movement.REACTIVATION,
        Movement.EXPANSION,
        Movement.EXPANSION,
        Movement.UNCHANGED,
    ]


def test_groups_add_up_to_the_total() -> None:
    total, groups = report.window(window_inputs(), S, E, Cut.TIER)
    assert [g.key for g in groups] == ["tier1", "tier2", "tier3", "none"]
    tier2 = groups[1].figures
    assert (tier2.n_start, tier2.n_churned, tier2.new_mrr) == (1, 1, 8_000)
    assert sum(g.figures.start_mrr for g in groups) == total.start_mrr
    assert sum(g.figures.end_mrr for g in groups) == total.end_mrr


def test_product_cut_splits_an_accounts_mrr_by_product() -> None:
    total, groups = report.window(window_inputs(), S, E, Cut.PRODUCT)
    by_key = {g.key: g.figures for g in groups}
    assert set(by_key) == {"BASE", "OPT"}
    # account A's option line ended: a churn of that product, while A stays a customer
    assert (by_key["OPT"].n_start, by_key["OPT"].n_churned) == (1, 1)
    assert by_key["OPT"].churned_mrr == 5_000
    # E's option started: new for the option, expansion for the account
    assert by_key["OPT"].new_mrr == 2_000
    assert by_key["BASE"].start_mrr + by_key["OPT"].start_mrr == total.start_mrr
    assert by_key["BASE"].end_mrr + by_key["OPT"].end_mrr == total.end_mrr
    assert total.n_churned == 1  # the totals still count accounts
    assert groups[0].label == "ベース (BASE)"


def test_conversion_rounds_half_even_once_per_account_day() -> None:
    rates = RateTable.of([("USD", date(2020, 1, 1), Decimal("50"))])
    rows = [
        (0, 0, "USD", "2025-01-01", None, 1),  # $0.01 × 50 = ¥0.5 → ¥0 (half to even)
        (1, 0, "USD", "2025-01-01", None, 3),  # ¥1.5 → ¥2
        (2, 0, "USD", "2025-01-01", None, 1),  # two lines: ¥0.5 + ¥0.5 = ¥1, rounded once
        (2, 1, "USD", "2025-01-01", None, 1),
        (3, 0, "JPY", "2025-01-01", None, 100),  # two currencies: ¥100 + ¥1.5 → ¥102
        (3, 1, "USD", "2025-01-01", None, 3),
    ]
    snap = snapshot(ledger(rows, 4), [S], rates, "JPY")
    assert snap.mrr[:, 0].tolist() == [0, 2, 1, 102]
    assert snap.active[:, 0].tolist() == [True] * 4
    assert round_half_even(5, 2) == 2
    assert round_half_even(7, 2) == 4


def test_a_currency_without_a_rate_is_an_error_naming_it() -> None:
    rows = [(0, 0, "EUR", "2025-01-01", None, 100)]
    with pytest.raises(MissingRate) as caught:
        snapshot(ledger(rows, 1), [S], USD, "JPY")
    assert caught.value.params["currency"] == "EUR"
    assert "EUR" in caught.value.message
    before_first_rate = [(0, 0, "USD", "2024-01-01", None, 100)]
    with pytest.raises(MissingRate):
        snapshot(ledger(before_first_rate, 1), [date(2024, 6, 1)], USD, "JPY")


def test_rates_apply_from_their_day() -> None:
    assert USD.rate_on("USD", date(2026, 1, 19), "JPY") == Decimal("150")
    assert USD.rate_on("USD", date(2026, 1, 20), "JPY") == Decimal("151.5")
    assert USD.rate_on("JPY", date(2000, 1, 1), "JPY") == Decimal(1)


def test_empty_denominators_are_none() -> None:
    f, _ = report.window(report.Inputs(ledger([], 0), USD, attributes(0), "JPY"), S, E)
    assert (f.logo_churn_rate, f.nrr, f.grr, f.mrr_churn_rate) == (None, None, None, None)
    assert ratio(1, 0) is None
    assert annualised(None) is None


def test_zero_mrr_line_keeps_an_account_active() -> None:
    rows = [(0, 0, "JPY", "2025-01-01", "2026-01-10", 0)]
    f, _ = report.window(report.Inputs(ledger(rows, 1), USD, attributes(1), "JPY"), S, E)
    assert (f.n_start, f.n_churned, f.churned_mrr, f.logo_churn_rate) == (1, 1, 0, Decimal(1))
    assert f.nrr is None


def test_monthly_series_movements_sum_to_the_mrr_change() -> None:
    rows_, _ = report.monthly(window_inputs(), months(date(2025, 11, 1), date(2026, 2, 1)))
    for row, following in itertools.pairwise(rows_):
        assert row.closing_mrr == following.mrr
        assert row.net_change == row.closing_mrr - row.mrr
        assert row.arr == 12 * row.mrr
    january = rows_[2]
    assert (january.month, january.mrr, january.n_churned) == (S, 53_075, 1)


def test_segment_bands() -> None:
    assert [segment_of(n) for n in (None, 0, 99, 100, 999, 1000)] == [
        "unknown", "smb", "smb", "mid_market", "mid_market", "enterprise",
    ]  # fmt: skip


def test_quarter_ends_are_calendar_quarters_before_the_day() -> None:
    assert quarter_ends(date(2024, 4, 1), 2) == [date(2023, 12, 31), date(2024, 3, 31)]
    assert quarter_ends(date(2024, 3, 31), 1) == [date(2023, 12, 31)]


def test_seed_004_kgi_average_of_twelve_monthly_rates() -> None:
    """Seed 004: 解約率 0.81 % at FY2023 end (四半期末時点の直近12ヶ月平均)."""
    firsts = months(date(2023, 4, 1), date(2024, 4, 1))
    rows: list[tuple[int, int, str, str, str | None, int]] = []
    for a in range(10_000):  # every month opens with 10,000 customers …
        k = a // 81
        # … of which 81 leave during the month (their last day is its 14th) …
        end = (firsts[k] + timedelta(days=14)).isoformat() if k < 12 else None
        rows.append((a, 0, "JPY", "2022-01-01", end, 1_000))
    for k in range(12):  # … and 81 join on its first day
        for j in range(81):
            rows.append((10_000 + 81 * k + j, 0, "JPY", firsts[k].isoformat(), None, 1_000))
    n = 10_000 + 12 * 81
    inputs = report.Inputs(ledger(rows, n), USD, attributes(n), "JPY")
    (point,) = report.kgi(inputs, date(2024, 4, 1), 1)
    assert (point.quarter, point.quarter_end) == ("2024Q1", date(2024, 3, 31))
    assert point.months_counted == 12
    assert point.logo_churn_t12m == Decimal("0.0081") == point.mrr_churn_t12m
    expected = (1 - Decimal("0.9919") ** 12).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
    assert point.logo_churn_annualised == expected == Decimal("0.092985")
    assert point.nrr_12m == Decimal("0.9028") == point.grr_12m  # 12 × 81 of 10,000 left


def test_cohort_tables_by_month_since_start() -> None:
    rows = [
        (0, 0, "JPY", "2025-01-01", None, 1_000),
        (1, 0, "JPY", "2025-01-15", "2025-03-01", 3_000),  # leaves after February
        (2, 0, "JPY", "2025-02-01", None, 2_000),
        (2, 1, "JPY", "2025-03-10", None, 500),  # expands in March
    ]
    cohorts = months(date(2025, 1, 1), date(2025, 3, 1))
    days = [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    snap = snapshot(ledger(rows, 3), days, USD, "JPY")
    logo = cohort_rows(snap, cohorts, Basis.LOGO)
    assert [(r.cohort, r.size) for r in logo] == [("2025-01", 2), ("2025-02", 1), ("2025-03", 0)]
    assert logo[0].values == [Decimal(1), Decimal("0.5"), Decimal("0.5")]
    assert logo[1].values == [Decimal(1), Decimal(1), None]
    assert logo[2].values == [None, None, None]
    mrr = cohort_rows(snap, cohorts, Basis.MRR)
    assert mrr[0].counts == [4_000, 1_000, 1_000]
    assert mrr[0].base_mrr == 4_000
    assert mrr[1].values == [Decimal(1), Decimal("1.25"), None]


def test_fixed_width_dates_and_amounts_decode_exactly() -> None:
    days = ["1970-01-01", "2000-02-29", "2024-12-31", "2026-03-01", "9999-12-31", "0001-01-01"]
    column = np.array([x.encode() for x in days], dtype="S10")
    assert sqlite_lines._ordinals(column).tolist() == [
        date.fromisoformat(x).toordinal() for x in days
    ]
    amounts = np.array([b"0000000000000000", b"1000000000000000", b"0000000000123456"])
    assert sqlite_lines._integers(amounts).tolist() == [0, 10**15, 123_456]


def test_lines_starting_after_the_window_make_no_group() -> None:
    rows = [(0, 0, "JPY", "2025-01-01", None, 1_000), (1, 0, "JPY", "2026-03-01", None, 9)]
    inputs = report.Inputs(ledger(rows, 2), USD, attributes(2, tier=["tier1", "tier2"]), "JPY")
    total, groups = report.window(inputs, S, E, Cut.TIER)
    assert [g.key for g in groups] == ["tier1"]
    assert total.end_mrr == 1_000


def test_blocks_give_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    firsts = months(date(2025, 5, 1), date(2026, 2, 1))
    whole = report.monthly(window_inputs(), firsts, Cut.PRODUCT)
    monkeypatch.setattr(ledger_module, "ATOM_BLOCK", 2)
    monkeypatch.setattr(movements, "BLOCK", 3)
    assert report.monthly(window_inputs(), firsts, Cut.PRODUCT) == whole
