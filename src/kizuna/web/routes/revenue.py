"""The KGI dashboard (/revenue) and the drill-down behind each of its figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kizuna.auth.permissions import Permission
from kizuna.revenue import service
from kizuna.revenue.dashboard import PERIODS, KgiDashboard, kgi_dashboard
from kizuna.revenue.schemas import Basis, Cut, Figure
from kizuna.revenue.windows import month_window
from kizuna.subscription.terms import add_months
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.forms import clean, parse
from kizuna.web.render import render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()

RevenueReader = Annotated[PageContext, Depends(page(Permission.REVENUE_READ))]


class DashboardQuery(BaseModel):
    months: int = 12
    by: Cut | None = None
    basis: Basis = Basis.LOGO


class DrillQuery(BaseModel):
    figure: Figure
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    by: Cut | None = None
    group: str | None = None


def _currency(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


@router.get("/revenue")
def dashboard(request: Request, ctx: RevenueReader, session: DbSession) -> Response:
    query = parse(
        DashboardQuery, clean(request.query_params, DashboardQuery.model_fields), where="query"
    )
    with session.begin():
        cut = segment_cut(request, session, ctx)
        board = kgi_dashboard(
            session, ctx.actor, months=query.months, by=query.by, basis=query.basis,
            currency=_currency(request), accounts=cut.account_ids,
        )  # fmt: skip
    windows = [month_window(m.month) for m in board.series.months]
    return render(
        request, ctx, "revenue/index.html", active="revenue", board=board, query=query,
        periods=PERIODS, cuts=list(Cut), windows=windows, chart=_chart(board, windows),
        kgi_windows=[_year_to(p.quarter_end) for p in board.kgi.points],
        cohort_windows=[_cohort_days(r.cohort, len(r.values)) for r in board.cohorts.rows],
        cut=cut,
    )  # fmt: skip


def _year_to(quarter_end: date) -> tuple[date, date]:
    """The twelve months ending with ``quarter_end``, as one window (its churned accounts)."""
    return month_window(add_months(quarter_end.replace(day=1), -11))[0], quarter_end


def _cohort_days(cohort: str, columns: int) -> tuple[date, list[date]]:
    """The cohort month's opening day, and the day each column k is measured on."""
    first = date.fromisoformat(f"{cohort}-01")
    return month_window(first)[0], [month_window(add_months(first, k))[1] for k in range(columns)]


def _chart(board: KgiDashboard, windows: list[tuple[date, date]]) -> dict[str, Any]:
    """The monthly series as the charts want it: amounts (contraction and churn as
    negative bars) and rates in percent (display only)."""
    rows = board.series.months

    def pct(values: list[Decimal | None]) -> list[float | None]:
        return [None if v is None else float(v * 100) for v in values]

    return {
        "labels": [m.month.strftime("%Y-%m") for m in rows],
        "windows": [[s.isoformat(), e.isoformat()] for s, e in windows],
        "movements": {
            "new": [m.new_mrr for m in rows],
            "expansion": [m.expansion_mrr for m in rows],
            "reactivation": [m.reactivation_mrr for m in rows],
            "contraction": [-m.contraction_mrr for m in rows],
            "churned": [-m.churned_mrr for m in rows],
        },
        "nrr": pct([m.nrr for m in rows]),
        "grr": pct([m.grr for m in rows]),
        "logo_churn": pct([m.logo_churn_rate for m in rows]),
    }


@router.get("/revenue/drill")
def drill(request: Request, ctx: RevenueReader, session: DbSession) -> Response:
    raw = clean(request.query_params, ["figure", "from", "to", "by", "group"])
    query = parse(DrillQuery, raw, where="query")
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = service.drilldown(
            session, ctx.actor, query.figure, query.start, query.end, by=query.by,
            group=query.group, currency=_currency(request), limit=500,
            accounts=cut.account_ids,
        )  # fmt: skip
    return render(request, ctx, "revenue/drill.html", active="revenue", result=result, cut=cut)
