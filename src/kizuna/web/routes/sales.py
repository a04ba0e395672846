"""The customer-sales dashboard (/sales): leads, created and won amount by lead source vs
target, pipeline by stage, top CSMs, accounts owned, renewal forecast."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.models.pipeline import CsMeasure
from kizuna.sales import service
from kizuna.sales.schemas import SalesDashboard
from kizuna.target import service as targets
from kizuna.web.deps import DbSession, SalesReader
from kizuna.web.render import render

router = APIRouter()

BAD_PERIOD = N_("Not a period: use 2026-07, 2026-Q3, 2026-H1, 2026-FY or this-quarter.")
PRESETS = ("this-month", "this-quarter", "this-half", "this-year", "last-quarter", "custom")


def company(request: Request) -> tuple[str, str]:
    """(company time zone, reporting currency): period bounds and amounts of every
    customer-sales figure, the same for every viewer."""
    settings = request.app.state.settings
    return str(settings.default_timezone), str(settings.default_currency)


def _asked_period(request: Request) -> tuple[str, str, str]:
    """(what to resolve, preset shown in the picker, custom from / to as typed)."""
    params = request.query_params
    preset = params.get("period", "").strip() or "this-quarter"
    first, last = params.get("from", "").strip(), params.get("to", "").strip()
    if preset == "custom":
        return f"{first}..{last}", preset, f"{first}|{last}"
    return preset, preset, ""


@router.get("/sales")
def dashboard(request: Request, ctx: SalesReader, session: DbSession) -> Response:
    zone, reporting = company(request)
    day = today_in(zone)
    text, preset, custom = _asked_period(request)
    error = ""
    with session.begin():
        try:
            span = targets.resolve_period(session, text, today=day)
        except Invalid as exc:
            error = BAD_PERIOD if exc.problems[0].code == "bad_period" else exc.message
            span = targets.resolve_period(session, "this-quarter", today=day)
            preset = "this-quarter"
        board = service.dashboard(
            session, ctx.actor, span, zone=zone, reporting=reporting, today=day
        )
    first, _, last = custom.partition("|")
    return render(
        request,
        ctx,
        "sales/dashboard.html",
        active="sales",
        sales_tab="dashboard",
        board=board,
        presets=PRESETS,
        preset=preset,
        custom_from=first or span.starts_on,
        custom_to=last or span.ends_on,
        period_error=error,
        chart=_chart(board),
        CsMeasure=CsMeasure,
    )


def _chart(board: SalesDashboard) -> dict[str, Any]:
    """Series for the two bar charts (amounts in minor units; labels are filled in by
    the template in the reader's language)."""
    return {
        "sources": [s.lead_source.value for s in board.sources],
        "target": [s.created_target for s in board.sources],
        "created": [s.created_amount for s in board.sources],
        "won": [s.won_amount for s in board.sources],
        "stages": [s.stage.value for s in board.pipeline.stages],
        "stage_amount": [s.amount for s in board.pipeline.stages],
        "stage_count": [s.count for s in board.pipeline.stages],
    }
