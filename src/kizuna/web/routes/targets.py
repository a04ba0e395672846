"""Targets (/sales/targets): attainment per level for a period, and for SALES_ADMIN the
new-target form, the fiscal-year setting and the split editor of each target."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import LeadSource
from kizuna.models.target import SplitMode, TargetMetric
from kizuna.target import service
from kizuna.target.schemas import (
    SettingsUpdate,
    SplitIn,
    TargetCreate,
    TargetOut,
    TargetUpdate,
)
from kizuna.web.deps import DbSession, PageContext, SalesAdmin, SalesReader
from kizuna.web.field_errors import message_for
from kizuna.web.forms import parse, parse_money
from kizuna.web.render import redirect, render
from kizuna.web.routes.sales import company

router = APIRouter()

PRESETS = ("this-quarter", "last-quarter", "this-half", "this-year", "this-month")
_MESSAGES = {
    "bad_period": N_("Not a period: use 2026-07, 2026-Q3, 2026-H1, 2026-FY or this-quarter."),
    "target_exists": N_("A target for this period, lead source and metric already exists."),
    "lead_count_cs": N_("Lead counts are measured for the CS lead source only."),
    "currency": N_("Targets are set in the reporting currency."),
    "not_allowed": N_("A lead count has no currency."),
    "unknown_team": N_("No such team."),
    "not_member": N_("Not an active member of this team."),
    "duplicate": N_("Listed twice."),
    "not_a_weight": N_("A weight is a number of zero or more, e.g. 1 or 0.5."),
}


def _message(problem: FieldProblem) -> str:
    return _MESSAGES.get(problem.code) or message_for(problem)


def _messages(exc: Invalid) -> list[str]:
    return list(dict.fromkeys(_message(p) for p in exc.problems))


# ------------------------------------------------------------------------------ the page


def _index(
    request: Request,
    ctx: PageContext,
    session: Any,
    period_text: str,
    *,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> Response:
    zone, reporting = company(request)
    day = today_in(zone)
    period_error = ""
    with session.begin():
        try:
            span = service.resolve_period(session, period_text, today=day)
        except Invalid as exc:
            period_error = _message(exc.problems[0])
            span = service.resolve_period(session, "this-quarter", today=day)
        report = service.attainment(
            session, ctx.actor, span, zone=zone, reporting=reporting, today=day
        )
        known = service.target_periods(session, ctx.actor)
        admin = ctx.actor.can(Permission.SALES_ADMIN)
        teams = service.team_choices(session, ctx.actor) if admin else []
        fiscal = service.fiscal_start(session)
    return render(
        request,
        ctx,
        "sales/targets/index.html",
        status_code=status_code,
        active="sales",
        sales_tab="targets",
        report=report,
        period_text=span.key,
        period_error=period_error,
        presets=PRESETS,
        known=known,
        admin=admin,
        teams=teams,
        fiscal=fiscal,
        currency=reporting,
        sources=list(LeadSource),
        metrics=list(TargetMetric),
        splits=list(SplitMode),
        form=form or {"period": span.key},
        errors=errors or [],
    )


@router.get("/sales/targets")
def index(request: Request, ctx: SalesReader, session: DbSession) -> Response:
    period = request.query_params.get("period", "").strip() or "this-quarter"
    return _index(request, ctx, session, period)


def _value(form: FormData, metric: str, currency: str, field: str) -> int | None:
    raw = str(form.get(field, "")).strip()
    if not raw:
        return None
    if metric == TargetMetric.LEAD_COUNT.value:
        try:
            return int(raw.replace(",", ""))
        except ValueError:
            raise Invalid.field(field, "a whole number", code="int_parsing") from None
    return parse_money(raw, currency, field=field)


@router.post("/sales/targets/settings")
async def save_settings(request: Request, ctx: SalesAdmin, session: DbSession) -> Response:
    form = await request.form()
    data = parse(SettingsUpdate, {"fiscal_year_start_month": form.get("fiscal_year_start_month")})
    with session.begin():
        service.update_settings(session, ctx.actor, data)
    return redirect("/sales/targets", flash=N_("Settings saved."))


@router.post("/sales/targets")
async def create(request: Request, ctx: SalesAdmin, session: DbSession) -> Response:
    form = await request.form()
    zone, reporting = company(request)
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("period", "lead_source", "metric", "value", "team_split", "note")
    }
    team_ids = [str(v) for v in form.getlist("team_id") if str(v).strip()]
    try:
        metric = values["metric"] or TargetMetric.CREATED_AMOUNT.value
        data = parse(
            TargetCreate,
            {
                "period": values["period"],
                "lead_source": values["lead_source"] or LeadSource.CS.value,
                "metric": metric,
                "value": _value(form, metric, reporting, "value"),
                "team_split": values["team_split"] or SplitMode.EVEN.value,
                "note": values["note"],
                "teams": [{"team_id": t} for t in team_ids] or None,
            },
        )
        with session.begin():
            created = service.create_target(
                session, ctx.actor, data, reporting=reporting, today=today_in(zone)
            )
    except Invalid as exc:
        return _index(
            request,
            ctx,
            session,
            values["period"] or "this-quarter",
            status_code=422,
            form={**values, "team_ids": team_ids},
            errors=_messages(exc),
        )
    except Conflict as exc:
        return _index(
            request,
            ctx,
            session,
            values["period"],
            status_code=409,
            form={**values, "team_ids": team_ids},
            errors=[_MESSAGES.get(exc.code, exc.message)],
        )
    return redirect(f"/sales/targets/{created.id}", flash=N_("Target saved."))


# ------------------------------------------------------------------------------ one target


def _detail(
    request: Request,
    ctx: PageContext,
    session: Any,
    target_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: list[str] | None = None,
) -> Response:
    zone, reporting = company(request)
    day = today_in(zone)
    with session.begin():
        target = service.get_target(session, ctx.actor, target_id)
        span = service.resolve_period(session, target.period, today=day)
        report = service.attainment(
            session,
            ctx.actor,
            span,
            zone=zone,
            reporting=reporting,
            today=day,
            lead_source=target.lead_source,
        )
        admin = ctx.actor.can(Permission.SALES_ADMIN)
        teams = service.team_choices(session, ctx.actor) if admin else []
    attainment = next((a for a in report.targets if a.target.id == target.id), None)
    return render(
        request,
        ctx,
        "sales/targets/detail.html",
        status_code=status_code,
        active="sales",
        sales_tab="targets",
        target=target,
        report=report,
        attainment=attainment,
        admin=admin,
        teams=teams,
        splits=list(SplitMode),
        currency=reporting,
        errors=errors or [],
        in_split={t.team_id for t in target.teams},
    )


@router.get("/sales/targets/{target_id}")
def detail(
    request: Request, ctx: SalesReader, session: DbSession, target_id: uuid.UUID
) -> Response:
    return _detail(request, ctx, session, target_id)


@router.post("/sales/targets/{target_id}")
async def update(
    request: Request, ctx: SalesAdmin, session: DbSession, target_id: uuid.UUID
) -> Response:
    form = await request.form()
    _, reporting = company(request)
    try:
        with session.begin():
            target = service.get_target(session, ctx.actor, target_id)
            data = parse(
                TargetUpdate,
                {
                    "value": _value(form, target.metric.value, reporting, "value"),
                    "team_split": str(form.get("team_split", "")).strip() or None,
                    "note": str(form.get("note", "")),
                },
            )
            service.update_target(session, ctx.actor, target_id, data)
    except Invalid as exc:
        return _detail(request, ctx, session, target_id, status_code=422, errors=_messages(exc))
    return redirect(f"/sales/targets/{target_id}", flash=N_("Target saved."))


def _weight(form: FormData, name: str) -> Decimal | None:
    raw = str(form.get(name, "")).strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid.field(name, "not a number", code="not_a_weight") from None
    if not value.is_finite() or value < 0:
        raise Invalid.field(name, "not a weight", code="not_a_weight")
    return value


def _split_from_form(form: FormData, target: TargetOut, currency: str) -> SplitIn:
    """The editor's inputs: ``team_id`` (checked teams), per team ``weight_<id>``,
    ``override_<id>``, ``member_split_<id>``; per member ``mweight_<id>``, ``moverride_<id>``
    (blank = automatic)."""
    metric = target.metric.value
    current = {t.team_id: t for t in target.teams}
    teams: list[dict[str, Any]] = []
    for raw in form.getlist("team_id"):
        try:
            team_id = uuid.UUID(str(raw))
        except ValueError:
            continue
        members = None
        if team_id in current:
            members = [
                {
                    "user_id": m.user_id,
                    "weight": _weight(form, f"mweight_{m.user_id}"),
                    "override": _value(form, metric, currency, f"moverride_{m.user_id}"),
                }
                for m in current[team_id].members
            ]
        teams.append(
            {
                "team_id": team_id,
                "weight": _weight(form, f"weight_{team_id}"),
                "override": _value(form, metric, currency, f"override_{team_id}"),
                "member_split": str(form.get(f"member_split_{team_id}", "")) or SplitMode.EVEN,
                "members": members,
            }
        )
    mode = str(form.get("team_split", "")).strip() or None
    return parse(SplitIn, {"team_split": mode, "teams": teams})


@router.post("/sales/targets/{target_id}/split")
async def split(
    request: Request, ctx: SalesAdmin, session: DbSession, target_id: uuid.UUID
) -> Response:
    form = await request.form()
    _, reporting = company(request)
    try:
        with session.begin():
            target = service.get_target(session, ctx.actor, target_id)
            data = _split_from_form(form, target, reporting)
            service.set_split(session, ctx.actor, target_id, data)
    except Invalid as exc:
        return _detail(request, ctx, session, target_id, status_code=422, errors=_messages(exc))
    return redirect(f"/sales/targets/{target_id}", flash=N_("Split saved."))


@router.post("/sales/targets/{target_id}/resplit")
def resplit(
    request: Request, ctx: SalesAdmin, session: DbSession, target_id: uuid.UUID
) -> Response:
    with session.begin():
        service.resplit(session, ctx.actor, target_id)
    return redirect(f"/sales/targets/{target_id}", flash=N_("Split recomputed."))


@router.post("/sales/targets/{target_id}/delete")
def delete(request: Request, ctx: SalesAdmin, session: DbSession, target_id: uuid.UUID) -> Response:
    with session.begin():
        target = service.get_target(session, ctx.actor, target_id)
        service.delete_target(session, ctx.actor, target_id)
    return redirect(f"/sales/targets?period={target.period}", flash=N_("Target deleted."))
