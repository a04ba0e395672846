"""The renewals centre (/sales/renewals): upcoming renewals by window with the forecast
editable in place (HTMX), totals per forecast category, forecast vs actual, the sync
button, and the renewal panel of Account 360."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import Tier
from kizuna.models.renewal import RenewalForecast
from kizuna.renewal import closing_plans, rules, service
from kizuna.renewal.schemas import ForecastSet, PlanFilters, RenewalFilters
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesReader
from kizuna.web.forms import errors_by_field, parse_money, uuid_or_none
from kizuna.web.render import is_htmx, redirect, render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()

_ERRORS = {"renewal_closed": N_("The renewal date has passed: its forecast is final.")}


def _reporting(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


def _linker(request: Request) -> Any:
    """``link(days=30, page=None)``: this page's URL with some parameters changed (None
    drops one); the page number is dropped whenever anything else changes."""
    current = {k: v for k, v in request.query_params.items() if v}

    def link(**changes: Any) -> str:
        params = {k: v for k, v in current.items() if k != "page"}
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "/sales/renewals" + ("?" + urlencode(params) if params else "")

    return link


def _months_back(day: date, months: int) -> date:
    m = day.year * 12 + day.month - 1 - months
    return date(m // 12, m % 12 + 1, 1)


@router.get("/sales/renewals")
def renewals_page(
    request: Request,
    ctx: SalesReader,
    session: DbSession,
    days: int = 90,
    owner: str | None = None,
    tier: str | None = None,
    forecast: str | None = None,
    view: str = "list",
    grain: str = "month",
    page: int = 1,
) -> Response:
    actor = ctx.actor
    day = today_in(actor.timezone)
    window = days if days in rules.WINDOWS else 90
    filters = RenewalFilters(
        days=window,
        owner_id=uuid_or_none(owner),
        tier=Tier(tier) if tier in {t.value for t in Tier} else None,
        forecast=(
            RenewalForecast(forecast) if forecast in {f.value for f in RenewalForecast} else None
        ),
    )
    chosen_grain: Literal["month", "quarter"] = "quarter" if grain == "quarter" else "month"
    reporting = _reporting(request)
    with session.begin():
        cut = segment_cut(request, session, ctx)
        summary = service.forecast_summary(
            session,
            today=day,
            days=window,
            reporting=reporting,
            owner_id=filters.owner_id,
            tier=filters.tier,
            account_ids=cut.account_ids,
        )
        if view == "accuracy":
            start = _months_back(day, 12 if chosen_grain == "month" else 24)
            accuracy = service.forecast_vs_actual(
                session,
                start,
                day,
                grain=chosen_grain,
                reporting=reporting,
                owner_id=filters.owner_id,
                tier=filters.tier,
                account_ids=cut.account_ids,
            )
            result = None
        else:
            accuracy = None
            result = service.list_renewals(
                session, actor, filters, today=day, account_ids=cut.account_ids, page=page
            )
        owners = service.owner_choices(session)
        window_counts = {
            w: summary.count
            if w == window
            else service.forecast_summary(
                session,
                today=day,
                days=w,
                reporting=reporting,
                owner_id=filters.owner_id,
                tier=filters.tier,
                account_ids=cut.account_ids,
            ).count
            for w in rules.WINDOWS
        }
    return render(
        request,
        ctx,
        "sales/renewals/index.html",
        active="sales",
        sales_tab="renewals",
        result=result,
        summary=summary,
        accuracy=accuracy,
        view="accuracy" if view == "accuracy" else "list",
        grain=chosen_grain,
        filters=filters,
        window=window,
        windows=rules.WINDOWS,
        window_counts=window_counts,
        cut=cut,
        owners=owners,
        tiers=list(Tier),
        categories=list(RenewalForecast),
        today=day,
        can_write=actor.can(Permission.PIPELINE_WRITE),
        link=_linker(request),
    )


def _row(
    request: Request, ctx: PageContext, session: Session, renewal_id: uuid.UUID, **extra: Any
) -> Response:
    """One renewal's table row (after an inline forecast change)."""
    day = today_in(ctx.actor.timezone)
    with session.begin():
        r = service.get_renewal(session, ctx.actor, renewal_id, today=day)
    return render(
        request,
        ctx,
        "sales/renewals/_row.html",
        r=r,
        categories=list(RenewalForecast),
        can_write=ctx.actor.can(Permission.PIPELINE_WRITE),
        **extra,
    )


@router.post("/sales/renewals/{renewal_id}/forecast")
async def set_forecast(
    request: Request, renewal_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    """Inline forecast form: category (or "suggested" to hand back to the system), note
    and, optionally, the expected MRR in major units."""
    form = await request.form()
    raw = str(form.get("forecast") or "")
    errors: dict[str, str] = {}
    day = today_in(ctx.actor.timezone)
    try:
        with session.begin():
            current = service.get_renewal(session, ctx.actor, renewal_id, today=day)
            amount_text = str(form.get("forecast_mrr") or "").strip()
            body = ForecastSet(
                forecast=None if raw in ("", "suggested") else RenewalForecast(raw),
                note=str(form.get("note") or "")[:2000],
                forecast_mrr_amount=(
                    parse_money(amount_text, current.currency, field="forecast_mrr")
                    if amount_text
                    else None
                ),
            )
            service.set_forecast(session, ctx.actor, renewal_id, body, today=day)
    except ValueError:
        errors["forecast"] = N_("Not one of the allowed values.")
    except Invalid as exc:
        errors = errors_by_field(exc)
    except Conflict as exc:
        errors["forecast"] = _ERRORS.get(exc.code, N_("This change is not possible."))
    panel = bool(form.get("panel"))
    if not is_htmx(request):
        back = "/sales/renewals"
        if panel:
            with session.begin():
                account_id = service.get_renewal(
                    session, ctx.actor, renewal_id, today=day
                ).account_id
            back = f"/accounts/{account_id}#renewal"
        return redirect(back, flash=next(iter(errors.values()), None) or N_("Forecast saved."))
    if panel:
        with session.begin():
            account_id = service.get_renewal(session, ctx.actor, renewal_id, today=day).account_id
        return _panel(request, ctx, session, account_id, errors=errors, open_form=bool(errors))
    return _row(request, ctx, session, renewal_id, errors=errors, open_form=bool(errors))


@router.post("/sales/renewals/sync")
def sync_now(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    with session.begin():
        result = service.sync_now(
            session,
            ctx.actor,
            today=today_in(ctx.actor.timezone),
            reporting=_reporting(request),
        )
    flash = N_("Renewals are up to date.")
    if result.created or result.updated or result.removed or result.settled:
        flash = N_("Renewals synced from the contract lines.")
    return redirect("/sales/renewals", flash=flash)


@router.get("/accounts/{account_id}/renewal-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    """Account 360: the next renewal, its forecast and its closing plans."""
    return _panel(request, ctx, session, account_id)


def _panel(
    request: Request, ctx: PageContext, session: Session, account_id: uuid.UUID, **extra: Any
) -> Response:
    day = today_in(ctx.actor.timezone)
    with session.begin():
        renewal = service.next_renewal(session, ctx.actor, account_id, today=day)
        plans = closing_plans.list_plans(
            session, ctx.actor, PlanFilters(account_id=account_id), today=day, limit=10
        )
    return render(
        request,
        ctx,
        "sales/renewals/_account_panel.html",
        account_id=account_id,
        r=renewal,
        plans=plans,
        categories=list(RenewalForecast),
        can_write=ctx.actor.can(Permission.PIPELINE_WRITE),
        **extra,
    )
