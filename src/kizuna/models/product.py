"""Products and plans: base plans, options/add-ons and services (C1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import ProductKind, ProductUnit, str_enum


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "product"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[ProductKind] = mapped_column(str_enum(ProductKind, "product_kind"))
    unit: Mapped[ProductUnit] = mapped_column(str_enum(ProductUnit, "product_unit"))
    list_price_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
