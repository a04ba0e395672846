"""Mutual closing plans: the list, the editor (/sales/closing-plans/{id}: steps added,
edited, reordered and completed in place by HTMX), the PDF, and the customer's read-only
share page /mcp/{token} (public: no login, no app chrome, no internal notes)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Invalid, NotFound
from kizuna.kit.i18n import N_
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.pipeline import Opportunity
from kizuna.models.renewal import ClosingPlanSide, ClosingStepStatus, Renewal
from kizuna.models.user import User
from kizuna.renewal import closing_plans as service
from kizuna.renewal.pdf import render_pdf
from kizuna.renewal.schemas import (
    PlanCreate,
    PlanFilters,
    PlanUpdate,
    ShareCreate,
    StepCreate,
    StepUpdate,
)
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesReader, public_page
from kizuna.web.forms import clean, errors_by_field, parse, uuid_or_none
from kizuna.web.render import is_htmx, redirect, render
from kizuna.web.templating import translation_context

router = APIRouter()

_PUBLIC_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def _users(session: Session) -> list[tuple[uuid.UUID, str]]:
    return [
        (row[0], row[1])
        for row in session.execute(
            select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name)
        )
    ]


def _contacts(session: Session, account_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    return [
        (row[0], row[1] + (f" ({row[2]})" if row[2] else ""))
        for row in session.execute(
            select(Contact.id, Contact.name, Contact.title)
            .where(Contact.account_id == account_id, Contact.is_active.is_(True))
            .order_by(Contact.name)
        )
    ]


def _pdf_response(content: bytes, *, public: bool) -> Response:
    headers = {"Content-Disposition": 'inline; filename="closing-plan.pdf"'}
    if public:
        headers.update(_PUBLIC_HEADERS)
    return Response(content, media_type="application/pdf", headers=headers)


# ------------------------------------------------------------------------------ list


@router.get("/sales/closing-plans")
def plans_page(
    request: Request,
    ctx: SalesReader,
    session: DbSession,
    owner: str | None = None,
    archived: str | None = None,
) -> Response:
    day = today_in(ctx.actor.timezone)
    owner_id = ctx.actor.user_id if owner == "me" else uuid_or_none(owner)
    filters = PlanFilters(owner_id=owner_id, archived=archived == "1")
    with session.begin():
        plans = service.list_plans(session, ctx.actor, filters, today=day)
        users = _users(session)
    return render(
        request,
        ctx,
        "sales/closing_plans/index.html",
        active="sales",
        sales_tab="renewals",
        plans=plans,
        users=users,
        owner=owner or "",
        archived=filters.archived,
        can_write=ctx.actor.can(Permission.PIPELINE_WRITE),
    )


# ----------------------------------------------------------------------------- create


def _new_form(
    request: Request,
    ctx: PageContext,
    session: Session,
    query: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    renewal = (
        session.get(Renewal, uuid_or_none(query.get("renewal_id")))
        if query.get("renewal_id")
        else None
    )
    opportunity = (
        session.get(Opportunity, uuid_or_none(query.get("opportunity_id")))
        if query.get("opportunity_id")
        else None
    )
    account_id = (
        renewal.account_id
        if renewal
        else opportunity.account_id
        if opportunity
        else uuid_or_none(query.get("account_id"))
    )
    account = access_account(session, ctx.actor, account_id) if account_id else None
    accounts: list[tuple[uuid.UUID, str]] = []
    if account is None:
        accounts = [
            (row[0], row[1])
            for row in session.execute(
                select(Account.id, Account.name).order_by(Account.name).limit(5000)
            )
        ]
    title = str(query.get("title") or "")
    if not title and account is not None:
        title = (
            f"{account.name} {renewal.renews_on.isoformat()}"
            if renewal
            else (opportunity.name if opportunity else account.name)
        )
    return render(
        request,
        ctx,
        "sales/closing_plans/new.html",
        status_code=status_code,
        active="sales",
        sales_tab="renewals",
        account=account,
        accounts=accounts,
        renewal=renewal,
        opportunity=opportunity,
        users=_users(session),
        values={**query, "title": title},
        errors=errors or {},
    )


@router.get("/sales/closing-plans/new")
def new_plan(
    request: Request,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    """From a renewal (``renewal_id``), an opportunity (``opportunity_id``) or an account."""
    with session.begin():
        return _new_form(request, ctx, session, dict(request.query_params))


@router.post("/sales/closing-plans")
async def create_plan(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    form = await request.form()
    values = clean(
        form,
        [
            "account_id",
            "renewal_id",
            "opportunity_id",
            "title",
            "goal",
            "internal_note",
            "owner_id",
        ],
    )
    values.setdefault("owner_id", str(ctx.actor.user_id) if ctx.actor.user_id else None)
    try:
        with session.begin():
            plan = service.create_plan(session, ctx.actor, parse(PlanCreate, values))
            plan_id = plan.id
    except Invalid as exc:
        with session.begin():
            return _new_form(
                request,
                ctx,
                session,
                {k: str(form.get(k) or "") for k in form},
                errors=errors_by_field(exc),
                status_code=422,
            )
    return redirect(f"/sales/closing-plans/{plan_id}", flash=N_("Closing plan created."))


# ------------------------------------------------------------------------------- view


@router.get("/sales/closing-plans/{plan_id}.pdf")
def plan_pdf(
    plan_id: uuid.UUID, ctx: SalesReader, session: DbSession, language: str | None = None
) -> Response:
    """The customer's version (no internal notes), in ``language`` (default: yours)."""
    lang = language if language in ("ja", "en") else ctx.actor.locale
    with session.begin():
        plan = service.plan_for_pdf(
            session, ctx.actor, plan_id, lang, today=today_in(ctx.actor.timezone)
        )
    return _pdf_response(render_pdf(plan), public=False)


def _plan_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    plan_id: uuid.UUID,
    *,
    template: str = "sales/closing_plans/detail.html",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    day = today_in(ctx.actor.timezone)
    with session.begin():
        plan = service.get_plan(session, ctx.actor, plan_id, today=day)
        users = _users(session)
        contacts = _contacts(session, plan.account_id)
    extra.setdefault("errors", {})
    extra.setdefault("step_errors", {})
    return render(
        request,
        ctx,
        template,
        status_code=status_code,
        active="sales",
        sales_tab="renewals",
        plan=plan,
        users=users,
        contacts=contacts,
        sides=list(ClosingPlanSide),
        statuses=list(ClosingStepStatus),
        today=day,
        can_write=ctx.actor.can(Permission.PIPELINE_WRITE),
        **extra,
    )


@router.get("/sales/closing-plans/{plan_id}")
def plan_page(
    request: Request, plan_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    return _plan_page(request, ctx, session, plan_id)


@router.post("/sales/closing-plans/{plan_id}")
async def update_plan(
    request: Request, plan_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "title": str(form.get("title") or "").strip(),
        "goal": str(form.get("goal") or ""),
        "internal_note": str(form.get("internal_note") or ""),
        "owner_id": form.get("owner_id") or None,
        "archived": form.get("archived") == "1",
    }
    try:
        with session.begin():
            service.update_plan(session, ctx.actor, plan_id, parse(PlanUpdate, values))
    except Invalid as exc:
        return _plan_page(
            request, ctx, session, plan_id, errors=errors_by_field(exc), status_code=422
        )
    return redirect(f"/sales/closing-plans/{plan_id}", flash=N_("Closing plan saved."))


@router.post("/sales/closing-plans/{plan_id}/delete")
def delete_plan(plan_id: uuid.UUID, ctx: PipelineEditor, session: DbSession) -> Response:
    with session.begin():
        service.delete_plan(session, ctx.actor, plan_id)
    return redirect("/sales/closing-plans", flash=N_("Closing plan deleted."))


# ------------------------------------------------------------------------------ steps


def _steps_response(
    request: Request,
    ctx: PageContext,
    session: Session,
    plan_id: uuid.UUID,
    *,
    flash: str | None = None,
    **extra: Any,
) -> Response:
    """HTMX: the re-rendered steps section; a plain form post: back to the plan."""
    if is_htmx(request):
        return _plan_page(
            request, ctx, session, plan_id, template="sales/closing_plans/_steps.html", **extra
        )
    if extra.get("step_errors"):
        return _plan_page(request, ctx, session, plan_id, status_code=422, **extra)
    return redirect(f"/sales/closing-plans/{plan_id}#mcp-steps", flash=flash)


def _step_values(form: Any) -> dict[str, Any]:
    """The step form: one owner field chosen by ``owner`` = ``user:<id>``, ``contact:<id>``
    or free text in ``owner_name``."""
    owner = str(form.get("owner") or "")
    values: dict[str, Any] = {
        "title": str(form.get("title") or "").strip(),
        "side": form.get("side") or ClosingPlanSide.OURS.value,
        "status": form.get("status") or ClosingStepStatus.PLANNED.value,
        "due_on": form.get("due_on") or None,
        "done_on": form.get("done_on") or None,
        "note": str(form.get("note") or ""),
        "internal_note": str(form.get("internal_note") or ""),
        "owner_user_id": owner[5:] if owner.startswith("user:") else None,
        "owner_contact_id": owner[8:] if owner.startswith("contact:") else None,
        "owner_name": "" if owner else str(form.get("owner_name") or "").strip(),
    }
    return values


@router.post("/sales/closing-plans/{plan_id}/steps")
async def add_step(
    request: Request, plan_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = _step_values(form)
    try:
        with session.begin():
            service.add_step(
                session,
                ctx.actor,
                plan_id,
                parse(StepCreate, values),
                today=today_in(ctx.actor.timezone),
            )
    except Invalid as exc:
        return _steps_response(
            request,
            ctx,
            session,
            plan_id,
            step_errors={"new": errors_by_field(exc)},
            step_values={"new": values},
        )
    return _steps_response(request, ctx, session, plan_id, flash=N_("Step added."))


@router.post("/sales/closing-plans/{plan_id}/steps/{step_id}")
async def update_step(
    request: Request,
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    """The whole step form, or only ``status`` (the quick status select)."""
    form = await request.form()
    if form.get("quick") == "status":
        values: dict[str, Any] = {"status": form.get("status")}
    else:
        values = _step_values(form)
    try:
        with session.begin():
            service.update_step(
                session,
                ctx.actor,
                plan_id,
                step_id,
                parse(StepUpdate, values),
                today=today_in(ctx.actor.timezone),
            )
    except Invalid as exc:
        return _steps_response(
            request,
            ctx,
            session,
            plan_id,
            step_errors={str(step_id): errors_by_field(exc)},
            open_step=str(step_id),
        )
    return _steps_response(request, ctx, session, plan_id, flash=N_("Step saved."))


@router.post("/sales/closing-plans/{plan_id}/steps/{step_id}/complete")
def complete_step(
    request: Request,
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    with session.begin():
        service.complete_step(
            session, ctx.actor, plan_id, step_id, today=today_in(ctx.actor.timezone)
        )
    return _steps_response(request, ctx, session, plan_id, flash=N_("Step done."))


@router.post("/sales/closing-plans/{plan_id}/steps/{step_id}/move")
async def move_step(
    request: Request,
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    form = await request.form()
    offset = -1 if form.get("direction") == "up" else 1
    with session.begin():
        service.move_step(session, ctx.actor, plan_id, step_id, offset)
    return _steps_response(request, ctx, session, plan_id)


@router.post("/sales/closing-plans/{plan_id}/steps/{step_id}/delete")
def delete_step(
    request: Request,
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    with session.begin():
        service.delete_step(session, ctx.actor, plan_id, step_id)
    return _steps_response(request, ctx, session, plan_id, flash=N_("Step deleted."))


# ---------------------------------------------------------------------------- sharing


@router.post("/sales/closing-plans/{plan_id}/share")
async def share_plan(
    request: Request, plan_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    """A new share link; the page shows its address once (only its hash is kept)."""
    form = await request.form()
    values = clean(form, ["language", "expires_on"])
    try:
        with session.begin():
            link = service.share(
                session, ctx.actor, plan_id, parse(ShareCreate, values), zone=ctx.actor.timezone
            )
    except Invalid as exc:
        return _plan_page(
            request, ctx, session, plan_id, share_errors=errors_by_field(exc), status_code=422
        )
    base = str(request.base_url).rstrip("/")
    return _plan_page(
        request,
        ctx,
        session,
        plan_id,
        new_link={"url": base + link.path, "pdf": base + link.pdf_path},
    )


@router.post("/sales/closing-plans/{plan_id}/unshare")
def unshare_plan(plan_id: uuid.UUID, ctx: PipelineEditor, session: DbSession) -> Response:
    with session.begin():
        service.revoke_share(session, ctx.actor, plan_id)
    return redirect(f"/sales/closing-plans/{plan_id}", flash=N_("Share link revoked."))


# ---------------------------------------------------------------- the customer's view


@router.get("/mcp/{token}.pdf", dependencies=[Depends(public_page)])
def public_pdf(request: Request, token: str, session: DbSession) -> Response:
    zone = str(request.app.state.settings.default_timezone)
    with session.begin():
        plan = service.public_plan(session, token, today=today_in(zone))
    return _pdf_response(render_pdf(plan), public=True)


@router.get("/mcp/{token}", dependencies=[Depends(public_page)])
def public_view(request: Request, token: str, session: DbSession) -> Response:
    """The plan as the customer sees it: in the link's language, without internal notes."""
    zone = str(request.app.state.settings.default_timezone)
    try:
        with session.begin():
            plan = service.public_plan(session, token, today=today_in(zone))
    except NotFound:
        return _public_html(request, "sales/closing_plans/public_gone.html", "ja", 404)
    return _public_html(
        request, "sales/closing_plans/public.html", plan.language, 200, plan=plan, token=token
    )


def _public_html(
    request: Request, template: str, language: str, status_code: int, **data: Any
) -> Response:
    env: Environment = request.app.state.templates
    html = env.get_template(template).render(
        **translation_context(language),
        timezone=str(request.app.state.settings.default_timezone),
        **data,
    )
    return HTMLResponse(html, status_code=status_code, headers=_PUBLIC_HEADERS)
