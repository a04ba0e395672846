"""Planning calculators on plain values: the seeds' own examples and hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kizuna.kit.errors import Invalid
from kizuna.planning.impact_model import impact_model
from kizuna.planning.inputs import payback_month
from kizuna.planning.pilot_roi import pilot_roi
from kizuna.planning.scenarios import IMPACT_SEED_003, PILOT_SEED_000
from kizuna.planning.unit_economics import unit_economics

D = Decimal


def problem_of(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    (problem,) = exc.value.problems
    return str(problem.loc[-1]), problem.code


# --- seed 000: customer-sales pilot ROI ----------------------------------------------


def test_seed_000_example_one_person_creates_6_5_million_of_ltv() -> None:
    """¥1,000,000 a month, ¥130,000 new MRR a month, 2 % churn → ¥6,500,000 LTV (6.5×)."""
    result = pilot_roi(**PILOT_SEED_000.model_dump())
    assert result.ltv_per_person_month_amount == 6_500_000
    assert result.ltv_per_month_amount == 6_500_000
    assert result.roi == D("6.5")
    assert result.net_value_per_month_amount == 5_500_000
    assert result.expected_lifetime_months == D("50")
    # 130,000 × (1 − 0.98^k) ÷ 0.02 ≥ 1,000,000 first holds at k = 9 (0.98^9 = 0.8337).
    assert result.payback_months == 9


def test_pilot_series_cumulates_cost_ltv_and_billed_revenue() -> None:
    result = pilot_roi(
        cost_per_person_amount=1_000_000,
        new_mrr_per_person_amount=130_000,
        monthly_churn_rate=D("0.02"),
        months=3,
    )
    # month 1 bills the first cohort once; month 2 bills it ×0.98 plus a new cohort; …
    assert [(p.cumulative_cost_amount, p.cumulative_ltv_amount) for p in result.series] == [
        (1_000_000, 6_500_000),
        (2_000_000, 13_000_000),
        (3_000_000, 19_500_000),
    ]
    billed = [p.cumulative_revenue_amount for p in result.series]
    assert billed == [130_000, 130_000 + 257_400, 130_000 + 257_400 + 382_252]
    assert (result.total_cost_amount, result.total_revenue_amount) == (3_000_000, 769_652)


def test_pilot_half_a_person_and_rounding_half_even() -> None:
    result = pilot_roi(
        cost_per_person_amount=1_000_001,
        new_mrr_per_person_amount=100_001,
        monthly_churn_rate=D("0.03"),
        people=D("0.5"),
        months=1,
    )
    assert result.monthly_cost_amount == 500_000  # 500,000.5 → even
    assert result.monthly_new_mrr_amount == 50_000  # 50,000.5 → even
    assert result.ltv_per_month_amount == 1_666_683  # 50,000.5 ÷ 0.03 = 1,666,683.33
    assert result.roi == D("3.3334")  # 1,666,683.33 ÷ 500,000.5


def test_pilot_that_never_pays_back() -> None:
    # LTV = 10,000 ÷ 0.5 = 20,000 < 30,000 of cost: the stream never covers one month's cost.
    result = pilot_roi(
        cost_per_person_amount=30_000, new_mrr_per_person_amount=10_000, monthly_churn_rate=D("0.5")
    )
    assert result.payback_months is None
    assert result.roi == D("0.6667")
    # exactly equal LTV and cost is never reached either
    assert payback_month(D(10_000), D("0.5"), D(20_000)) is None
    assert payback_month(D(10_000), D("0.5"), D(15_000)) == 2


@pytest.mark.parametrize(
    ("field", "changes", "code"),
    [
        ("monthly_churn_rate", {"monthly_churn_rate": D(0)}, "churn_range"),
        ("monthly_churn_rate", {"monthly_churn_rate": D("1.01")}, "churn_range"),
        ("monthly_churn_rate", {"monthly_churn_rate": D("-0.01")}, "churn_range"),
        ("cost_per_person_amount", {"cost_per_person_amount": 0}, "positive_amount"),
        ("new_mrr_per_person_amount", {"new_mrr_per_person_amount": -1}, "amount_range"),
        ("people", {"people": D(0)}, "people_range"),
        ("months", {"months": 121}, "months_range"),
    ],
)
def test_pilot_bad_input_names_the_field(field: str, changes: dict[str, object], code: str) -> None:
    with pytest.raises(Invalid) as exc:
        pilot_roi(**{**PILOT_SEED_000.model_dump(), **changes})  # type: ignore[arg-type]
    assert problem_of(exc) == (field, code)


def test_full_churn_is_allowed_and_means_one_month_of_revenue() -> None:
    result = pilot_roi(
        cost_per_person_amount=100, new_mrr_per_person_amount=100, monthly_churn_rate=D(1)
    )
    assert (result.ltv_per_month_amount, result.roi, result.payback_months) == (100, D(1), 1)


# --- seed 003: CS revenue impact model -------------------------------------------------


def test_seed_003_default_scenario_reproduces_the_seeds_statements() -> None:
    """20 % → 10 % churn and +15 % expansion (net −5 %): CS's share passes a quarter in
    year 5 and is about 40 % in year 6."""
    result = impact_model(**IMPACT_SEED_003.model_dump())
    assert result.net_churn_with_cs == D("-0.05")
    assert [y.new_amount for y in result.years[:3]] == [100_000_00, 300_000_00, 800_000_00]
    shares = [y.cs_share or D(0) for y in result.years]
    assert shares[3] < D("0.25")
    assert D("0.25") < shares[4] < D("0.30")  # "5年目には全体の4分の1超"
    assert abs(shares[5] - D("0.40")) <= D("0.025")  # "6年目には約40%"
    assert shares == sorted(shares)  # the share keeps growing
    assert (shares[4], shares[5]) == (D("0.2896"), D("0.3829"))


def test_impact_model_year_two_by_hand() -> None:
    """Year 2: last year's $100k kept at 80 % without CS ($80k), at 105 % with CS ($105k)."""
    result = impact_model(**IMPACT_SEED_003.model_dump())
    one, two, three = result.years[:3]
    assert (one.existing_amount, one.added_by_cs_amount, one.cs_share) == (0, 0, D(0))
    assert two.retained_without_cs_amount == 80_000_00
    assert two.existing_amount == 105_000_00
    assert two.added_by_cs_amount == 25_000_00
    assert two.total_amount == 405_000_00
    assert two.total_without_cs_amount == 380_000_00
    assert two.cs_share == D("0.0769")  # 25 ÷ (25 + 300)
    assert two.existing_share == D("0.2593")  # 105 ÷ 405
    # Year 3: 380k × 0.8 = 304k kept; 405k × 1.05 = 425.25k with CS.
    assert (three.retained_without_cs_amount, three.existing_amount) == (304_000_00, 425_250_00)
    assert three.added_by_cs_amount == 121_250_00


def test_seed_003_zero_churn_table_existing_customers_overtake_sales_in_year_5() -> None:
    """The seed's first table: with 0 % churn, existing customers' revenue (everything sold
    before) exceeds new sales from year 5 on."""
    result = impact_model(
        new_revenue_amounts=IMPACT_SEED_003.new_revenue_amounts,
        churn_without_cs=D(0),
        churn_with_cs=D(0),
        expansion_rate=D(0),
    )
    assert [y.existing_amount for y in result.years] == [
        0,
        100_000_00,
        400_000_00,
        1_200_000_00,
        2_700_000_00,
        5_200_000_00,
    ]
    assert result.first_year_existing_exceeds_new == 5
    assert all(y.added_by_cs_amount == 0 for y in result.years)


def test_impact_rows_add_up_exactly() -> None:
    result = impact_model(
        new_revenue_amounts=[333, 777, 1],
        churn_without_cs=D("0.333"),
        churn_with_cs=D("0.111"),
        expansion_rate=D("0.077"),
        currency="JPY",
    )
    for y in result.years:
        assert y.retained_without_cs_amount + y.added_by_cs_amount == y.existing_amount
        assert y.new_amount + y.existing_amount == y.total_amount


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"churn_with_cs": D("0.3")}, ("churn_with_cs", "churn_order")),
        ({"churn_without_cs": D("1.5")}, ("churn_without_cs", "rate_range")),
        ({"expansion_rate": D("-0.1")}, ("expansion_rate", "expansion_range")),
        ({"new_revenue_amounts": []}, ("new_revenue_amounts", "years_range")),
        ({"new_revenue_amounts": [1, -5]}, ("new_revenue_amounts.2", "amount_range")),
    ],
)
def test_impact_bad_input_names_the_field(
    changes: dict[str, object], problem: tuple[str, str]
) -> None:
    with pytest.raises(Invalid) as exc:
        impact_model(**{**IMPACT_SEED_003.model_dump(), **changes})  # type: ignore[arg-type]
    assert problem_of(exc) == problem


# --- LTV and CAC payback ------------------------------------------------------------


def test_unit_economics_by_hand() -> None:
    result = unit_economics(
        arpa_amount=50_000, gross_margin=D("0.8"), monthly_churn_rate=D("0.02"), cac_amount=600_000
    )
    assert result.margin_per_month_amount == 40_000
    assert result.ltv_amount == 2_000_000
    assert result.ltv_to_cac == D("3.3333")
    assert result.cac_payback_months == D("15.0")
    # 40,000 × (1 − 0.98^k) ÷ 0.02 ≥ 600,000 ⇔ 0.98^k ≤ 0.7: k = 18 (0.98^17 = 0.709).
    assert result.expected_payback_months == 18
    first, second = result.series[:2]
    assert (first.cumulative_margin_amount, first.expected_margin_amount) == (40_000, 40_000)
    assert (second.cumulative_margin_amount, second.expected_margin_amount) == (80_000, 79_200)


def test_unit_economics_free_acquisition_and_unreachable_payback() -> None:
    free = unit_economics(
        arpa_amount=1000, gross_margin=D(1), monthly_churn_rate=D("0.1"), cac_amount=0
    )
    assert (free.ltv_to_cac, free.cac_payback_months, free.expected_payback_months) == (
        None,
        D(0),
        0,
    )
    costly = unit_economics(
        arpa_amount=1000, gross_margin=D("0.5"), monthly_churn_rate=D("0.1"), cac_amount=6000
    )
    assert costly.ltv_amount == 5000
    assert costly.expected_payback_months is None  # LTV 5,000 never covers CAC 6,000
    assert costly.cac_payback_months == D(12)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"gross_margin": D(0)}, ("gross_margin", "margin_range")),
        ({"monthly_churn_rate": D(0)}, ("monthly_churn_rate", "churn_range")),
        ({"arpa_amount": 0}, ("arpa_amount", "positive_amount")),
        ({"cac_amount": -1}, ("cac_amount", "amount_range")),
    ],
)
def test_unit_economics_bad_input_names_the_field(
    changes: dict[str, object], problem: tuple[str, str]
) -> None:
    base = {
        "arpa_amount": 50_000,
        "gross_margin": D("0.8"),
        "monthly_churn_rate": D("0.02"),
        "cac_amount": 600_000,
    }
    with pytest.raises(Invalid) as exc:
        unit_economics(**{**base, **changes})  # type: ignore[arg-type]
    assert problem_of(exc) == problem
