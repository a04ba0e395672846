"""Choices for selects that several pages share."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.models.enums import ProductKind
from kizuna.product import service as products
from kizuna.product.schemas import ProductFilters, ProductOut

ProductGroups = list[tuple[ProductKind, list[ProductOut]]]


def product_groups(session: Session, actor: Actor, keep: uuid.UUID | None = None) -> ProductGroups:
    """Active products by kind for the product select (plus ``keep``, a line's own)."""
    if not actor.can(Permission.SUBSCRIPTION_WRITE):
        return []
    found = products.list_products(session, actor, ProductFilters(is_active=True), limit=500)
    items = list(found.items)
    if keep is not None and all(p.id != keep for p in items):
        items.append(products.get_product(session, actor, keep))
    groups = [(kind, [p for p in items if p.kind == kind]) for kind in ProductKind]
    return [(kind, group) for kind, group in groups if group]
