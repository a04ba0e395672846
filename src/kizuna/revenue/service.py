"""Revenue and retention figures (C3): the public functions of the feature.

Every function needs REVENUE_READ and reads all accounts (these are company-wide figures).
Money is in minor units of ``currency`` (entrypoints pass ``Settings.default_currency``);
amounts in other currencies are converted with the rate valid on the day measured, and a
currency without a rate raises ``MissingRate`` naming it. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.money import DEFAULT_CURRENCY
from kizuna.revenue import cohorts as cohort_tables
from kizuna.revenue import drill, report
from kizuna.revenue import repository as repo
from kizuna.revenue.cuts import AccountAttributes, grouping
from kizuna.revenue.schemas import (
    Basis,
    CohortTable,
    CurrentTotals,
    Cut,
    Drilldown,
    Figure,
    KgiSeries,
    MonthlySeries,
    WindowReport,
)
from kizuna.revenue.windows import check_months, check_window, month_window, months
from kizuna.subscription.terms import add_months

MAX_QUARTERS = 40


def window_report(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    by: Cut | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> WindowReport:
    """Retention over [start, end): logo churn, NRR, GRR, MRR churn and their amounts.

    With ``by``, the same figures per group too. ``accounts`` restricts the population
    (e.g. the accounts of one team); without it every account counts.
    """
    actor.require(Permission.REVENUE_READ)
    check_window(start, end)
    inputs = _inputs(session, end, currency, accounts)
    figures, groups = report.window(inputs, start, end, by)
    return WindowReport(
        start=start, end=end, currency=currency, by=by, figures=figures, groups=groups
    )


def monthly_series(
    session: Session,
    actor: Actor,
    start_month: date,
    end_month: date,
    by: Cut | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> MonthlySeries:
    """One row per calendar month from ``start_month`` to ``end_month`` (any day of each):
    opening MRR, ARR and active accounts (on the previous month's last day), the movements
    to the month's last day, and that month's logo churn, NRR, GRR and MRR churn."""
    (series,) = monthly_series_by_cuts(
        session, actor, start_month, end_month, [by], currency=currency, accounts=accounts
    )
    return series


def monthly_series_by_cuts(
    session: Session,
    actor: Actor,
    start_month: date,
    end_month: date,
    cuts: Sequence[Cut | None],
    *,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> list[MonthlySeries]:
    """``monthly_series`` for each of ``cuts`` (None = no cut) from one read of the data
    (a dashboard showing several breakdowns at once)."""
    actor.require(Permission.REVENUE_READ)
    check_months(start_month, end_month)
    firsts = months(start_month, end_month)
    inputs = _inputs(session, add_months(firsts[-1], 1), currency, accounts)
    rows, grouped = report.monthly_many(inputs, firsts, cuts)
    return [
        MonthlySeries(
            start_month=firsts[0],
            end_month=firsts[-1],
            currency=currency,
            by=by,
            months=rows,
            groups=groups,
        )
        for by, groups in zip(cuts, grouped, strict=True)
    ]


def kgi(
    session: Session,
    actor: Actor,
    quarters: int = 8,
    *,
    currency: str = DEFAULT_CURRENCY,
    as_of: date | None = None,
    accounts: Collection[uuid.UUID] | None = None,
) -> KgiSeries:
    """Seed 004's KGI at each of the last ``quarters`` calendar quarter ends before today
    (or ``as_of``): the average of the twelve monthly logo and MRR churn rates of the
    trailing year, those averages annualised (1 − (1 − m)^12), and the year's NRR/GRR."""
    actor.require(Permission.REVENUE_READ)
    if not 1 <= quarters <= MAX_QUARTERS:
        raise Invalid(
            FieldProblem(("query", "quarters"), "out_of_range", f"must be 1–{MAX_QUARTERS}")
        )
    on = as_of or today(actor.timezone)
    inputs = _inputs(session, on, currency, accounts)
    return KgiSeries(currency=currency, points=report.kgi(inputs, on, quarters))


def cohorts(
    session: Session,
    actor: Actor,
    start_month: date,
    end_month: date,
    basis: Basis = Basis.LOGO,
    *,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> CohortTable:
    """Retention of each sign-up cohort (month of first active day) from ``start_month``
    to ``end_month``, by month since start, measured up to the end of ``end_month``."""
    actor.require(Permission.REVENUE_READ)
    check_months(start_month, end_month)
    cohort_months = months(start_month, end_month)
    days = [month_window(m)[1] for m in cohort_months]  # each cohort month's last day
    snap = _inputs(session, days[-1], currency, accounts).snapshot(days)
    return CohortTable(
        basis=basis,
        currency=currency,
        start_month=cohort_months[0],
        end_month=cohort_months[-1],
        rows=cohort_tables.cohort_rows(snap, cohort_months, basis),
    )


def drilldown(
    session: Session,
    actor: Actor,
    figure: Figure,
    start: date,
    end: date,
    *,
    by: Cut | None = None,
    group: str | None = None,
    currency: str = DEFAULT_CURRENCY,
    limit: int = 1000,
    accounts: Collection[uuid.UUID] | None = None,
) -> Drilldown:
    """The accounts behind one figure of the window [start, end) — optionally within one
    group of a cut — with their MRR on s and e, their movement and their lines."""
    actor.require(Permission.REVENUE_READ)
    check_window(start, end)
    if group is not None and by is None:
        raise Invalid(FieldProblem(("query", "group"), "needs_by", "group needs by"))
    book = repo.load_book(session, through=end, accounts=accounts)
    inputs = _as_inputs(book, currency)
    snap = inputs.snapshot([start, end], by_product=by is Cut.PRODUCT)
    chosen = drill.select_entities(snap, figure)
    if by is not None and group is not None:
        cut = grouping(by, inputs.attributes, snap.account, snap.product, snap.first_start)
        if group not in cut.keys:
            raise Invalid(FieldProblem(("query", "group"), "unknown_group", "no such group"))
        chosen = chosen[cut.codes[chosen] == cut.keys.index(group)]
    return drill.build(
        session, book, snap, chosen, figure=figure, by=by, group=group,
        currency=currency, limit=limit,
    )  # fmt: skip


def current_totals(
    session: Session,
    actor: Actor,
    *,
    currency: str = DEFAULT_CURRENCY,
    accounts: Collection[uuid.UUID] | None = None,
) -> CurrentTotals:
    """MRR, ARR (12 × MRR) and active accounts today, in the actor's calendar."""
    actor.require(Permission.REVENUE_READ)
    on = today(actor.timezone)
    snap = _inputs(session, on, currency, accounts).snapshot([on])
    mrr = int(snap.mrr[:, 0].sum())
    return CurrentTotals(
        on=on, currency=currency, mrr=mrr, arr=12 * mrr, active_accounts=int(snap.active.sum())
    )


def _inputs(
    session: Session, through: date, currency: str, accounts: Collection[uuid.UUID] | None
) -> report.Inputs:
    return _as_inputs(repo.load_book(session, through=through, accounts=accounts), currency)


def _as_inputs(book: repo.Book, currency: str) -> report.Inputs:
    attributes = AccountAttributes(
        tier=book.accounts.tier,
        employee_count=book.accounts.employee_count,
        industry=book.accounts.industry,
        owner=book.accounts.owner,
        owner_names=book.owner_names,
        product_codes=book.products.codes,
        product_names=book.products.names,
    )
    return report.Inputs(book.ledger, book.rates, attributes, currency)
