"""Upsell leads: the list (/sales/leads: passed by me, inbox, all) with counts, the CS KPI
in both views and the settings panel; passing a lead (/sales/leads/new and the Account 360
panel); a lead's page with accept / reject / withdraw."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, FieldProblem, Forbidden, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.account import Account
from kizuna.models.enums import Role
from kizuna.models.pipeline import CsMeasure, LeadStatus
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    LeadAccept,
    LeadCreate,
    LeadFilters,
    LeadReject,
    LeadView,
    OpportunityFilters,
    PipelineSettingsUpdate,
)
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesAdmin, SalesReader
from kizuna.web.field_errors import message_for
from kizuna.web.forms import clean, date_or_none, errors_by_field, parse, parse_money, uuid_or_none
from kizuna.web.render import is_htmx, redirect, render

router = APIRouter()

_CONFLICTS = {
    "lead_state": N_("This lead has already been decided or withdrawn."),
    "not_assignee": N_(
        "Only the assignee, their team or a sales administrator can decide this lead."
    ),
    "not_passer": N_("Only the CSM who passed this lead can withdraw it."),
}
_MESSAGES = {
    "wrong_account": N_("Belongs to another account."),
    "currency_mismatch": N_("Must be the account's currency."),
}
KPI_DAYS = 90


def _errors(exc: Invalid) -> dict[str, str]:
    errors = errors_by_field(exc)
    for problem in exc.problems:
        if problem.code in _MESSAGES and len(problem.loc) > 1:
            errors[str(problem.loc[1])] = _MESSAGES[problem.code]
    return errors


def form_choices(session: Session, ctx: PageContext) -> dict[str, Any]:
    """People, teams and products for the pass form and the filters."""
    return {
        "people": service.sales_people(session, ctx.actor),
        "teams": service.teams(session, ctx.actor),
        "products": service.products(session, ctx.actor),
    }


# ---------------------------------------------------------------------------- the list


@router.get("/sales/leads")
def list_page(
    request: Request,
    ctx: SalesReader,
    session: DbSession,
    view: str | None = None,
    status: str | None = None,
    product_id: str | None = None,
    passed_by_id: str | None = None,
    assignee_id: str | None = None,
    passed_from: str | None = None,
    passed_to: str | None = None,
    overdue: str | None = None,
    cursor: str | None = None,
) -> Response:
    actor = ctx.actor
    day = today_in(actor.timezone)
    chosen = view if view in {v.value for v in LeadView} else None
    if chosen is None:
        # Sales land on their inbox, CSMs on what they passed, everyone else on all leads.
        if actor.role is Role.CSM:
            chosen = LeadView.MINE.value
        elif actor.role in (Role.SALES, Role.CUSTOMER_SALES):
            chosen = LeadView.INBOX.value
        else:
            chosen = LeadView.ALL.value
    values = {
        "status": status if status in {s.value for s in LeadStatus} else "",
        "product_id": str(uuid_or_none(product_id) or ""),
        "passed_by_id": str(uuid_or_none(passed_by_id) or ""),
        "assignee_id": str(uuid_or_none(assignee_id) or ""),
        "passed_from": (date_or_none(passed_from) or "") and str(date_or_none(passed_from)),
        "passed_to": (date_or_none(passed_to) or "") and str(date_or_none(passed_to)),
        "overdue": "1" if overdue == "1" else "",
    }
    filters = LeadFilters(
        view=LeadView(chosen),
        status=LeadStatus(values["status"]) if values["status"] else None,
        product_id=uuid_or_none(product_id),
        passed_by_id=uuid_or_none(passed_by_id),
        assignee_id=uuid_or_none(assignee_id),
        passed_from=date_or_none(passed_from),
        passed_to=date_or_none(passed_to),
        overdue=True if overdue == "1" else None,
    )
    kpi_start = filters.passed_from or day - timedelta(days=KPI_DAYS)
    kpi_end = filters.passed_to or day
    with session.begin():
        found = service.list_leads(session, actor, filters, cursor=cursor)
        counts = service.count_leads(session, actor, filters)
        view_counts = {
            v.value: service.count_leads(session, actor, LeadFilters(view=v)).open for v in LeadView
        }
        kpi = service.csm_kpis(session, actor, kpi_start, kpi_end)
        settings = service.get_settings(session, actor)
        return render(
            request,
            ctx,
            "sales/leads/index.html",
            active="sales",
            sales_tab="leads",
            view=chosen,
            views=list(LeadView),
            view_counts=view_counts,
            leads=found.items,
            next_cursor=found.next_cursor,
            counts=counts,
            kpi=kpi,
            settings=settings,
            measures=list(CsMeasure),
            statuses=list(LeadStatus),
            filters=values,
            kpi_days=KPI_DAYS,
            **form_choices(session, ctx),
        )


@router.post("/sales/leads/settings")
async def save_settings(request: Request, ctx: SalesAdmin, session: DbSession) -> Response:
    form = await request.form()
    values: dict[str, Any] = clean(form, ["cs_measure", "lead_sla_hours"])
    values["sla_business_days_only"] = form.get("sla_business_days_only") == "true"
    try:
        with session.begin():
            service.update_settings(session, ctx.actor, parse(PipelineSettingsUpdate, values))
    except Invalid as exc:
        return redirect(
            "/sales/leads?view=all#settings",
            flash=message_for(exc.problems[0]),
            level="error",
        )
    return redirect("/sales/leads?view=all#settings", flash=N_("Settings saved."))


# ---------------------------------------------------------------------------- pass a lead


def _lead_values(form: Any, currency: str) -> dict[str, Any]:
    values: dict[str, Any] = clean(
        form,
        [
            "account_id",
            "product_id",
            "reason",
            "evidence",
            "assignee_id",
            "assignee_team_id",
            "activity_ids",
        ],
        lists=["activity_ids"],
    )
    values["reason"] = str(form.get("reason") or "")
    values["amount"] = parse_money(str(form.get("amount") or "0"), currency, field="amount")
    return values


def _account_currency(session: Session, account_id: uuid.UUID | None) -> str:
    if account_id is None:
        return "JPY"
    return session.scalar(select(Account.currency).where(Account.id == account_id)) or "JPY"


def _new_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID | None,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    accounts = list(
        session.execute(select(Account.id, Account.name).order_by(Account.name).limit(3000))
    )
    activities = service.recent_activities(session, ctx.actor, account_id) if account_id else []
    return render(
        request,
        ctx,
        "sales/leads/new.html",
        status_code=status_code,
        active="sales",
        sales_tab="leads",
        accounts=accounts,
        account_id=account_id,
        currency=_account_currency(session, account_id),
        activities=activities,
        errors=errors or {},
        values=values or {},
        **form_choices(session, ctx),
    )


@router.get("/sales/leads/new")
def new_page(
    request: Request, ctx: PipelineEditor, session: DbSession, account_id: str | None = None
) -> Response:
    with session.begin():
        return _new_page(request, ctx, session, uuid_or_none(account_id))


@router.post("/sales/leads")
async def pass_lead(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    """From /sales/leads/new or (HTMX, ``panel=1``) the Account 360 panel."""
    form = await request.form()
    account_id = uuid_or_none(form.get("account_id"))
    from_panel = bool(form.get("panel"))
    try:
        with session.begin():
            values = _lead_values(form, _account_currency(session, account_id))
            lead = service.pass_lead(session, ctx.actor, parse(LeadCreate, values))
    except Invalid as exc:
        errors = _errors(exc)
        shown = {k: str(form.get(k) or "") for k in form}
        shown["activity_ids"] = [str(v) for v in form.getlist("activity_ids")]  # type: ignore[assignment]
        with session.begin():
            if from_panel and account_id is not None:
                return _panel(
                    request,
                    ctx,
                    session,
                    account_id,
                    status_code=200 if is_htmx(request) else 422,
                    errors=errors,
                    values=shown,
                    open_form=True,
                )
            return _new_page(
                request, ctx, session, account_id, status_code=422, errors=errors, values=shown
            )
    if from_panel and account_id is not None and is_htmx(request):
        with session.begin():
            return _panel(request, ctx, session, account_id, message=N_("Lead passed to sales."))
    return redirect(f"/sales/leads/{lead.id}", flash=N_("Lead passed to sales."))


# ---------------------------------------------------------------------------- one lead


def _detail(
    request: Request,
    ctx: PageContext,
    session: Session,
    lead_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    lead = service.get_lead(session, ctx.actor, lead_id)
    evidence = service.activities_by_id(session, lead.activity_ids)
    return render(
        request,
        ctx,
        "sales/leads/detail.html",
        status_code=status_code,
        active="sales",
        sales_tab="leads",
        lead=lead,
        evidence=[evidence[a] for a in lead.activity_ids if a in evidence],
        errors=errors or {},
        default_close=today_in(ctx.actor.timezone) + timedelta(days=service.DEFAULT_CLOSE_DAYS),
    )


@router.get("/sales/leads/{lead_id}")
def detail(request: Request, lead_id: uuid.UUID, ctx: SalesReader, session: DbSession) -> Response:
    with session.begin():
        return _detail(request, ctx, session, lead_id)


async def _decide(
    request: Request, lead_id: uuid.UUID, ctx: PageContext, session: Session, action: str
) -> Response:
    form = await request.form()
    target = f"/sales/leads/{lead_id}"
    message = {
        "accept": N_("Lead accepted: the opportunity is in the pipeline."),
        "reject": N_("Lead rejected."),
        "withdraw": N_("Lead withdrawn."),
    }[action]
    try:
        with session.begin():
            actor = ctx.actor
            if action == "accept":
                values = clean(form, ["close_on", "name"])
                opportunity = service.accept_lead(
                    session,
                    actor,
                    lead_id,
                    parse(LeadAccept, values),
                    today=today_in(actor.timezone),
                )
                target = f"/sales/opportunities/{opportunity.id}"
            elif action == "reject":
                reason = str(form.get("reason") or "")
                if not reason.strip():
                    raise Invalid(FieldProblem(("body", "reason"), "required", "say why"))
                service.reject_lead(session, actor, lead_id, LeadReject(reason=reason[:20_000]))
            else:
                service.withdraw_lead(session, actor, lead_id)
    except Invalid as exc:
        with session.begin():
            return _detail(request, ctx, session, lead_id, status_code=422, errors=_errors(exc))
    except (Conflict, Forbidden) as exc:
        if exc.code == "csrf":
            raise
        return redirect(target, flash=_CONFLICTS.get(exc.code, exc.message), level="error")
    return redirect(target, flash=message)


@router.post("/sales/leads/{lead_id}/accept")
async def accept(
    request: Request, lead_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _decide(request, lead_id, ctx, session, "accept")


@router.post("/sales/leads/{lead_id}/reject")
async def reject(
    request: Request, lead_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _decide(request, lead_id, ctx, session, "reject")


@router.post("/sales/leads/{lead_id}/withdraw")
async def withdraw(
    request: Request, lead_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _decide(request, lead_id, ctx, session, "withdraw")


# ---------------------------------------------------------------------------- Account 360


def _panel(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    leads = service.list_leads(
        session, ctx.actor, LeadFilters(account_id=account_id), limit=20
    ).items
    opportunities = service.list_opportunities(
        session, ctx.actor, OpportunityFilters(account_id=account_id), sort="-close_on", limit=20
    ).items
    can_pass = ctx.actor.can(Permission.PIPELINE_WRITE)
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    return render(
        request,
        ctx,
        "sales/leads/_account_panel.html",
        status_code=status_code,
        account_id=account_id,
        leads=leads,
        opportunities=opportunities,
        can_pass=can_pass,
        currency=_account_currency(session, account_id),
        activities=service.recent_activities(session, ctx.actor, account_id) if can_pass else [],
        **(form_choices(session, ctx) if can_pass else {}),
        **extra,
    )


@router.get("/accounts/{account_id}/leads-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    with session.begin():
        return _panel(request, ctx, session, account_id)
