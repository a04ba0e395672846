"""Customer-sales pilot ROI (seed 000, 実現のステップ › 小規模パイロット › ROI).

The seed's test of a pilot: one customer-sales person costing ¥1,000,000 a month creates
¥130,000 of new MRR every month; with 2 % monthly churn that MRR is worth
¥130,000 ÷ 0.02 = ¥6,500,000 of lifetime value, so each month ¥1,000,000 of cost creates
¥6,500,000 of LTV and "the ROI works" (other costs ignored, as the seed says).

Formulas (C = monthly cost of the team, M = new MRR the team creates per month, c = monthly
churn, r = 1 − c, n = people):

- C = n × cost per person, M = n × new MRR per person
- LTV created per month L = M ÷ c (a month's new MRR, kept with probability r each month,
  bills M × (1 + r + r² + …) = M ÷ c)
- ROI = L ÷ C (6.5 means 6.5× the cost); net value per month = L − C
- expected customer lifetime = 1 ÷ c months
- payback = the first month k in which one month's new MRR has billed back that month's
  cost: M × (1 + r + … + r^(k−1)) ≥ C; none when L ≤ C (the stream never covers it)
- over the chart's months t = 1…T: cumulative cost t × C, cumulative LTV created t × L,
  and cumulative revenue billed Σ_{s=1..t} M × (1 + r + … + r^(s−1)) (every month's new
  MRR, decaying by churn)
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from kizuna.planning import inputs
from kizuna.planning.schemas import PilotMonth, PilotRoiResult


def pilot_roi(
    *,
    cost_per_person_amount: int,
    new_mrr_per_person_amount: int,
    monthly_churn_rate: Decimal,
    people: Decimal = Decimal(1),
    months: int = 12,
    currency: str = "JPY",
) -> PilotRoiResult:
    """LTV created, ROI, payback and the month-by-month chart of a customer-sales pilot."""
    inputs.check_all(
        lambda: inputs.amount("cost_per_person_amount", cost_per_person_amount, positive=True),
        lambda: inputs.amount("new_mrr_per_person_amount", new_mrr_per_person_amount),
        lambda: inputs.monthly_churn("monthly_churn_rate", monthly_churn_rate),
        lambda: inputs.people("people", people),
        lambda: inputs.months("months", months),
    )
    churn, head_count, horizon = monthly_churn_rate, people, months

    with localcontext() as ctx:
        ctx.prec = 50
        cost = head_count * cost_per_person_amount
        mrr = head_count * new_mrr_per_person_amount
        ltv = mrr / churn
        retention = 1 - churn
        series: list[PilotMonth] = []
        kept = Decimal(0)  # 1 + r + … + r^(t-1): the share of MRR won t months ago still billed,
        power = Decimal(1)  # summed over the cohorts won so far (r^(t-1) is ``power``)
        billed = Decimal(0)
        for month in range(1, horizon + 1):
            kept += power
            power *= retention
            billed += mrr * kept
            series.append(
                PilotMonth(
                    month=month,
                    cumulative_cost_amount=inputs.to_minor(cost * month),
                    cumulative_ltv_amount=inputs.to_minor(ltv * month),
                    cumulative_revenue_amount=inputs.to_minor(billed),
                )
            )
        return PilotRoiResult(
            currency=currency,
            people=head_count,
            months=horizon,
            monthly_churn_rate=churn,
            monthly_cost_amount=inputs.to_minor(cost),
            monthly_new_mrr_amount=inputs.to_minor(mrr),
            ltv_per_person_month_amount=inputs.to_minor(new_mrr_per_person_amount / churn),
            ltv_per_month_amount=inputs.to_minor(ltv),
            roi=inputs.ratio(ltv / cost),
            net_value_per_month_amount=inputs.to_minor(ltv - cost),
            expected_lifetime_months=inputs.month_count(1 / churn),
            payback_months=inputs.payback_month(mrr, retention, cost),
            total_cost_amount=series[-1].cumulative_cost_amount,
            total_ltv_amount=series[-1].cumulative_ltv_amount,
            total_revenue_amount=series[-1].cumulative_revenue_amount,
            series=series,
        )
