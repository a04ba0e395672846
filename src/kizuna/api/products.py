"""/api/v1/products"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import AccountReader, DbSession, ProductWriter
from kizuna.api.schemas import PageOut
from kizuna.product import service
from kizuna.product.schemas import ProductCreate, ProductFilters, ProductOut, ProductUpdate

router = APIRouter(prefix="/products", tags=["products"])

SORT_HELP = "name, code, list_price, created_at; prefix '-' for descending"


@router.get("", response_model=PageOut[ProductOut], summary="List products")
def list_products(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[ProductFilters, Depends()],
    sort: Annotated[str, Query(description=SORT_HELP)] = "name",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[ProductOut]:
    """The product catalogue (base plans, options, add-ons, services), one page at a time."""
    with session.begin():
        page = service.list_products(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=ProductOut, status_code=201, summary="Create a product")
def create_product(body: ProductCreate, actor: ProductWriter, session: DbSession) -> ProductOut:
    """Add a product; `code` must be unique. Prices are integer minor units."""
    with session.begin():
        product = service.create_product(session, actor, body)
        return service.get_product(session, actor, product.id)


@router.get("/{product_id}", response_model=ProductOut, summary="Get a product")
def get_product(product_id: uuid.UUID, actor: AccountReader, session: DbSession) -> ProductOut:
    with session.begin():
        return service.get_product(session, actor, product_id)


@router.patch("/{product_id}", response_model=ProductOut, summary="Update a product")
def update_product(
    product_id: uuid.UUID, body: ProductUpdate, actor: ProductWriter, session: DbSession
) -> ProductOut:
    """Change the fields sent; the others stay as they are."""
    with session.begin():
        service.update_product(session, actor, product_id, body)
        return service.get_product(session, actor, product_id)


@router.delete("/{product_id}", status_code=204, summary="Delete a product")
def delete_product(product_id: uuid.UUID, actor: ProductWriter, session: DbSession) -> Response:
    """Delete an unused product; one on a subscription line answers 409 `in_use`."""
    with session.begin():
        service.delete_product(session, actor, product_id)
    return Response(status_code=204)
