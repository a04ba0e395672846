"""Expansion potential pages: the white-space matrix with totals (/sales/potential), its
CSV, the cell editor (an HTMX dialog, or a page without JavaScript) and the Account 360
panel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kizuna.kit.clock import today
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.kit.money import to_major
from kizuna.models.account import Account
from kizuna.models.enums import ProductKind, Tier
from kizuna.models.potential import CONFIDENCE_PERCENT, PotentialConfidence
from kizuna.models.product import Product
from kizuna.potential import export, service
from kizuna.potential.schemas import MatrixFilters, PotentialCreate, TotalsBy
from kizuna.web.deps import DbSession, PageContext, PipelineEditor, SalesReader
from kizuna.web.forms import errors_by_field, parse, parse_money, safe_return, uuid_or_none
from kizuna.web.render import redirect, render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()


def _filters(request: Request) -> tuple[MatrixFilters, dict[str, Any]]:
    q = request.query_params
    tier = q.get("tier") if q.get("tier") in {t.value for t in Tier} else None
    kind = q.get("kind") if q.get("kind") in {k.value for k in ProductKind} else None
    owner = uuid_or_none(q.get("owner"))
    filters = MatrixFilters(
        tier=Tier(tier) if tier else None,
        owner_id=owner,
        kind=ProductKind(kind) if kind else None,
        with_potential=q.get("with_potential") == "1",
        q=(q.get("q") or "").strip()[:200] or None,
    )
    shown = {
        "tier": tier or "",
        "owner": str(owner) if owner else "",
        "kind": kind or "",
        "with_potential": filters.with_potential,
        "q": filters.q or "",
    }
    return filters, shown


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


@router.get("/sales/potential")
def matrix_page(request: Request, ctx: SalesReader, session: DbSession) -> Response:
    filters, shown = _filters(request)
    day = today(ctx.actor.timezone)
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = service.matrix(
            session,
            ctx.actor,
            filters,
            today=day,
            account_ids=cut.account_ids,
            page=_page_number(request.query_params.get("page")),
        )
        sums = {
            axis.value: service.totals(
                session,
                ctx.actor,
                by=axis,
                tier=filters.tier,
                owner_id=filters.owner_id,
                account_ids=cut.account_ids,
            )
            for axis in TotalsBy
        }
        owners = service.csm_owners(session)
    by_product = sums[TotalsBy.PRODUCT.value]
    currency = by_product.grand[0].currency if by_product.grand else "JPY"
    chart_rows = [r for r in by_product.rows if r.currency == currency]
    return render(
        request,
        ctx,
        "sales/potential/index.html",
        active="sales",
        sales_tab="potential",
        matrix=result,
        totals=sums,
        chart={
            "currency": currency,
            "labels": [r.label if ctx.actor.locale == "ja" else r.label_en for r in chart_rows],
            "amounts": [r.mrr_amount for r in chart_rows],
            "weighted": [r.weighted_mrr_amount for r in chart_rows],
        },
        cut=cut,
        filters=shown,
        owners=owners,
        tiers=list(Tier),
        kinds=list(ProductKind),
        confidence_percent={c.value: p for c, p in CONFIDENCE_PERCENT.items()},
        here=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
    )


@router.get("/sales/potential.csv")
def matrix_csv(request: Request, ctx: SalesReader, session: DbSession) -> Response:
    filters, _ = _filters(request)
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = service.matrix_all(
            session,
            ctx.actor,
            filters,
            today=today(ctx.actor.timezone),
            account_ids=cut.account_ids,
        )
    body = "\ufeff" + export.to_csv(result)  # BOM: Excel opens UTF-8 Japanese correctly
    name = f"white-space-{today(ctx.actor.timezone).isoformat()}.csv"
    return Response(
        body.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------------------ the editor


def _editor(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    return_to: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        existing = service.find_potential(session, ctx.actor, account_id, product_id)
        account = session.get(Account, account_id)
        product = session.get(Product, product_id)
        if product is None or account is None:
            raise Invalid.field("product_id", "no such product", code="unknown_product")
        activities = service.recent_activities(session, ctx.actor, account_id)
        current = (
            service.get_potential(
                session,
                ctx.actor,
                existing.id,
                today=today(ctx.actor.timezone),
                zone=ctx.actor.timezone,
                data_dir=request.app.state.settings.data_dir,
            )
            if existing is not None
            else None
        )
        live = (
            current.evidence
            if current is not None
            else service.evidence(
                session,
                account_id,
                [product_id],
                today=today(ctx.actor.timezone),
                zone=ctx.actor.timezone,
                data_dir=request.app.state.settings.data_dir,
            )[product_id]
        )
    if values is None:
        values = _values_of(current, account.currency)
    partial = bool(request.headers.get("hx-request"))
    return render(
        request,
        ctx,
        "sales/potential/editor_page.html" if not partial else "sales/potential/_editor.html",
        active="sales",
        sales_tab="potential",
        account=account,
        product=product,
        current=current,
        evidence=live,
        activities=activities,
        values=values,
        errors=errors or {},
        confidences=list(PotentialConfidence),
        confidence_percent={c.value: p for c, p in CONFIDENCE_PERCENT.items()},
        return_to=return_to,
        status_code=status_code,
    )


def _values_of(current: Any, currency: str) -> dict[str, Any]:
    if current is None:
        return {"currency": currency, "confidence": "medium", "activity_ids": []}
    return {
        "seats": "" if current.seats is None else str(current.seats),
        "mrr": f"{to_major(current.mrr_amount, current.currency):,}",
        "currency": current.currency,
        "confidence": current.confidence.value,
        "expected_month": current.expected_on.strftime("%Y-%m") if current.expected_on else "",
        "note": current.note,
        "activity_ids": [str(a.id) for a in current.activities],
    }


@router.get("/sales/potential/edit")
def edit_cell(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    q = request.query_params
    account_id, product_id = uuid_or_none(q.get("account_id")), uuid_or_none(q.get("product_id"))
    if account_id is None or product_id is None:
        raise Invalid.field("account_id", "choose an account and a product", code="missing")
    return _editor(
        request,
        ctx,
        session,
        account_id,
        product_id,
        return_to=safe_return(q.get("return_to"), "/sales/potential"),
    )


@router.post("/sales/potential/edit")
async def save_cell(request: Request, ctx: PipelineEditor, session: DbSession) -> Response:
    form = await request.form()
    account_id = uuid_or_none(str(form.get("account_id", "")))
    product_id = uuid_or_none(str(form.get("product_id", "")))
    if account_id is None or product_id is None:
        raise Invalid.field("account_id", "choose an account and a product", code="missing")
    return_to = safe_return(str(form.get("return_to", "")), "/sales/potential")
    if str(form.get("action", "")) == "delete":
        with session.begin():
            existing = service.find_potential(session, ctx.actor, account_id, product_id)
            if existing is not None:
                service.delete_potential(session, ctx.actor, existing.id)
        return _done(request, return_to, N_("Potential removed."))
    currency = str(form.get("currency", "JPY")).strip().upper() or "JPY"
    values: dict[str, Any] = {
        "seats": str(form.get("seats", "")).strip(),
        "mrr": str(form.get("mrr", "")).strip(),
        "currency": currency,
        "confidence": str(form.get("confidence", "")),
        "expected_month": str(form.get("expected_month", "")).strip(),
        "note": str(form.get("note", "")).strip(),
        "activity_ids": [str(v) for v in form.getlist("activity_ids") if str(v).strip()],
    }
    try:
        if not values["mrr"]:
            raise Invalid.field("mrr_amount", "enter the potential MRR", code="missing")
        amount = parse_money(values["mrr"], currency, field="mrr_amount")
        data = parse(
            PotentialCreate,
            {
                "account_id": account_id,
                "product_id": product_id,
                "seats": values["seats"] or None,
                "mrr_amount": amount,
                "currency": currency,
                "confidence": values["confidence"],
                "expected_on": values["expected_month"] or None,
                "note": values["note"],
                "activity_ids": values["activity_ids"],
            },
        )
        with session.begin():
            service.set_potential(session, ctx.actor, data)
    except Invalid as exc:
        errors = errors_by_field(exc)
        if "mrr_amount" in errors:
            errors["mrr"] = errors.pop("mrr_amount")
        if "expected_on" in errors:
            errors["expected_month"] = errors.pop("expected_on")
        code = 200 if request.headers.get("hx-request") else 422
        return _editor(
            request, ctx, session, account_id, product_id, return_to=return_to,
            values=values, errors=errors, status_code=code,
        )  # fmt: skip
    return _done(request, return_to, N_("Potential saved."))


def _done(request: Request, url: str, message: str) -> Response:
    """Back to where the editor was opened, with a message (HTMX: by HX-Redirect)."""
    response = redirect(url, flash=message)
    if request.headers.get("hx-request"):
        response.status_code = 200
        response.headers["HX-Redirect"] = url
    return response


# ------------------------------------------------------------------------ Account 360 panel


@router.get("/accounts/{account_id}/potential-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: SalesReader, session: DbSession
) -> Response:
    """The expansion potential section of Account 360, loaded by HTMX after the page."""
    with session.begin():
        items = service.account_potentials(
            session,
            ctx.actor,
            account_id,
            today=today(ctx.actor.timezone),
            zone=ctx.actor.timezone,
            data_dir=request.app.state.settings.data_dir,
        )
        products = service.matrix_products(session)
    have = {i.product_id for i in items}
    return render(
        request,
        ctx,
        "sales/potential/_account_panel.html",
        account_id=account_id,
        items=items,
        free_products=[p for p in products if p.id not in have],
        confidence_percent={c.value: p for c, p in CONFIDENCE_PERCENT.items()},
    )
