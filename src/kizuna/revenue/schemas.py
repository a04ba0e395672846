"""API shapes of revenue and retention figures (C3), and of exchange rates.

Money is integer minor units of the report's ``currency`` (JPY by default: yen). Rates are
``Decimal`` ratios (0.0123 = 1.23 %), rounded half-even to six places; a rate whose
denominator is zero (no accounts, no MRR) is ``None``, shown as "—". Definitions, formulas
and worked examples: docs/metrics.md.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Cut(StrEnum):
    """How figures are split into groups."""

    TIER = "tier"
    SEGMENT = "segment"  # company-size band from employee_count (issue 7 brings segments)
    OWNER = "owner"  # the CSM owner
    PRODUCT = "product"  # an account's MRR split by product
    INDUSTRY = "industry"
    COHORT = "cohort"  # month of the account's first active day, "YYYY-MM"


class Basis(StrEnum):
    """What a cohort table counts."""

    LOGO = "logo"
    MRR = "mrr"


class Movement(StrEnum):
    """Why one account's MRR changed between s and e (exactly one per account)."""

    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"
    UNCHANGED = "unchanged"


class Figure(StrEnum):
    """A figure that can be drilled down to the accounts behind it."""

    START = "start"  # active on s (n_start, start_mrr)
    END = "end"  # active on e (end_mrr)
    RETAINED = "retained"  # active on s and on e
    CHURNED = "churned"  # active on s, not on e (n_churned, churned_mrr)
    CONTRACTION = "contraction"
    EXPANSION = "expansion"
    NEW = "new"
    REACTIVATION = "reactivation"


class WindowFigures(BaseModel):
    """Retention over the window [start, end): state on ``start`` (s) against ``end`` (e)."""

    n_start: int = Field(description="accounts active on s")
    n_end: int = Field(description="accounts active on e")
    n_churned: int = Field(description="accounts active on s and not active on e")
    start_mrr: int = Field(description="MRR on s")
    end_mrr: int = Field(description="MRR on e (every account active on e)")
    retained_mrr: int = Field(description="MRR on e of the accounts active on s")
    churned_mrr: int = Field(description="MRR on s of the churned accounts")
    contraction_mrr: int = Field(description="MRR lost by retained accounts that shrank")
    expansion_mrr: int = Field(description="MRR gained by retained accounts that grew")
    new_mrr: int = Field(description="MRR on e of accounts never active before s")
    reactivation_mrr: int = Field(description="MRR on e of accounts that had churned before s")
    logo_churn_rate: Decimal | None = Field(description="n_churned ÷ n_start")
    nrr: Decimal | None = Field(description="retained_mrr ÷ start_mrr")
    grr: Decimal | None = Field(description="Σ min(MRR on e, MRR on s) ÷ start_mrr")
    mrr_churn_rate: Decimal | None = Field(
        description="(churned_mrr + contraction_mrr) ÷ start_mrr"
    )


class GroupKey(BaseModel):
    key: str = Field(description="stable key of the group (a tier code, a user id, 'YYYY-MM')")
    label: str = Field(description="display name of the group")


class GroupWindow(GroupKey):
    figures: WindowFigures


class WindowReport(BaseModel):
    start: date
    end: date
    currency: str
    by: Cut | None = None
    figures: WindowFigures
    groups: list[GroupWindow] = Field(default_factory=list)


class MonthRow(BaseModel):
    """One calendar month m: s = its first day, e = the first day of the next month."""

    month: date = Field(description="first day of the month (s)")
    mrr: int = Field(description="MRR on the month's first day")
    arr: int = Field(description="12 × mrr")
    active_accounts: int = Field(description="accounts active on the month's first day")
    closing_mrr: int = Field(description="MRR on the first day of the next month (e)")
    closing_accounts: int
    new_mrr: int
    expansion_mrr: int
    contraction_mrr: int = Field(description="positive amount lost")
    churned_mrr: int = Field(description="positive amount lost")
    reactivation_mrr: int
    net_change: int = Field(
        description="new + expansion + reactivation − contraction − churned = closing − mrr"
    )
    n_churned: int
    logo_churn_rate: Decimal | None
    nrr: Decimal | None
    grr: Decimal | None
    mrr_churn_rate: Decimal | None


class GroupSeries(GroupKey):
    months: list[MonthRow]


class MonthlySeries(BaseModel):
    start_month: date
    end_month: date
    currency: str
    by: Cut | None = None
    months: list[MonthRow]
    groups: list[GroupSeries] = Field(default_factory=list)


class KgiPoint(BaseModel):
    """The KGI of seed 004 at one quarter end: the average of the 12 monthly churn rates
    of the months ending with the quarter (解約率: 四半期末時点の直近12ヶ月平均)."""

    quarter: str = Field(description="e.g. '2026Q3' (calendar quarters)")
    quarter_end: date = Field(description="last day of the quarter")
    months_counted: int = Field(description="months with a defined rate (at most 12)")
    logo_churn_t12m: Decimal | None = Field(description="average monthly logo churn")
    mrr_churn_t12m: Decimal | None = Field(description="average monthly MRR churn")
    logo_churn_annualised: Decimal | None = Field(
        description="annualised from the monthly average: 1 − (1 − logo_churn_t12m)^12"
    )
    mrr_churn_annualised: Decimal | None = Field(
        description="annualised from the monthly average: 1 − (1 − mrr_churn_t12m)^12"
    )
    nrr_12m: Decimal | None = Field(description="NRR over the 12 months ending at quarter end")
    grr_12m: Decimal | None = Field(description="GRR over the 12 months ending at quarter end")


class KgiSeries(BaseModel):
    currency: str
    points: list[KgiPoint] = Field(description="oldest quarter first")


class CohortRow(BaseModel):
    cohort: str = Field(description="'YYYY-MM': month of the accounts' first active day")
    size: int = Field(description="accounts in the cohort")
    base_mrr: int = Field(description="the cohort's MRR at the end of its first month")
    values: list[Decimal | None] = Field(
        description="retention k months after the cohort month (k = 0, 1, …), measured on "
        "the first day of month cohort+k+1; None where that day is after the report's end"
    )
    counts: list[int] = Field(description="accounts active (logo) or MRR (mrr) per column")


class CohortTable(BaseModel):
    basis: Basis
    currency: str
    start_month: date
    end_month: date
    rows: list[CohortRow]


class DrillLine(BaseModel):
    id: uuid.UUID
    product_code: str
    product_name: str
    start_on: date
    end_on: date | None
    mrr_amount: int = Field(description="in the line's own currency")
    currency: str


class DrillAccount(BaseModel):
    id: uuid.UUID
    product_code: str | None = Field(default=None, description="with the product cut")
    name: str
    tier: str | None
    owner_id: uuid.UUID | None
    owner_name: str
    start_mrr: int = Field(description="MRR on s, in the report currency")
    end_mrr: int = Field(description="MRR on e, in the report currency")
    movement: Movement
    lines: list[DrillLine] = Field(description="lines active on s or e, or starting in between")


class Drilldown(BaseModel):
    figure: Figure
    start: date
    end: date
    currency: str
    by: Cut | None = None
    group: str | None = None
    count: int = Field(description="accounts behind the figure (all, not only those listed)")
    total_mrr: int = Field(description="the figure's amount over all those accounts")
    accounts: list[DrillAccount]


class CurrentTotals(BaseModel):
    on: date
    currency: str
    mrr: int
    arr: int
    active_accounts: int


class RateCreate(BaseModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")
    rate: Decimal = Field(
        gt=0,
        max_digits=20,
        decimal_places=10,
        description="units of the reporting currency for one unit of `currency`",
    )
    valid_from: date = Field(description="the rate applies from this day until the next one")


class RateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    currency: str
    rate: Decimal
    valid_from: date
    created_at: datetime
