"""The default scenarios the calculators open with: the seeds' own examples.

- Pilot ROI: seed 000 — one customer-sales person costing ¥1,000,000 a month creating
  ¥130,000 of new MRR a month at 2 % monthly churn (→ ¥6,500,000 LTV, ROI 6.5×).
- Impact model: seed 003 — churn 20 % a year without CS, 10 % with CS, +15 % expansion,
  new-customer revenue $100k, $300k, $800k in years 1-3 as the seed states. The seed's
  table is an image that the text does not carry beyond year 3; years 4-6 ($1.5M, $2.5M,
  $3.5M) continue the curve so that the seed's stated results hold: with zero churn,
  existing customers out-earn new sales from year 5 on; with the CS assumptions, CS's
  share passes a quarter in year 5 (29.0 %) and reaches about 40 % in year 6 (38.3 %).
- Unit economics: an illustrative SaaS (ARPA ¥50,000, margin 80 %, churn 2 %, CAC
  ¥600,000), replaced by actual ARPA and churn when the reader asks for a prefill.
"""

from __future__ import annotations

from decimal import Decimal

from kizuna.planning.schemas import ImpactModelInput, PilotRoiInput, UnitEconomicsInput

PILOT_SEED_000 = PilotRoiInput(
    cost_per_person_amount=1_000_000,
    new_mrr_per_person_amount=130_000,
    monthly_churn_rate=Decimal("0.02"),
    people=Decimal(1),
    months=12,
    currency="JPY",
)

IMPACT_SEED_003 = ImpactModelInput(
    new_revenue_amounts=[
        100_000_00,
        300_000_00,
        800_000_00,
        1_500_000_00,
        2_500_000_00,
        3_500_000_00,
    ],
    churn_without_cs=Decimal("0.20"),
    churn_with_cs=Decimal("0.10"),
    expansion_rate=Decimal("0.15"),
    currency="USD",
)

UNIT_ECONOMICS_EXAMPLE = UnitEconomicsInput(
    arpa_amount=50_000,
    gross_margin=Decimal("0.80"),
    monthly_churn_rate=Decimal("0.02"),
    cac_amount=600_000,
    months=36,
    currency="JPY",
)
