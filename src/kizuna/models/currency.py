"""Exchange rates (為替レート) used to report amounts in one currency (C3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin


class CurrencyRate(IdMixin, TimestampMixin, Base):
    """One unit of ``currency`` is worth ``rate`` units of the reporting currency
    (``Settings.default_currency``) from ``valid_from`` until the currency's next rate."""

    __tablename__ = "currency_rate"
    __table_args__ = (
        UniqueConstraint("currency", "valid_from"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    valid_from: Mapped[date]
