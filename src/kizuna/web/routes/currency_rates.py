"""Exchange rates (admin): list, add and delete the rates used to report in one currency."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Invalid, NotFound
from kizuna.kit.i18n import N_
from kizuna.revenue import rates
from kizuna.revenue.schemas import RateCreate
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.forms import clean, errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()
CurrencyAdmin = Annotated[PageContext, Depends(page(Permission.CURRENCY_ADMIN))]
_FIELDS = ("currency", "rate", "valid_from")
# Service codes the generic field messages do not cover (web/field_errors.py).
_MESSAGES = {
    "unknown_currency": N_("Not an ISO 4217 currency code."),
    "reporting": N_("This is the reporting currency: it needs no rate."),
    "duplicate": N_("This currency already has a rate from this day."),
}


@router.get("/admin/currency-rates")
def rate_list(request: Request, ctx: CurrencyAdmin, session: DbSession) -> Response:
    return _page(request, ctx, session, values={})


@router.post("/admin/currency-rates")
async def add_rate(request: Request, ctx: CurrencyAdmin, session: DbSession) -> Response:
    values: dict[str, Any] = clean(await request.form(), _FIELDS)
    if "currency" in values:
        values["currency"] = str(values["currency"]).upper()
    if "rate" in values:
        values["rate"] = str(values["rate"]).replace(",", "")
    try:
        with session.begin():
            data = parse(RateCreate, values)
            rates.create_rate(session, ctx.actor, data, reporting=_reporting(request))
    except Invalid as exc:
        return _page(request, ctx, session, values=values, errors=_errors(exc))
    return redirect("/admin/currency-rates", flash=N_("Exchange rate added."))


@router.post("/admin/currency-rates/{rate_id}/delete")
def delete_rate(
    request: Request, rate_id: uuid.UUID, ctx: CurrencyAdmin, session: DbSession
) -> Response:
    try:
        with session.begin():
            rates.delete_rate(session, ctx.actor, rate_id)
    except NotFound:
        return redirect("/admin/currency-rates", flash=N_("That rate no longer exists."),
                        level="error")  # fmt: skip
    return redirect("/admin/currency-rates", flash=N_("Exchange rate deleted."))


def _errors(exc: Invalid) -> dict[str, str]:
    errors = errors_by_field(exc)
    for problem in exc.problems:
        if problem.code in _MESSAGES:
            errors[str(problem.loc[-1])] = _MESSAGES[problem.code]
    return errors


def _reporting(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


def _page(
    request: Request,
    ctx: PageContext,
    session: DbSession,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        rows = rates.list_rates(session, ctx.actor)
    return render(
        request,
        ctx,
        "admin/currency_rates.html",
        active="currency_rates",
        rates=rows,
        reporting=_reporting(request),
        values=values,
        errors=errors or {},
        status_code=422 if errors else 200,
    )
