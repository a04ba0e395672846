"""LTV and CAC payback from ARPA, gross margin, churn and CAC.

Formulas (A = ARPA per month, g = gross margin, c = monthly logo churn, r = 1 − c):

- margin per account per month m = A × g
- expected lifetime = 1 ÷ c months;  LTV = m ÷ c
- LTV/CAC = LTV ÷ CAC (none when CAC is 0)
- CAC payback = CAC ÷ m months (the usual figure: margin of a retained account)
- expected payback = the first month k with m × (1 + r + … + r^(k−1)) ≥ CAC, i.e. counting
  that some accounts churn before paying back; none when LTV ≤ CAC
- the chart: cumulative margin k × m and expected cumulative margin against CAC

Example: ARPA ¥50,000, margin 80 %, churn 2 %, CAC ¥600,000 → m = ¥40,000,
LTV = ¥2,000,000, LTV/CAC = 3.33, CAC payback 15.0 months, expected payback 18 months.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from kizuna.planning import inputs
from kizuna.planning.schemas import PaybackMonth, UnitEconomicsResult


def unit_economics(
    *,
    arpa_amount: int,
    gross_margin: Decimal,
    monthly_churn_rate: Decimal,
    cac_amount: int,
    months: int = 36,
    currency: str = "JPY",
) -> UnitEconomicsResult:
    inputs.check_all(
        lambda: inputs.amount("arpa_amount", arpa_amount, positive=True),
        lambda: inputs.margin("gross_margin", gross_margin),
        lambda: inputs.monthly_churn("monthly_churn_rate", monthly_churn_rate),
        lambda: inputs.amount("cac_amount", cac_amount),
        lambda: inputs.months("months", months),
    )
    g, churn, horizon = gross_margin, monthly_churn_rate, months

    with localcontext() as ctx:
        ctx.prec = 50
        margin = arpa_amount * g
        ltv = margin / churn
        retention = 1 - churn
        series: list[PaybackMonth] = []
        expected, flow = Decimal(0), margin
        for month in range(1, horizon + 1):
            expected += flow
            flow *= retention
            series.append(
                PaybackMonth(
                    month=month,
                    cumulative_margin_amount=inputs.to_minor(margin * month),
                    expected_margin_amount=inputs.to_minor(expected),
                )
            )
        return UnitEconomicsResult(
            currency=currency,
            arpa_amount=arpa_amount,
            gross_margin=g,
            monthly_churn_rate=churn,
            cac_amount=cac_amount,
            months=horizon,
            margin_per_month_amount=inputs.to_minor(margin),
            expected_lifetime_months=inputs.month_count(1 / churn),
            ltv_amount=inputs.to_minor(ltv),
            ltv_to_cac=inputs.ratio_or_none(ltv, Decimal(cac_amount)),
            cac_payback_months=inputs.month_count(cac_amount / margin),
            expected_payback_months=inputs.payback_month(margin, retention, Decimal(cac_amount)),
            series=series,
        )
