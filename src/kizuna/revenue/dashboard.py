"""The KGI dashboard (C3): every company-wide revenue figure a CCO reports, in one call.

The figures are those of :mod:`kizuna.revenue.service`; this module only chooses the
periods: the last ``months`` complete calendar months (the current month is not over, so
its churn is not known yet), the seed-004 KGI at the quarter ends they cover, the trailing
twelve complete months as one window (optionally cut), and the sign-up cohorts of the
period. The service calls share one transaction, so the lines are read once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.money import DEFAULT_CURRENCY
from kizuna.revenue import service
from kizuna.revenue.schemas import (
    Basis,
    CohortTable,
    CurrentTotals,
    Cut,
    KgiSeries,
    MonthlySeries,
    WindowReport,
)
from kizuna.revenue.windows import month_window
from kizuna.subscription.terms import add_months

PERIODS = (6, 12, 24, 36)  # months a dashboard can show


class KgiDashboard(BaseModel):
    months: int = Field(description="complete calendar months shown")
    totals: CurrentTotals
    series: MonthlySeries = Field(description="one row per complete month, oldest first")
    window: WindowReport = Field(description="the trailing twelve complete months, cut by `by`")
    kgi: KgiSeries = Field(description="seed 004's KGI at the quarter ends of the period")
    cohorts: CohortTable


def kgi_dashboard(
    session: Session,
    actor: Actor,
    *,
    months: int = 12,
    by: Cut | None = None,
    basis: Basis = Basis.LOGO,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> KgiDashboard:
    """The dashboard's figures for the last ``months`` complete months (of ``accounts``
    only, when given: a segment cut)."""
    if months not in PERIODS:
        choices = ", ".join(str(p) for p in PERIODS)
        raise Invalid(FieldProblem(("query", "months"), "not_a_choice", f"one of {choices}"))
    this_month = today(actor.timezone).replace(day=1)
    first = add_months(this_month, -months)
    last = add_months(this_month, -1)
    year = (month_window(add_months(this_month, -12))[0], month_window(last)[1])
    return KgiDashboard(
        months=months,
        totals=service.current_totals(session, actor, currency=currency, accounts=accounts),
        series=service.monthly_series(
            session, actor, first, last, currency=currency, accounts=accounts
        ),
        window=service.window_report(
            session, actor, *year, by, currency=currency, accounts=accounts
        ),
        kgi=service.kgi(session, actor, max(1, months // 3), currency=currency, accounts=accounts),
        cohorts=service.cohorts(
            session, actor, first, last, basis, currency=currency, accounts=accounts
        ),
    )
