"""Subscription lines (契約明細): one product on one contract, with its MRR and term."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, TimestampMixin

if TYPE_CHECKING:
    from kizuna.models.product import Product


class Subscription(IdMixin, TimestampMixin, Base):
    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("mrr_amount >= 0", name="mrr_non_negative"),
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="end_after_start"),
        # Covering for the MRR roll-up (Portfolio, Account 360): no table lookups.
        Index("ix_subscription_account_period", "account_id", "start_on", "end_on", "mrr_amount"),
    )

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    contract_ref: Mapped[str] = mapped_column(String(100), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    # Monthly recurring amount actually billed, net of discount, in minor units.
    mrr_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    unit_list_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    start_on: Mapped[date]
    end_on: Mapped[date | None] = mapped_column(index=True)
    term_months: Mapped[int] = mapped_column(default=12)
    billing_period_months: Mapped[int] = mapped_column(default=1)
    auto_renew: Mapped[bool] = mapped_column(default=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    product: Mapped[Product] = relationship(lazy="raise")
