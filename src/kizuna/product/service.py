"""Product use cases: the catalogue that subscription lines point at."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.db.paging import SortField, keyset_page, parse_datetime
from kizuna.kit.errors import Conflict, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.enums import CustomFieldObject
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.product.schemas import ProductCreate, ProductFilters, ProductOut, ProductUpdate

SORT_FIELDS = {
    "name": SortField(Product.name),
    "code": SortField(Product.code),
    "list_price": SortField(Product.list_price_amount),
    "created_at": SortField(Product.created_at, parse=parse_datetime),
}


def load_product(session: Session, product_id: uuid.UUID) -> Product:
    """The product row, or NotFound (the catalogue is readable by every reader)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product not found")
    return product


def get_product(session: Session, actor: Actor, product_id: uuid.UUID) -> ProductOut:
    actor.require(Permission.ACCOUNT_READ)
    return ProductOut.model_validate(load_product(session, product_id))


def list_products(
    session: Session,
    actor: Actor,
    filters: ProductFilters,
    *,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ProductOut]:
    """Products matching ``filters``; sort by name, code, list_price or created_at."""
    actor.require(Permission.ACCOUNT_READ)
    return keyset_page(
        session,
        _filtered(select(Product), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=Product.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: ProductOut.model_validate(row[0]),
    )


def create_product(session: Session, actor: Actor, data: ProductCreate) -> Product:
    actor.require(Permission.PRODUCT_WRITE)
    values = data.model_dump()
    values["code"] = values["code"].strip()
    values["custom_fields"] = custom_fields.validate_for(
        session, CustomFieldObject.PRODUCT, data.custom_fields
    )
    _check_code(session, values["code"], current_id=None)
    product = Product(**values)
    session.add(product)
    session.flush()
    audit.record(
        session,
        actor,
        "product.create",
        "product",
        product.id,
        summary=product.code,
        changes=audit.snapshot(product, list(values)),
    )
    return product


def update_product(
    session: Session, actor: Actor, product_id: uuid.UUID, data: ProductUpdate
) -> Product:
    actor.require(Permission.PRODUCT_WRITE)
    product = load_product(session, product_id)
    # Every product column is NOT NULL: an explicit null means "leave as is".
    values: dict[str, Any] = {
        k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None
    }
    if "code" in values:
        values["code"] = values["code"].strip()
        _check_code(session, values["code"], current_id=product.id)
    if "custom_fields" in values:
        values["custom_fields"] = custom_fields.validate_for(
            session,
            CustomFieldObject.PRODUCT,
            values["custom_fields"],
            existing=product.custom_fields,
        )
    changes = audit.apply_changes(product, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "product.update",
            "product",
            product.id,
            summary=product.code,
            changes=changes,
        )
    return product


def delete_product(session: Session, actor: Actor, product_id: uuid.UUID) -> None:
    """Delete an unused product; one on any subscription line is a Conflict (deactivate it)."""
    actor.require(Permission.PRODUCT_WRITE)
    product = load_product(session, product_id)
    used = session.scalar(select(Subscription.id).where(Subscription.product_id == product.id))
    if used is not None:
        raise Conflict(
            "product is used by subscription lines; deactivate it instead", code="in_use"
        )
    audit.record(session, actor, "product.delete", "product", product.id, summary=product.code)
    session.delete(product)
    session.flush()


def _filtered(stmt: Select[Any], filters: ProductFilters) -> Select[Any]:
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(Product.code.ilike(like), Product.name.ilike(like)))
    for column, value in ((Product.kind, filters.kind), (Product.unit, filters.unit)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.is_active is not None:
        stmt = stmt.where(Product.is_active.is_(filters.is_active))
    return stmt


def _check_code(session: Session, code: str, current_id: uuid.UUID | None) -> None:
    if not code:
        raise Invalid.field("code", "code is required", code="required")
    clash = session.scalar(select(Product.id).where(Product.code == code))
    if clash is not None and clash != current_id:
        raise Invalid.field("code", "code already used", code="duplicate")
