"""Accounts (顧客): the centre of the customer data hub."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import Phase, Tier, str_enum

if TYPE_CHECKING:
    from kizuna.models.contact import Contact
    from kizuna.models.user import User


class Account(IdMixin, TimestampMixin, Base):
    __tablename__ = "account"
    __table_args__ = (Index("ix_account_name", "name"),)

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    domain: Mapped[str | None] = mapped_column(String(253), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="", index=True)
    employee_count: Mapped[int | None]
    region: Mapped[str] = mapped_column(String(100), default="")
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    tier: Mapped[Tier | None] = mapped_column(str_enum(Tier, "tier"), index=True)
    phase: Mapped[Phase | None] = mapped_column(str_enum(Phase, "phase"), index=True)
    # Set by hand: tier rules (coverage/) never change a pinned tier.
    tier_pinned: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Basic information of seed 001 §4: why they bought and what success means to them.
    purpose_of_adoption: Mapped[str] = mapped_column(Text, default="")
    business_challenges: Mapped[str] = mapped_column(Text, default="")
    success_criteria: Mapped[str] = mapped_column(Text, default="")
    expansion_room: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    csm_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    sales_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    ae_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    support_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    csm_owner: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[csm_owner_id])
    sales_owner: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[sales_owner_id])
    ae_owner: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[ae_owner_id])
    support_owner: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[support_owner_id])
    contacts: Mapped[list[Contact]] = relationship(back_populates="account", lazy="raise")
