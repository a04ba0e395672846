"""PoC tracker pages: the list with counts per status and per CSM (/sales/pocs), a PoC's
page with its accounts, results, decision and feedback (/sales/pocs/{id}), the new/edit
form, and the Account 360 panel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.poc import PocDecision, PocOutcome, PocStatus
from kizuna.models.product import Product
from kizuna.models.user import User
from kizuna.poc import rules, service
from kizuna.poc.schemas import (
    FeedbackIn,
    PocAccountIn,
    PocAccountUpdate,
    PocCreate,
    PocFilters,
    PocUpdate,
    ResultIn,
    Transition,
)
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesReader
from kizuna.web.forms import errors_by_field, parse, safe_return, uuid_or_none
from kizuna.web.render import redirect, render

router = APIRouter()


def _choices(session: Session) -> dict[str, Any]:
    products = session.execute(
        select(Product.id, Product.name, Product.name_en, Product.code)
        .where(Product.is_active.is_(True))
        .order_by(Product.code)
    ).all()
    users = session.execute(
        select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name)
    ).all()
    return {"products": products, "users": users}


@router.get("/sales/pocs")
def list_page(request: Request, ctx: SalesReader, session: DbSession) -> Response:
    q = request.query_params
    status = q.get("status") if q.get("status") in {s.value for s in PocStatus} else None
    filters = PocFilters(
        status=PocStatus(status) if status else None,
        owner_id=uuid_or_none(q.get("owner")),
        product_id=uuid_or_none(q.get("product")),
    )
    with session.begin():
        listing = service.list_pocs(session, ctx.actor, filters)
        choices = _choices(session)
    return render(
        request,
        ctx,
        "sales/pocs/index.html",
        active="sales",
        sales_tab="pocs",
        listing=listing,
        filters={
            "status": status or "",
            "owner": str(filters.owner_id or ""),
            "product": str(filters.product_id or ""),
        },
        statuses=list(PocStatus),
        **choices,
    )


# ------------------------------------------------------------------------ new / edit form


def _criteria_of(form: FormData) -> list[dict[str, Any]]:
    keys = form.getlist("crit_key")
    texts = form.getlist("crit_text")
    targets = form.getlist("crit_target")
    measures = form.getlist("crit_measure")
    out = []
    for n, text in enumerate(texts):
        if not str(text).strip():
            continue
        key = str(keys[n]).strip() if n < len(keys) else ""
        out.append(
            {
                "key": key or None,
                "criterion": str(text).strip(),
                "target": str(targets[n]).strip() if n < len(targets) else "",
                "measure": str(measures[n]).strip() if n < len(measures) else "",
            }
        )
    return out


def _form_values(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")).strip(),
        "purpose": str(form.get("purpose", "")).strip(),
        "product_id": str(form.get("product_id", "")).strip() or None,
        "owner_id": str(form.get("owner_id", "")).strip() or None,
        "starts_on": str(form.get("starts_on", "")).strip() or None,
        "ends_on": str(form.get("ends_on", "")).strip() or None,
        "success_criteria": _criteria_of(form),
    }


def _form(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    poc_id: uuid.UUID | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        choices = _choices(session)
    return render(
        request,
        ctx,
        "sales/pocs/form.html",
        active="sales",
        sales_tab="pocs",
        poc_id=poc_id,
        values=values,
        errors=errors or {},
        status_code=status_code,
        **choices,
    )


@router.get("/sales/pocs/new")
def new_form(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    values = {"owner_id": str(ctx.actor.user_id or ""), "success_criteria": []}
    return _form(request, ctx, session, poc_id=None, values=values)


@router.post("/sales/pocs/new")
async def create(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    values = _form_values(await request.form())
    try:
        data = parse(PocCreate, values)
        with session.begin():
            poc = service.create_poc(session, ctx.actor, data)
            poc_id = poc.id
    except Invalid as exc:
        return _form(
            request, ctx, session, poc_id=None, values=values,
            errors=errors_by_field(exc), status_code=422,
        )  # fmt: skip
    return redirect(f"/sales/pocs/{poc_id}", flash=N_("PoC created."))


@router.get("/sales/pocs/{poc_id}/edit")
def edit_form(
    request: Request, poc_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    with session.begin():
        poc = service.get_poc(session, ctx.actor, poc_id)
    values = {
        "name": poc.name,
        "purpose": poc.purpose,
        "product_id": str(poc.product_id or ""),
        "owner_id": str(poc.owner_id or ""),
        "starts_on": poc.starts_on.isoformat() if poc.starts_on else "",
        "ends_on": poc.ends_on.isoformat() if poc.ends_on else "",
        "success_criteria": [c.model_dump() for c in poc.success_criteria],
    }
    return _form(request, ctx, session, poc_id=poc_id, values=values)


@router.post("/sales/pocs/{poc_id}/edit")
async def update(
    request: Request, poc_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    values = _form_values(await request.form())
    try:
        data = parse(PocUpdate, values)
        with session.begin():
            service.update_poc(session, ctx.actor, poc_id, data)
    except Invalid as exc:
        return _form(
            request, ctx, session, poc_id=poc_id, values=values,
            errors=errors_by_field(exc), status_code=422,
        )  # fmt: skip
    return redirect(f"/sales/pocs/{poc_id}", flash=N_("PoC saved."))


# ------------------------------------------------------------------------------ one PoC


def _detail(
    request: Request,
    ctx: PageContext,
    session: Session,
    poc_id: uuid.UUID,
    *,
    form_errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        poc = service.get_poc(session, ctx.actor, poc_id)
        account_ids = [a.account_id for a in poc.accounts]
        contacts: dict[uuid.UUID, list[Any]] = {}
        if account_ids:
            for c in session.execute(
                select(Contact.id, Contact.name, Contact.title, Contact.account_id)
                .where(Contact.account_id.in_(account_ids))
                .order_by(Contact.name)
            ).all():
                contacts.setdefault(c.account_id, []).append(c)
        account_names = (
            session.scalars(select(Account.name).order_by(Account.name).limit(5000)).all()
            if poc.status in rules.OPEN
            else []
        )
    return render(
        request,
        ctx,
        "sales/pocs/detail.html",
        active="sales",
        sales_tab="pocs",
        poc=poc,
        contacts=contacts,
        account_names=account_names,
        decisions=list(PocDecision),
        outcomes=list(PocOutcome),
        can_record=poc.status in (PocStatus.RUNNING, PocStatus.EVALUATING, PocStatus.DECIDED),
        is_open=poc.status in rules.OPEN,
        form_errors=form_errors or {},
        values=values or {},
        status_code=status_code,
    )


@router.get("/sales/pocs/{poc_id}")
def detail(request: Request, poc_id: uuid.UUID, ctx: SalesReader, session: DbSession) -> Response:
    return _detail(request, ctx, session, poc_id)


def _back(poc_id: uuid.UUID, message: str, anchor: str = "") -> Response:
    return redirect(f"/sales/pocs/{poc_id}{anchor}", flash=message)


@router.post("/sales/pocs/{poc_id}/transition")
async def move(
    request: Request, poc_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = {
        "status": str(form.get("status", "")),
        "decision": str(form.get("decision", "")) or None,
        "note": str(form.get("note", "")).strip(),
    }
    return_to = safe_return(str(form.get("return_to", "")), f"/sales/pocs/{poc_id}")
    try:
        data = parse(Transition, values)
        with session.begin():
            service.transition(session, ctx.actor, poc_id, data)
    except Invalid as exc:
        return _detail(
            request, ctx, session, poc_id, form_errors={"decide": errors_by_field(exc)},
            values={"decide": values}, status_code=422,
        )  # fmt: skip
    except Conflict:
        return redirect(return_to, flash=N_("That status change is not allowed."), level="error")
    return redirect(return_to, flash=N_("Status changed."))


def _participants(form: FormData) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = [
        {"contact_id": str(v)} for v in form.getlist("contact_ids") if uuid_or_none(str(v))
    ]
    names = str(form.get("names", "")).splitlines()
    people += [{"name": n.strip()} for n in names if n.strip()]
    return people


@router.post("/sales/pocs/{poc_id}/accounts")
async def add_account(
    request: Request, poc_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = {
        "account": str(form.get("account", "")).strip(),
        "reason": str(form.get("reason", "")).strip(),
        "names": str(form.get("names", "")),
    }
    return_to = safe_return(str(form.get("return_to", "")), f"/sales/pocs/{poc_id}#accounts")
    account_id = uuid_or_none(str(form.get("account_id", "")))
    try:
        with session.begin():
            if account_id is None:
                found = session.scalars(
                    select(Account.id).where(Account.name == values["account"]).limit(2)
                ).all()
                if len(found) != 1:
                    raise Invalid.field(
                        "account_id", "choose an account from the list", code="unknown_account"
                    )
                account_id = found[0]
            data = parse(
                PocAccountIn,
                {
                    "account_id": account_id,
                    "reason": values["reason"],
                    "participants": _participants(form),
                },
            )
            service.add_account(session, ctx.actor, poc_id, data)
    except Invalid as exc:
        return _detail(
            request, ctx, session, poc_id, form_errors={"add": errors_by_field(exc)},
            values={"add": values}, status_code=422,
        )  # fmt: skip
    except Conflict as exc:
        message = (
            N_("The account already takes part in this PoC.")
            if exc.code == "duplicate_account"
            else N_("The PoC is closed.")
        )
        return redirect(return_to, flash=message, level="error")
    return redirect(return_to, flash=N_("Account added to the PoC."))


@router.post("/sales/pocs/{poc_id}/accounts/{account_id}")
async def change_account(
    request: Request,
    poc_id: uuid.UUID,
    account_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    form = await request.form()
    action = str(form.get("action", "save"))
    try:
        with session.begin():
            if action == "remove":
                service.remove_account(session, ctx.actor, poc_id, account_id)
                message = N_("Account removed from the PoC.")
            elif action == "results":
                results = {
                    k.removeprefix("result_"): str(v)
                    for k, v in form.multi_items()
                    if k.startswith("result_")
                }
                outcome = str(form.get("outcome", ""))
                data = parse(ResultIn, {"results": results, "outcome": outcome or None})
                service.record_result(session, ctx.actor, poc_id, account_id, data)
                message = N_("Results saved.")
            else:
                update = parse(
                    PocAccountUpdate,
                    {
                        "reason": str(form.get("reason", "")).strip(),
                        "participants": _participants(form),
                    },
                )
                service.update_account(session, ctx.actor, poc_id, account_id, update)
                message = N_("Account updated.")
    except Invalid as exc:
        return _detail(
            request, ctx, session, poc_id,
            form_errors={f"acc_{account_id}": errors_by_field(exc)}, status_code=422,
        )  # fmt: skip
    except Conflict:
        return _back(poc_id, N_("Not possible in the PoC's current status."), "#accounts")
    return _back(poc_id, message, "#accounts")


def _feedback_values(form: FormData) -> dict[str, Any]:
    return {
        "text": str(form.get("text", "")).strip(),
        "sent_on": str(form.get("sent_on", "")).strip() or None,
    }


@router.post("/sales/pocs/{poc_id}/feedback")
async def add_feedback(
    request: Request, poc_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = _feedback_values(form)
    try:
        data = parse(FeedbackIn, values)
        with session.begin():
            service.add_feedback(session, ctx.actor, poc_id, data)
    except Invalid as exc:
        return _detail(
            request, ctx, session, poc_id, form_errors={"feedback": errors_by_field(exc)},
            values={"feedback": values}, status_code=422,
        )  # fmt: skip
    return _back(poc_id, N_("Feedback added."), "#feedback")


@router.post("/sales/pocs/{poc_id}/feedback/{feedback_id}")
async def change_feedback(
    request: Request,
    poc_id: uuid.UUID,
    feedback_id: uuid.UUID,
    ctx: PipelineEditor,
    session: DbSession,
) -> Response:
    form = await request.form()
    if str(form.get("action", "")) == "remove":
        with session.begin():
            service.remove_feedback(session, ctx.actor, poc_id, feedback_id)
        return _back(poc_id, N_("Feedback removed."), "#feedback")
    values = _feedback_values(form)
    try:
        data = parse(FeedbackIn, values)
        with session.begin():
            service.update_feedback(session, ctx.actor, poc_id, feedback_id, data)
    except Invalid as exc:
        return _detail(
            request, ctx, session, poc_id, form_errors={"feedback": errors_by_field(exc)},
            status_code=422,
        )  # fmt: skip
    return _back(poc_id, N_("Feedback saved."), "#feedback")


# ------------------------------------------------------------------------ Account 360 panel


@router.post("/accounts/{account_id}/pocs")
async def join_poc(
    request: Request, account_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    """Account 360: add this account to the open PoC chosen in the form."""
    form = await request.form()
    back = f"/accounts/{account_id}#pocs-section"
    poc_id = uuid_or_none(str(form.get("poc", "")))
    if poc_id is None:
        return redirect(back, flash=N_("Choose a PoC."), level="error")
    try:
        data = parse(
            PocAccountIn, {"account_id": account_id, "reason": str(form.get("reason", "")).strip()}
        )
        with session.begin():
            service.add_account(session, ctx.actor, poc_id, data)
    except Conflict as exc:
        message = (
            N_("The account already takes part in this PoC.")
            if exc.code == "duplicate_account"
            else N_("The PoC is closed.")
        )
        return redirect(back, flash=message, level="error")
    except Invalid:
        return redirect(back, flash=N_("The account was not added."), level="error")
    return redirect(back, flash=N_("Account added to the PoC."))


@router.get("/accounts/{account_id}/pocs-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    """The PoCs section of Account 360 (loaded by HTMX): PoCs the account takes part in,
    and adding it to an open PoC."""
    with session.begin():
        taking_part = service.account_pocs(session, ctx.actor, account_id)
        mine = {s.id for s, _ in taking_part}
        open_pocs = [
            p
            for p in service.list_pocs(session, ctx.actor, PocFilters()).items
            if p.status in rules.OPEN and p.id not in mine
        ]
    return render(
        request,
        ctx,
        "sales/pocs/_account_panel.html",
        account_id=account_id,
        taking_part=taking_part,
        open_pocs=open_pocs,
    )
