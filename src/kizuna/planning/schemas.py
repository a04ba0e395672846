"""Planning calculators' inputs and results (API bodies and the pages' view models).

Money is integer minor units plus ``currency``; rates and shares are Decimal ratios
(0.02 = 2 %). Range rules live in the calculators (``planning/inputs.py``) so the API,
the pages and the tests share one set of messages.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

CURRENCY_PATTERN = r"^[A-Z]{3}$"


# --- customer-sales pilot ROI (seed 000) ---------------------------------------------


class PilotRoiInput(BaseModel):
    cost_per_person_amount: int = Field(
        description="what one customer-sales person costs per month, in minor units"
    )
    new_mrr_per_person_amount: int = Field(
        description="new MRR (new + expansion) one person creates per month, in minor units"
    )
    monthly_churn_rate: Decimal = Field(
        description="monthly MRR churn as a ratio (0.02 = 2 %); more than 0, at most 1"
    )
    people: Decimal = Field(default=Decimal(1), description="head count; 0.5 is allowed")
    months: int = Field(default=12, description="months shown in the chart, 1-120")
    currency: str = Field(default="JPY", pattern=CURRENCY_PATTERN)


class PilotMonth(BaseModel):
    month: int
    cumulative_cost_amount: int
    cumulative_ltv_amount: int = Field(description="lifetime value created so far")
    cumulative_revenue_amount: int = Field(description="revenue actually billed so far")


class PilotRoiResult(BaseModel):
    currency: str
    people: Decimal
    months: int
    monthly_churn_rate: Decimal
    monthly_cost_amount: int = Field(description="people × cost per person")
    monthly_new_mrr_amount: int = Field(description="people × new MRR per person")
    ltv_per_person_month_amount: int = Field(description="new MRR per person ÷ churn")
    ltv_per_month_amount: int = Field(description="LTV the team creates each month")
    roi: Decimal = Field(description="LTV created ÷ cost (6.5 = 6.5×)")
    net_value_per_month_amount: int = Field(description="LTV created − cost, per month")
    expected_lifetime_months: Decimal = Field(description="1 ÷ monthly churn")
    payback_months: int | None = Field(
        description="months until one month's new MRR has billed back that month's cost; "
        "null when its whole LTV does not cover the cost"
    )
    total_cost_amount: int
    total_ltv_amount: int
    total_revenue_amount: int
    series: list[PilotMonth]


# --- CS revenue impact model (seed 003) ----------------------------------------------


class ImpactModelInput(BaseModel):
    new_revenue_amounts: list[int] = Field(
        min_length=1,
        max_length=30,
        description="revenue from customers won in each year (year 1 first), in minor units",
    )
    churn_without_cs: Decimal = Field(description="annual churn without CS (0.20 = 20 %)")
    churn_with_cs: Decimal = Field(description="annual churn with CS (0.10 = 10 %)")
    expansion_rate: Decimal = Field(description="annual expansion with CS (0.15 = +15 %)")
    currency: str = Field(default="USD", pattern=CURRENCY_PATTERN)


class ImpactYear(BaseModel):
    year: int
    new_amount: int = Field(description="revenue from customers won this year (sales)")
    retained_without_cs_amount: int = Field(
        description="existing customers' revenue the business keeps without CS (inertia)"
    )
    added_by_cs_amount: int = Field(description="existing customers' revenue CS adds")
    existing_amount: int = Field(description="existing customers' revenue with CS")
    total_amount: int = Field(description="total revenue with CS")
    total_without_cs_amount: int
    existing_share: Decimal | None = Field(description="existing ÷ total, with CS")
    cs_share: Decimal | None = Field(
        description="added by CS ÷ (added by CS + new): CS against sales (the seed's figure)"
    )
    cs_share_of_total: Decimal | None = Field(description="added by CS ÷ total revenue")


class ImpactModelResult(BaseModel):
    currency: str
    churn_without_cs: Decimal
    churn_with_cs: Decimal
    expansion_rate: Decimal
    net_churn_with_cs: Decimal = Field(description="churn with CS − expansion (−0.05 = −5 %)")
    years: list[ImpactYear]
    first_year_existing_exceeds_new: int | None
    total_added_by_cs_amount: int


# --- LTV and CAC payback -------------------------------------------------------------


class UnitEconomicsInput(BaseModel):
    arpa_amount: int = Field(description="average revenue per account per month, minor units")
    gross_margin: Decimal = Field(description="gross margin as a ratio (0.8 = 80 %)")
    monthly_churn_rate: Decimal = Field(description="monthly logo churn (0.02 = 2 %)")
    cac_amount: int = Field(description="acquisition cost of one account, minor units")
    months: int = Field(default=36, description="months shown in the chart, 1-120")
    currency: str = Field(default="JPY", pattern=CURRENCY_PATTERN)


class PaybackMonth(BaseModel):
    month: int
    cumulative_margin_amount: int = Field(description="gross margin billed, no churn")
    expected_margin_amount: int = Field(description="gross margin expected, with churn")


class UnitEconomicsResult(BaseModel):
    currency: str
    arpa_amount: int
    gross_margin: Decimal
    monthly_churn_rate: Decimal
    cac_amount: int
    months: int
    margin_per_month_amount: int = Field(description="ARPA × gross margin")
    expected_lifetime_months: Decimal = Field(description="1 ÷ monthly churn")
    ltv_amount: int = Field(description="ARPA × gross margin ÷ monthly churn")
    ltv_to_cac: Decimal | None = Field(description="LTV ÷ CAC; null when CAC is 0")
    cac_payback_months: Decimal = Field(description="CAC ÷ (ARPA × gross margin)")
    expected_payback_months: int | None = Field(
        description="first month the churn-adjusted margin covers CAC; null if never"
    )
    series: list[PaybackMonth]


# --- prefill from actual data ---------------------------------------------------------


class PilotPrefill(BaseModel):
    """Pilot inputs measured on a team's accounts over [start, end)."""

    team_id: uuid.UUID
    team_name: str
    start: date
    end: date
    months: int = Field(description="calendar months in the period")
    members: int = Field(description="active users in the team")
    currency: str
    new_mrr_amount: int = Field(
        description="new + expansion MRR on accounts a member owns as sales or AE owner"
    )
    new_mrr_per_person_amount: int | None = Field(
        description="new_mrr_amount ÷ members ÷ months; null when the team has no member"
    )
    monthly_churn_rate: Decimal | None = Field(
        description="the company's average monthly MRR churn over the period"
    )
    accounts: int = Field(description="accounts a member owns as sales or AE owner")


class UnitEconomicsPrefill(BaseModel):
    """Unit-economics inputs measured on the whole company over [start, end)."""

    start: date
    end: date
    currency: str
    arpa_amount: int | None = Field(description="MRR ÷ active accounts at the end")
    monthly_churn_rate: Decimal | None = Field(
        description="average monthly logo churn over the period"
    )
    active_accounts: int
    mrr_amount: int
