"""Retention ratios from summed components, and the seed-004 KGI. Pure: plain values.

Ratios are Decimals rounded half-even to six places; an empty denominator gives None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from kizuna.revenue.schemas import KgiPoint, MonthRow, WindowFigures
from kizuna.revenue.windows import quarter_label

PLACES = Decimal("0.000001")


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator ÷ denominator to six places (half-even); None when the denominator is 0."""
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return (Decimal(numerator) / Decimal(denominator)).quantize(PLACES, ROUND_HALF_EVEN)


def figures(t: Mapping[str, int]) -> WindowFigures:
    """The window's figures from its summed components (see ``movements.FIELDS``)."""
    start = t["start_mrr"]
    return WindowFigures(
        n_start=t["n_start"],
        n_end=t["n_end"],
        n_churned=t["n_churned"],
        start_mrr=start,
        end_mrr=t["end_mrr"],
        retained_mrr=t["retained_mrr"],
        churned_mrr=t["churned_mrr"],
        contraction_mrr=t["contraction_mrr"],
        expansion_mrr=t["expansion_mrr"],
        new_mrr=t["new_mrr"],
        reactivation_mrr=t["reactivation_mrr"],
        logo_churn_rate=ratio(t["n_churned"], t["n_start"]),
        nrr=ratio(t["retained_mrr"], start),
        grr=ratio(t["kept_mrr"], start),
        mrr_churn_rate=ratio(t["churned_mrr"] + t["contraction_mrr"], start),
    )


def month_row(month: date, t: Mapping[str, int]) -> MonthRow:
    f = figures(t)
    net = f.new_mrr + f.expansion_mrr + f.reactivation_mrr - f.contraction_mrr - f.churned_mrr
    return MonthRow(
        month=month,
        mrr=f.start_mrr,
        arr=12 * f.start_mrr,
        active_accounts=f.n_start,
        closing_mrr=f.end_mrr,
        closing_accounts=f.n_end,
        new_mrr=f.new_mrr,
        expansion_mrr=f.expansion_mrr,
        contraction_mrr=f.contraction_mrr,
        churned_mrr=f.churned_mrr,
        reactivation_mrr=f.reactivation_mrr,
        net_change=net,
        n_churned=f.n_churned,
        logo_churn_rate=f.logo_churn_rate,
        nrr=f.nrr,
        grr=f.grr,
        mrr_churn_rate=f.mrr_churn_rate,
    )


def average(rates: Sequence[Decimal | None]) -> tuple[Decimal | None, int]:
    """Mean of the defined rates (to six places), and how many there were."""
    known = [r for r in rates if r is not None]
    if not known:
        return None, 0
    return ratio(sum(known, Decimal(0)), len(known)), len(known)


def annualised(monthly: Decimal | None) -> Decimal | None:
    """A monthly churn rate compounded over twelve months: 1 − (1 − monthly)^12."""
    if monthly is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        value = Decimal(1) - (Decimal(1) - monthly) ** 12
    return value.quantize(PLACES, ROUND_HALF_EVEN)


def kgi_point(quarter_end: date, months: Sequence[MonthRow], year: WindowFigures) -> KgiPoint:
    """Seed 004's KGI at ``quarter_end``: the 12 monthly rates of the trailing year."""
    logo, counted = average([m.logo_churn_rate for m in months])
    mrr, _ = average([m.mrr_churn_rate for m in months])
    return KgiPoint(
        quarter=quarter_label(quarter_end),
        quarter_end=quarter_end,
        months_counted=counted,
        logo_churn_t12m=logo,
        mrr_churn_t12m=mrr,
        logo_churn_annualised=annualised(logo),
        mrr_churn_annualised=annualised(mrr),
        nrr_12m=year.nrr,
        grr_12m=year.grr,
    )
