"""Hand-off pages: the list with measures (/sales/handoffs), a hand-off (read view with
history, accept / return for CS, edit for sales), the form, the required-fields setting,
the CSV upload, and the Account 360 panel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from kizuna.auth.permissions import Permission
from kizuna.handoff import fields, importer, rules, service
from kizuna.handoff.rules import Action
from kizuna.handoff.schemas import (
    HandoffCreate,
    HandoffFilters,
    HandoffOut,
    HandoffSettingsIn,
    HandoffUpdate,
    Tab,
)
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, FieldProblem, Forbidden, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.product import Product
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesAdmin, SalesReader
from kizuna.web.field_errors import message_for
from kizuna.web.forms import date_or_none, parse, parse_money, uuid_or_none
from kizuna.web.render import redirect, render

router = APIRouter()

TABS = (Tab.REVIEW, Tab.RETURNED, Tab.DRAFTS, Tab.ACCEPTED, Tab.ALL)
FIELD_NAMES = {
    "mrr": N_("Contract MRR"),
    "purpose": N_("Purpose of adoption"),
    "success_criteria": N_("Success criteria"),
    "promises": N_("Promises and expectations"),
    "decision_maker": N_("Decision maker"),
    "key_people": N_("Key people"),
    "expansion_room": N_("Expansion room"),
    "risks": N_("Risks"),
    "sales_history": N_("Sales history"),
}
_CONFLICTS = {
    "invalid_transition": N_("This hand-off has moved on; reload to see its status."),
    "own_handoff": N_("You submitted this hand-off; someone else must accept or return it."),
}
# Problem codes of the hand-off service and the CSV import, in the reader's language.
_CODES = {
    "unknown_column": N_("Unknown column."),
    "duplicate_column": N_("The column appears twice."),
    "missing_column": N_("Required column missing."),
    "bad_value": N_("Not in the expected format."),
    "unknown_contact": N_("Not a contact of this account."),
    "extra_cells": N_("More cells than columns."),
    "conflict": N_("The hand-off is already submitted or accepted and cannot change."),
    "invalid": N_("Not a valid value."),
    "ambiguous": N_("Several accounts have this name; pick one."),
    "encoding": N_("The file is neither UTF-8 nor Shift_JIS."),
    "empty": N_("The file has no rows."),
    "too_many_rows": N_("Too many rows."),
    "too_large": N_("The file is too large."),
}
TEXT_INPUTS = (
    "deal_name",
    "external_id",
    "purpose",
    "success_criteria",
    "promises",
    "decision_maker_name",
    "decision_maker_title",
    "expansion_departments",
    "risks",
    "sales_history",
)


# ---------------------------------------------------------------------------- list


def _list_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    filters: HandoffFilters,
    *,
    cursor: str | None = None,
    status_code: int = 200,
    import_problems: list[dict[str, Any]] | None = None,
) -> Response:
    actor = ctx.actor
    with session.begin():
        sort = "submitted_at" if filters.tab is Tab.REVIEW else "-won_on"
        page_ = service.list_handoffs(session, actor, filters, sort=sort, cursor=cursor)
        counts = service.count_by_tab(session, actor, filters)
        report = service.metrics_report(
            session,
            actor,
            won_from=filters.won_from,
            won_to=filters.won_to,
            sales_owner_id=filters.sales_owner_id,
        )
        settings = service.get_settings(session, actor)
        owners = service.owner_choices(session)
    return render(
        request,
        ctx,
        "sales/handoffs/index.html",
        status_code=status_code,
        active="sales",
        sales_tab="handoffs",
        tabs=TABS,
        tab=filters.tab.value,
        counts=counts,
        handoffs=page_.items,
        next_cursor=page_.next_cursor,
        report=report,
        settings=settings,
        field_names=FIELD_NAMES,
        owners=owners,
        filters={
            "owner": str(filters.sales_owner_id or ""),
            "won_from": filters.won_from.isoformat() if filters.won_from else "",
            "won_to": filters.won_to.isoformat() if filters.won_to else "",
        },
        columns=importer.COLUMNS,
        column_help=importer.COLUMN_HELP,
        import_problems=import_problems,
    )


@router.get("/sales/handoffs")
def list_page(
    request: Request,
    ctx: SalesReader,
    session: DbSession,
    tab: str = "review",
    owner: str | None = None,
    won_from: str | None = None,
    won_to: str | None = None,
    cursor: str | None = None,
) -> Response:
    filters = HandoffFilters(
        tab=Tab(tab) if tab in {t.value for t in Tab} else Tab.REVIEW,
        sales_owner_id=uuid_or_none(owner),
        won_from=date_or_none(won_from),
        won_to=date_or_none(won_to),
    )
    return _list_page(request, ctx, session, filters, cursor=cursor)


@router.post("/sales/handoffs/settings")
async def save_settings(request: Request, ctx: SalesAdmin, session: DbSession) -> Response:
    form = await request.form()
    wanted = [str(v) for v in form.getlist("required") if str(v) in fields.FIELDS]
    with session.begin():
        service.put_settings(session, ctx.actor, HandoffSettingsIn(required_fields=wanted))
    return redirect("/sales/handoffs?tab=all", flash=N_("Required fields saved."))


@router.post("/sales/handoffs/import")
async def upload(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    """All or nothing; on a problem the page lists every one by row and column (422)."""
    async with request.form() as form:
        file = form.get("file")
        data = await file.read() if isinstance(file, StarletteUpload) else b""
    try:
        with session.begin():
            result = importer.import_csv(session, ctx.actor, data)
    except Invalid as exc:
        problems = [
            {
                "row": p.loc[1] if len(p.loc) > 2 else None,
                "column": str(p.loc[-1]) if len(p.loc) > 1 else "",
                "message": _message(p),
                "detail": p.message,
            }
            for p in exc.problems
        ]
        filters = HandoffFilters(tab=Tab.ALL)
        return _list_page(request, ctx, session, filters, status_code=422, import_problems=problems)
    tab = "review" if result.submitted else "all"
    return redirect(f"/sales/handoffs?tab={tab}", flash=N_("Import done: the hand-offs are saved."))


# ---------------------------------------------------------------------------- form


def _form_choices(session: Session, account_id: uuid.UUID | None) -> dict[str, Any]:
    contacts: list[tuple[uuid.UUID, str]] = []
    if account_id is not None:
        contacts = [
            (r[0], f"{r[1]}{' / ' + r[2] if r[2] else ''}")
            for r in session.execute(
                select(Contact.id, Contact.name, Contact.title)
                .where(Contact.account_id == account_id, Contact.is_active)
                .order_by(Contact.name)
            )
        ]
    products = [
        (r[0], r[1])
        for r in session.execute(
            select(Product.code, Product.name).where(Product.is_active).order_by(Product.code)
        )
    ]
    account_names = list(
        session.scalars(select(Account.name).order_by(Account.created_at.desc()).limit(2000))
    )
    return {
        "contacts": contacts,
        "products": products,
        "account_names": account_names,
        "owners": service.owner_choices(session),
        "field_names": FIELD_NAMES,
        "required": service.required_fields(session),
    }


def _people_text(people: list[dict[str, Any]]) -> str:
    """Key people as the form's text: one ``name | title | role`` per line."""
    lines = []
    for p in people:
        parts = [p.get("name") or "", p.get("title") or "", p.get("role") or ""]
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def _values_from_out(h: HandoffOut) -> dict[str, Any]:
    values = h.model_dump()
    values["key_people_text"] = _people_text(values["key_people"])
    values["mrr_major"] = str(h.mrr_amount) if h.mrr_amount else ""
    return values


def _read_form(form: Any, currency: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's inputs as service values, and errors of inputs that do not parse."""
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in TEXT_INPUTS}
    errors: dict[str, str] = {}
    values["external_id"] = values["external_id"] or None
    try:
        values["mrr_amount"] = parse_money(
            str(form.get("mrr_major", "")), currency, field="mrr_amount"
        )
    except Invalid as exc:
        errors["mrr_major"] = message_for(exc.problems[0])
    values["won_on"] = date_or_none(form.get("won_on"))
    if values["won_on"] is None:
        errors["won_on"] = N_("Enter a date.")
    values["sales_owner_id"] = uuid_or_none(form.get("sales_owner_id"))
    values["decision_maker_contact_id"] = uuid_or_none(form.get("decision_maker_contact_id"))
    headcount = str(form.get("expansion_headcount", "")).replace(",", "").strip()
    if headcount:
        if headcount.isdigit():
            values["expansion_headcount"] = int(headcount)
        else:
            errors["expansion_headcount"] = N_("Enter a whole number.")
    else:
        values["expansion_headcount"] = None
    values["expansion_products"] = [str(c) for c in form.getlist("expansion_products") if c]
    try:
        values["key_people"] = importer.parse_people(str(form.get("key_people_text", "")))
    except ValueError:
        errors["key_people_text"] = N_("One person per line: name | title | role.")
    return values, errors


def _message(problem: FieldProblem) -> str:
    return _CODES.get(problem.code) or message_for(problem)


def _form_errors(exc: Invalid) -> dict[str, str]:
    """Errors by the form's input names (the service names its own fields)."""
    renames = {"mrr_amount": "mrr_major", "key_people": "key_people_text", "mrr": "mrr_major"}
    errors: dict[str, str] = {}
    for p in exc.problems:
        name = str(p.loc[1] if len(p.loc) > 1 else p.loc[0])
        errors.setdefault(renames.get(name, name), _message(p))
    return errors


def _form_page(
    request: Request,
    ctx: PageContext,
    choices: dict[str, Any],
    *,
    handoff: HandoffOut | None,
    account: Account | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The hand-off form (new or edit), with ``errors`` next to their inputs."""
    return render(
        request,
        ctx,
        "sales/handoffs/form.html",
        status_code=status_code,
        active="sales",
        sales_tab="handoffs",
        handoff=handoff,
        account=account,
        values=values,
        errors=errors,
        **choices,
    )


@router.get("/sales/handoffs/new")
def new_form(
    request: Request, ctx: PipelineEditor, session: DbSession, account_id: str | None = None
) -> Response:
    with session.begin():
        account = (
            session.get(Account, uuid_or_none(account_id)) if uuid_or_none(account_id) else None
        )
        choices = _form_choices(session, account.id if account else None)
    values = {
        "won_on": today_in(ctx.actor.timezone).isoformat(),
        "sales_owner_id": ctx.actor.user_id,
        "account_name": account.name if account else "",
    }
    return _form_page(
        request, ctx, choices, handoff=None, account=account, values=values, errors={}
    )


@router.post("/sales/handoffs/new")
async def create(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    form = await request.form()
    account_id = uuid_or_none(form.get("account_id"))
    account_name = str(form.get("account_name", "")).strip() or None
    values, errors = _read_form(form, str(form.get("currency") or "JPY"))
    submit = form.get("action") == "submit"
    handoff_id: uuid.UUID | None = None
    if not errors:
        try:
            with session.begin():
                data = parse(
                    HandoffCreate,
                    {
                        **values,
                        "account_id": account_id,
                        "account_name": None if account_id else account_name,
                        "submit": submit,
                    },
                )
                handoff_id = service.create_handoff(session, ctx.actor, data).id
        except Invalid as exc:
            errors = _form_errors(exc)
    if errors or handoff_id is None:
        with session.begin():
            account = session.get(Account, account_id) if account_id else None
            choices = _form_choices(session, account_id)
        values["account_name"] = account_name or ""
        values["key_people_text"] = str(form.get("key_people_text", ""))
        values["mrr_major"] = str(form.get("mrr_major", ""))
        return _form_page(
            request,
            ctx,
            choices,
            handoff=None,
            account=account,
            values=values,
            errors=errors,
            status_code=422,
        )
    message = N_("Hand-off submitted to customer success.") if submit else N_("Draft saved.")
    return redirect(f"/sales/handoffs/{handoff_id}", flash=message)


@router.get("/sales/handoffs/{handoff_id}/edit")
def edit_form(
    request: Request, handoff_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    with session.begin():
        h = service.get_handoff(session, ctx.actor, handoff_id)
        if not rules.allowed(h.status, Action.EDIT):
            return redirect(f"/sales/handoffs/{h.id}")
        choices = _form_choices(session, h.account_id)
    return _form_page(
        request, ctx, choices, handoff=h, account=None, values=_values_from_out(h), errors={}
    )


@router.post("/sales/handoffs/{handoff_id}/edit")
async def update(
    request: Request, handoff_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    with session.begin():
        current = service.get_handoff(session, ctx.actor, handoff_id)
    values, errors = _read_form(form, current.currency or "JPY")
    submit = form.get("action") == "submit"
    if not errors:
        try:
            with session.begin():
                service.update_handoff(session, ctx.actor, handoff_id, parse(HandoffUpdate, values))
                if submit:
                    service.submit_handoff(session, ctx.actor, handoff_id)
        except Invalid as exc:
            errors = _form_errors(exc)
        except Conflict as exc:
            return redirect(
                f"/sales/handoffs/{handoff_id}",
                flash=_CONFLICTS.get(exc.code, exc.message),
                level="error",
            )
    if errors:
        with session.begin():
            choices = _form_choices(session, current.account_id)
        values["key_people_text"] = str(form.get("key_people_text", ""))
        values["mrr_major"] = str(form.get("mrr_major", ""))
        return _form_page(
            request,
            ctx,
            choices,
            handoff=current,
            account=None,
            values=values,
            errors=errors,
            status_code=422,
        )
    message = N_("Hand-off submitted to customer success.") if submit else N_("Saved.")
    return redirect(f"/sales/handoffs/{handoff_id}", flash=message)


# ---------------------------------------------------------------------------- detail


def _detail(
    request: Request,
    ctx: PageContext,
    session: Session,
    handoff_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        h = service.get_handoff(session, ctx.actor, handoff_id)
        products = dict(
            session.execute(
                select(Product.code, Product.name).where(
                    Product.code.in_(h.expansion_products or ["-"])
                )
            ).all()
        )
    can_write = ctx.actor.can(Permission.PIPELINE_WRITE)
    own = h.submitted_by_id is not None and h.submitted_by_id == ctx.actor.user_id
    return render(
        request,
        ctx,
        "sales/handoffs/detail.html",
        status_code=status_code,
        active="sales",
        sales_tab="handoffs",
        h=h,
        field_names=FIELD_NAMES,
        product_names=products,
        can_edit=can_write and Action.EDIT.value in h.actions,
        can_decide=can_write and Action.ACCEPT.value in h.actions and not own,
        own_submission=own and h.status == "submitted",
        errors=errors or {},
    )


@router.get("/sales/handoffs/{handoff_id}")
def detail(
    request: Request, handoff_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    return _detail(request, ctx, session, handoff_id)


async def _act(
    request: Request, handoff_id: uuid.UUID, ctx: PageContext, session: Session, action: Action
) -> Response:
    form = await request.form()
    messages = {
        Action.SUBMIT: N_("Hand-off submitted to customer success."),
        Action.ACCEPT: N_("Hand-off accepted: onboarding starts."),
        Action.RETURN: N_("Hand-off returned to sales."),
    }
    try:
        with session.begin():
            if action is Action.SUBMIT:
                service.submit_handoff(session, ctx.actor, handoff_id)
            elif action is Action.ACCEPT:
                service.accept_handoff(session, ctx.actor, handoff_id)
            else:
                service.return_handoff(session, ctx.actor, handoff_id, str(form.get("reason", "")))
    except Invalid as exc:
        return _detail(request, ctx, session, handoff_id, status_code=422, errors=_form_errors(exc))
    except (Conflict, Forbidden) as exc:
        if exc.code == "csrf":
            raise
        return redirect(
            f"/sales/handoffs/{handoff_id}",
            flash=_CONFLICTS.get(exc.code, exc.message),
            level="error",
        )
    return redirect(f"/sales/handoffs/{handoff_id}", flash=messages[action])


@router.post("/sales/handoffs/{handoff_id}/submit")
async def submit(
    request: Request, handoff_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, handoff_id, ctx, session, Action.SUBMIT)


@router.post("/sales/handoffs/{handoff_id}/accept")
async def accept(
    request: Request, handoff_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, handoff_id, ctx, session, Action.ACCEPT)


@router.post("/sales/handoffs/{handoff_id}/return")
async def send_back(
    request: Request, handoff_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, handoff_id, ctx, session, Action.RETURN)


# ---------------------------------------------------------------------------- Account 360


@router.get("/accounts/{account_id}/handoff-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    with session.begin():
        h = service.latest_for_account(session, ctx.actor, account_id)
    return render(
        request,
        ctx,
        "sales/handoffs/_account_panel.html",
        h=h,
        account_id=account_id,
        field_names=FIELD_NAMES,
    )
