"""Pure rules of the renewals centre: suggested forecast, outcomes, accuracy, MCP progress."""

from __future__ import annotations

from datetime import date

import pytest

from kizuna.models.enums import Tier
from kizuna.models.renewal import ClosingStepStatus, RenewalForecast, RenewalOutcome
from kizuna.renewal import rules
from kizuna.renewal.service import owner_for, periods

F, OC, S = RenewalForecast, RenewalOutcome, ClosingStepStatus


@pytest.mark.parametrize(
    ("band", "probability", "expected", "codes"),
    [
        ("green", None, F.COMMIT, []),
        ("green", 0.1, F.COMMIT, []),
        ("green", 0.25, F.LIKELY, ["churn_risk_elevated"]),
        ("green", 0.5, F.AT_RISK, ["churn_risk_high"]),
        ("yellow", 0.1, F.LIKELY, ["health_yellow"]),
        ("red", None, F.AT_RISK, ["health_red"]),
        ("red", 0.7, F.AT_RISK, ["health_red", "churn_risk_high"]),
        ("unknown", None, F.LIKELY, ["health_unknown"]),
        (None, None, F.LIKELY, ["health_unknown"]),
    ],
)
def test_suggested_forecast_from_health(
    band: str | None, probability: float | None, expected: RenewalForecast, codes: list[str]
) -> None:
    suggestion = rules.suggest(band, probability)
    assert suggestion.forecast is expected
    assert [r["code"] for r in suggestion.reasons] == codes


def test_churn_is_never_suggested() -> None:
    assert all(
        rules.suggest(b, p).forecast is not F.CHURN
        for b in ("green", "yellow", "red", "unknown", None)
        for p in (None, 0.0, 0.3, 0.6, 0.99)
    )


@pytest.mark.parametrize(
    ("stake", "actual", "outcome"),
    [
        (10_000, 10_000, OC.RENEWED),
        (10_000, 12_000, OC.EXPANDED),
        (10_000, 8_000, OC.CONTRACTED),
        (10_000, 0, OC.CHURNED),
        (0, 0, OC.CHURNED),
        (0, 500, OC.EXPANDED),
    ],
)
def test_outcome_of(stake: int, actual: int, outcome: RenewalOutcome) -> None:
    assert rules.outcome_of(stake, actual) is outcome


def test_default_forecast_mrr() -> None:
    assert rules.default_forecast_mrr(F.CHURN, 9_000) == 0
    assert rules.default_forecast_mrr(F.AT_RISK, 9_000) == 9_000
    assert rules.default_forecast_mrr(F.COMMIT, 9_000) == 9_000


def test_settling_window() -> None:
    d = date(2026, 4, 1)
    assert not rules.settles(d, date(2026, 3, 31))
    assert rules.settles(d, d)
    assert rules.settles(d, date(2026, 5, 1))  # 30 days later
    assert not rules.settles(d, date(2026, 5, 2))


def test_category_hits() -> None:
    assert rules.category_hit(F.COMMIT, OC.RENEWED)
    assert rules.category_hit(F.LIKELY, OC.EXPANDED)
    assert not rules.category_hit(F.COMMIT, OC.CONTRACTED)
    assert rules.category_hit(F.AT_RISK, OC.CONTRACTED)
    assert rules.category_hit(F.AT_RISK, OC.CHURNED)
    assert not rules.category_hit(F.AT_RISK, OC.RENEWED)
    assert rules.category_hit(F.CHURN, OC.CHURNED)
    assert not rules.category_hit(F.CHURN, OC.CONTRACTED)


def test_accuracy_by_hand() -> None:
    # forecast 10,000 + 5,000 + 0 = 15,000; actual 10,000 + 2,000 + 3,000 = 15,000 → 100 %
    # hits: commit→renewed ✓, at risk→contracted ✓, churn→expanded ✗ → 2/3
    acc = rules.accuracy(
        [
            (F.COMMIT, OC.RENEWED, 10_000, 10_000, 10_000),
            (F.AT_RISK, OC.CONTRACTED, 5_000, 5_000, 2_000),
            (F.CHURN, OC.EXPANDED, 1_000, 0, 3_000),
        ]
    )
    assert (acc.forecast_mrr, acc.actual_mrr, acc.at_stake_mrr) == (15_000, 15_000, 16_000)
    assert acc.mrr_accuracy == 1.0
    assert (acc.count, acc.hits) == (3, 2)
    assert acc.hit_rate == pytest.approx(2 / 3)
    # 1 − |8,000 − 10,000| / 10,000 = 0.8; never below 0
    assert rules.accuracy([(F.COMMIT, OC.CONTRACTED, 10_000, 10_000, 8_000)]).mrr_accuracy == 0.8
    assert rules.accuracy([(F.COMMIT, OC.EXPANDED, 1, 1_000, 5_000)]).mrr_accuracy == 0.0
    empty = rules.accuracy([])
    assert empty.mrr_accuracy is None
    assert empty.hit_rate is None


def test_progress_and_overdue() -> None:
    today = date(2026, 3, 10)
    steps = [
        rules.StepState(S.DONE, date(2026, 3, 1)),  # done late: not overdue
        rules.StepState(S.IN_PROGRESS, date(2026, 3, 9)),  # overdue
        rules.StepState(S.BLOCKED, date(2026, 3, 10)),  # due today: not overdue
        rules.StepState(S.PLANNED, None),
    ]
    assert rules.progress(steps) == 25
    assert rules.overdue_count(steps, today) == 1
    assert rules.progress([]) == 0
    assert rules.progress([rules.StepState(S.DONE, None)] * 3) == 100
    assert (
        rules.progress([rules.StepState(S.DONE, None), *[rules.StepState(S.PLANNED, None)] * 2])
        == 33
    )


def test_owner_rule() -> None:
    import uuid

    csm, sales = uuid.uuid4(), uuid.uuid4()
    assert owner_for(Tier.TIER1, csm, sales) == sales
    assert owner_for(Tier.TIER1, csm, None) == csm
    assert owner_for(Tier.TIER2, csm, sales) == csm
    assert owner_for(None, None, sales) == sales


def test_periods() -> None:
    months = periods(date(2025, 11, 15), date(2026, 2, 1), "month")
    assert [p[0] for p in months] == ["2025-11", "2025-12", "2026-01"]
    assert months[0][1] == date(2025, 11, 1)
    assert months[-1][2] == date(2026, 2, 1)
    quarters = periods(date(2025, 5, 1), date(2026, 1, 2), "quarter")
    assert [p[0] for p in quarters] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
