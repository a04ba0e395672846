"""The pipeline: /sales/opportunities as a board by stage (count and amount per column;
stage moves via HTMX) or a filtered list; creating an opportunity directly; one
opportunity's page with its history, edit, win (writes the subscription line) and lose."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, FieldProblem, Forbidden, Invalid
from kizuna.kit.i18n import N_
from kizuna.kit.money import to_major
from kizuna.models.account import Account
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import OpportunityKind, OpportunityStage
from kizuna.pipeline import rules, service
from kizuna.pipeline.schemas import (
    OpportunityCreate,
    OpportunityFilters,
    OpportunityLose,
    OpportunityOut,
    OpportunityUpdate,
    OpportunityWin,
)
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesReader
from kizuna.web.forms import clean, date_or_none, errors_by_field, parse, parse_money, uuid_or_none
from kizuna.web.render import is_htmx, redirect, render

router = APIRouter()

_CONFLICTS = {
    "opportunity_closed": N_("This opportunity is already won or lost; that is final."),
    "forbidden": N_("Winning writes a subscription line: you need the right to change contracts."),
}
_FILTER_KEYS = (
    "stage",
    "lead_source",
    "owner_id",
    "created_by_id",
    "account_id",
    "product_id",
    "close_from",
    "close_to",
)
BOARD_CARDS = 60
CLOSED_CARDS = 8  # won / lost columns show the latest; the list has the rest


def _filters(params: Any) -> tuple[OpportunityFilters, dict[str, str]]:
    """Filters from a query string (unknown or malformed values are ignored)."""
    stage = params.get("stage")
    source = params.get("lead_source")
    filters = OpportunityFilters(
        stage=OpportunityStage(stage) if stage in {s.value for s in OpportunityStage} else None,
        lead_source=LeadSource(source) if source in {s.value for s in LeadSource} else None,
        owner_id=uuid_or_none(params.get("owner_id")),
        created_by_id=uuid_or_none(params.get("created_by_id")),
        account_id=uuid_or_none(params.get("account_id")),
        product_id=uuid_or_none(params.get("product_id")),
        close_from=date_or_none(params.get("close_from")),
        close_to=date_or_none(params.get("close_to")),
    )
    shown: dict[str, str] = {}
    for key in _FILTER_KEYS:
        value = getattr(filters, key)
        shown[key] = "" if value is None else str(getattr(value, "value", value))
    return filters, shown


def _choices(session: Session, ctx: PageContext) -> dict[str, Any]:
    return {
        "people": service.sales_people(session, ctx.actor),
        "products": service.products(session, ctx.actor),
        "sources": list(LeadSource),
        "stages": list(OpportunityStage),
        "open_stages": list(rules.OPEN_STAGES),
        "kinds": list(OpportunityKind),
    }


def _board_context(
    session: Session, ctx: PageContext, filters: OpportunityFilters
) -> dict[str, Any]:
    board = service.board(session, ctx.actor, filters)
    cards: dict[str, list[OpportunityOut]] = {}
    more: dict[str, bool] = {}
    for column in board.columns:
        if filters.stage is not None and column.stage is not filters.stage:
            cards[column.stage.value] = []
            more[column.stage.value] = False
            continue
        is_open = rules.is_open(column.stage)
        found = service.list_opportunities(
            session,
            ctx.actor,
            filters.model_copy(update={"stage": column.stage}),
            sort="close_on" if is_open else "-close_on",
            limit=BOARD_CARDS if is_open else CLOSED_CARDS,
        )
        cards[column.stage.value] = found.items
        more[column.stage.value] = found.next_cursor is not None
    return {"board": board, "cards": cards, "more": more}


@router.get("/sales/opportunities")
def pipeline_page(
    request: Request,
    ctx: SalesReader,
    session: DbSession,
    layout: str = "board",
    cursor: str | None = None,
    sort: str = "close_on",
) -> Response:
    filters, shown = _filters(request.query_params)
    layout = layout if layout in ("board", "list") else "board"
    sort = sort if sort.lstrip("-") in service.OPPORTUNITY_SORT_FIELDS else "close_on"
    query = urlencode({k: v for k, v in shown.items() if v})
    with session.begin():
        data: dict[str, Any] = {}
        if layout == "board":
            data = _board_context(session, ctx, filters)
        else:
            found = service.list_opportunities(
                session, ctx.actor, filters, sort=sort, cursor=cursor
            )
            data = {
                "items": found.items,
                "next_cursor": found.next_cursor,
                "board": service.board(session, ctx.actor, filters),
            }
        account_name = (
            session.scalar(select(Account.name).where(Account.id == filters.account_id))
            if filters.account_id
            else None
        )
        return render(
            request,
            ctx,
            "sales/opportunities/index.html",
            active="sales",
            sales_tab="opportunities",
            layout=layout,
            filters=shown,
            query=query,
            sort=sort,
            account_name=account_name,
            **data,
            **_choices(session, ctx),
        )


@router.post("/sales/opportunities/{opportunity_id}/stage")
async def move_stage(
    request: Request, opportunity_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    """A card's stage select (HTMX: the board comes back re-rendered, with the filters the
    page had); plain posts go back to the opportunity."""
    form = await request.form()
    stage = str(form.get("stage") or "")
    error = None
    try:
        with session.begin():
            if stage not in {s.value for s in OpportunityStage}:
                raise Invalid(FieldProblem(("body", "stage"), "enum", "unknown stage"))
            service.move_stage(session, ctx.actor, opportunity_id, OpportunityStage(stage))
    except Invalid as exc:
        error = exc.problems[0].message
    except Conflict as exc:
        error = _CONFLICTS.get(exc.code, exc.message)
    if not is_htmx(request):
        target = f"/sales/opportunities/{opportunity_id}"
        if error:
            return redirect(target, flash=error, level="error")
        return redirect(target, flash=N_("Stage changed."))
    filters, shown = _filters(dict(_query_of(form)))
    with session.begin():
        return render(
            request,
            ctx,
            "sales/opportunities/_board.html",
            filters=shown,
            query=urlencode({k: v for k, v in shown.items() if v}),
            board_error=error,
            **_board_context(session, ctx, filters),
            **_choices(session, ctx),
        )


def _query_of(form: Any) -> list[tuple[str, str]]:
    return parse_qsl(str(form.get("query") or ""))


# ---------------------------------------------------------------------------- create


def _new_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    accounts = list(
        session.execute(select(Account.id, Account.name).order_by(Account.name).limit(3000))
    )
    return render(
        request,
        ctx,
        "sales/opportunities/new.html",
        status_code=status_code,
        active="sales",
        sales_tab="opportunities",
        accounts=accounts,
        errors=errors or {},
        values=values or {},
        **_choices(session, ctx),
    )


@router.get("/sales/opportunities/new")
def new_page(
    request: Request, ctx: PipelineEditor, session: DbSession, account_id: str | None = None
) -> Response:
    with session.begin():
        return _new_page(request, ctx, session, values={"account_id": account_id or ""})


def _currency_of(session: Session, account_id: uuid.UUID | None) -> str:
    if account_id is None:
        return "JPY"
    return session.scalar(select(Account.currency).where(Account.id == account_id)) or "JPY"


@router.post("/sales/opportunities")
async def create(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    form = await request.form()
    try:
        with session.begin():
            values: dict[str, Any] = clean(
                form,
                [
                    "account_id",
                    "name",
                    "product_id",
                    "kind",
                    "stage",
                    "quantity",
                    "close_on",
                    "lead_source",
                    "owner_id",
                    "created_by_id",
                ],
            )
            currency = _currency_of(session, uuid_or_none(values.get("account_id")))
            values["amount"] = parse_money(str(form.get("amount") or "0"), currency, field="amount")
            opportunity = service.create_opportunity(
                session,
                ctx.actor,
                parse(OpportunityCreate, values),
                today=today_in(ctx.actor.timezone),
            )
    except Invalid as exc:
        with session.begin():
            return _new_page(
                request,
                ctx,
                session,
                status_code=422,
                errors=errors_by_field(exc),
                values={k: str(form.get(k) or "") for k in form},
            )
    return redirect(f"/sales/opportunities/{opportunity.id}", flash=N_("Opportunity created."))


# ---------------------------------------------------------------------------- one opportunity


def _detail(
    request: Request,
    ctx: PageContext,
    session: Session,
    opportunity_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    open_form: str = "",
) -> Response:
    opportunity = service.get_opportunity(session, ctx.actor, opportunity_id)
    return render(
        request,
        ctx,
        "sales/opportunities/detail.html",
        status_code=status_code,
        active="sales",
        sales_tab="opportunities",
        o=opportunity,
        amount_major=str(to_major(opportunity.amount, opportunity.currency)),
        is_open=rules.is_open(opportunity.stage),
        errors=errors or {},
        open_form=open_form,
        today=today_in(ctx.actor.timezone),
        **_choices(session, ctx),
    )


@router.get("/sales/opportunities/{opportunity_id}")
def detail(
    request: Request, opportunity_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    with session.begin():
        return _detail(request, ctx, session, opportunity_id)


async def _act(
    request: Request,
    opportunity_id: uuid.UUID,
    ctx: PageContext,
    session: Session,
    action: str,
) -> Response:
    form = await request.form()
    target = f"/sales/opportunities/{opportunity_id}"
    messages = {
        "edit": N_("Changes saved."),
        "win": N_("Won: the subscription line is written."),
        "lose": N_("Marked as lost."),
    }
    actor = ctx.actor
    day = today_in(actor.timezone)
    try:
        with session.begin():
            if action == "edit":
                currency = _currency_of(
                    session, service.access_opportunity(session, actor, opportunity_id).account_id
                )
                values: dict[str, Any] = clean(
                    form, ["name", "product_id", "kind", "quantity", "close_on", "owner_id"]
                )
                if form.get("amount"):
                    values["amount"] = parse_money(
                        str(form.get("amount")), currency, field="amount"
                    )
                service.update_opportunity(
                    session, actor, opportunity_id, parse(OpportunityUpdate, values)
                )
            elif action == "win":
                values = clean(form, ["start_on", "quantity"])
                service.win_opportunity(
                    session, actor, opportunity_id, parse(OpportunityWin, values), today=day
                )
            else:
                reason = str(form.get("reason") or "")
                if not reason.strip():
                    raise Invalid(FieldProblem(("body", "reason"), "required", "say why"))
                service.lose_opportunity(
                    session,
                    actor,
                    opportunity_id,
                    OpportunityLose(reason=reason[:20_000]),
                    today=day,
                )
    except Invalid as exc:
        with session.begin():
            return _detail(
                request,
                ctx,
                session,
                opportunity_id,
                status_code=422,
                errors=errors_by_field(exc),
                open_form=action,
            )
    except (Conflict, Forbidden) as exc:
        if exc.code == "csrf":
            raise
        return redirect(target, flash=_CONFLICTS.get(exc.code, exc.message), level="error")
    return redirect(target, flash=messages[action])


@router.post("/sales/opportunities/{opportunity_id}/edit")
async def edit(
    request: Request, opportunity_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, opportunity_id, ctx, session, "edit")


@router.post("/sales/opportunities/{opportunity_id}/won")
async def win(
    request: Request, opportunity_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, opportunity_id, ctx, session, "win")


@router.post("/sales/opportunities/{opportunity_id}/lost")
async def lose(
    request: Request, opportunity_id: uuid.UUID, ctx: PipelineEditor, session: DbSession
) -> Response:
    return await _act(request, opportunity_id, ctx, session, "lose")
