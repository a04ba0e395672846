"""Portfolio: the book of business."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.account.schemas import AccountFilters
from kizuna.portfolio import service
from kizuna.web.deps import DbSession, Reader, public_page
from kizuna.web.forms import clean, parse
from kizuna.web.render import render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()


@router.get("/", dependencies=[Depends(public_page)])
def home() -> Response:
    return RedirectResponse("/portfolio", status_code=303)


@router.get("/portfolio")
def portfolio(
    request: Request,
    ctx: Reader,
    session: DbSession,
    sort: str = "-mrr",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    raw = clean(request.query_params, AccountFilters.model_fields)
    filters = parse(AccountFilters, raw, where="query")
    health_raw = clean(request.query_params, service.HealthFilters.model_fields)
    health = parse(service.HealthFilters, health_raw, where="query")
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = service.portfolio(
            session,
            ctx.actor,
            filters,
            sort=sort,
            page=page,
            health=health,
            account_ids=cut.account_ids,
        )
        return render(
            request,
            ctx,
            "portfolio/index.html",
            active="portfolio",
            result=result,
            filters=filters,
            health=health,
            cut=cut,
        )
