"""The product catalogue: list (every reader), create, edit and delete (product editors)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.customfield import service as custom_fields
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.kit.money import to_major
from kizuna.models.enums import CustomFieldObject, ProductKind, ProductUnit
from kizuna.product import service as products
from kizuna.product.schemas import ProductCreate, ProductFilters, ProductOut, ProductUpdate
from kizuna.web.deps import DbSession, PageContext, ProductEditor, Reader
from kizuna.web.forms import clean, errors_by_field, parse, parse_money
from kizuna.web.render import redirect, render

router = APIRouter()

_FIELDS = ["code", "name", "name_en", "kind", "unit", "currency", "description", "list_price"]
CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "TWD", "SGD", "AUD")
IN_USE = N_(
    "This product is used by contract lines, so it cannot be deleted. Deactivate it instead."
)


@router.get("/admin/products")
def product_list(request: Request, ctx: Reader, session: DbSession) -> Response:
    raw = clean(request.query_params, ProductFilters.model_fields)
    filters = parse(ProductFilters, raw, where="query")
    cursor = request.query_params.get("cursor") or None
    with session.begin():
        page = products.list_products(session, ctx.actor, filters, cursor=cursor, limit=50)
        return render(
            request,
            ctx,
            "admin/products.html",
            active="products",
            page=page,
            filters=filters,
            kinds=list(ProductKind),
            units=list(ProductUnit),
        )


@router.get("/admin/products/new")
def new_product(request: Request, ctx: ProductEditor, session: DbSession) -> Response:
    values = {"currency": "JPY", "kind": ProductKind.BASE_PLAN.value, "is_active": True}
    return _product_page(request, ctx, session, values=values)


@router.post("/admin/products/new")
async def create_product(request: Request, ctx: ProductEditor, session: DbSession) -> Response:
    values = _form_values(await request.form())
    try:
        with session.begin():
            products.create_product(session, ctx.actor, parse(ProductCreate, _to_input(values)))
    except Invalid as exc:
        return _product_page(request, ctx, session, values=values, errors=_errors(exc))
    return redirect("/admin/products", flash=N_("Product created."))


@router.get("/admin/products/{product_id}")
def edit_product(
    request: Request, product_id: uuid.UUID, ctx: ProductEditor, session: DbSession
) -> Response:
    return _product_page(request, ctx, session, product_id=product_id)


@router.post("/admin/products/{product_id}")
async def update_product(
    request: Request, product_id: uuid.UUID, ctx: ProductEditor, session: DbSession
) -> Response:
    values = _form_values(await request.form())
    try:
        with session.begin():
            data = parse(ProductUpdate, _to_input(values))
            products.update_product(session, ctx.actor, product_id, data)
    except Invalid as exc:
        return _product_page(
            request, ctx, session, product_id=product_id, values=values, errors=_errors(exc)
        )
    return redirect("/admin/products", flash=N_("Changes saved."))


@router.post("/admin/products/{product_id}/delete")
def delete_product(
    request: Request, product_id: uuid.UUID, ctx: ProductEditor, session: DbSession
) -> Response:
    try:
        with session.begin():
            products.delete_product(session, ctx.actor, product_id)
    except Conflict:
        return _product_page(
            request, ctx, session, product_id=product_id, alert=IN_USE, status_code=409
        )
    return redirect("/admin/products", flash=N_("Product deleted."))


def _form_values(form: FormData) -> dict[str, Any]:
    """The form as typed (shown again on errors); custom fields arrive as ``cf_<key>``."""
    values: dict[str, Any] = clean(form, _FIELDS)
    values["currency"] = str(values.get("currency", "JPY")).upper()
    values["is_active"] = form.get("is_active") == "true"
    values["custom_fields"] = {key[3:]: _sent(form, key) for key in form if key.startswith("cf_")}
    return values


def _sent(form: FormData, key: str) -> Any:
    """One value, or a list for a multi-select ("" when nothing is chosen: clears it)."""
    chosen = [v for v in form.getlist(key) if v != ""]
    return chosen if len(chosen) > 1 else (chosen[0] if chosen else "")


def _to_input(values: dict[str, Any]) -> dict[str, Any]:
    """Form values → ProductCreate/Update input: the price in minor units, blanks cleared."""
    data = {k: v for k, v in values.items() if k != "list_price"}
    data.setdefault("name_en", "")
    data.setdefault("description", "")
    data["list_price_amount"] = parse_money(
        values.get("list_price", ""), data["currency"], field="list_price"
    )
    return data


def _errors(exc: Invalid) -> dict[str, str]:
    """Errors per input; the price's under ``list_price``, the name of its input."""
    errors = errors_by_field(exc)
    if "list_price_amount" in errors:
        errors["list_price"] = errors.pop("list_price_amount")
    return errors


def _stored_values(product: ProductOut) -> dict[str, Any]:
    values = product.model_dump(exclude={"list_price_amount"})
    values["list_price"] = f"{to_major(product.list_price_amount, product.currency):,}"
    return values


def _product_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    product_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    """The new-product form, or one product's edit form with its delete button."""
    with session.begin():
        product = products.get_product(session, ctx.actor, product_id) if product_id else None
        if values is None:
            values = _stored_values(product) if product else {}
        definitions = custom_fields.list_definitions(
            session, CustomFieldObject.PRODUCT, active_only=True
        )
        return render(
            request,
            ctx,
            "admin/product_form.html",
            active="products",
            product=product,
            values=values,
            errors=errors or {},
            alert=alert,
            kinds=list(ProductKind),
            units=list(ProductUnit),
            currencies=CURRENCIES,
            custom_fields=definitions,
            status_code=422 if errors else status_code,
        )
