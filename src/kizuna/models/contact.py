"""Contacts (担当者): people at the customer, with their roles in the buying group."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import ContactRole, Influence, str_enum

if TYPE_CHECKING:
    from kizuna.models.account import Account


class Contact(IdMixin, TimestampMixin, Base):
    __tablename__ = "contact"

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    influence: Mapped[Influence | None] = mapped_column(str_enum(Influence, "influence"))
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    email_opt_out: Mapped[bool] = mapped_column(default=False)
    call_opt_out: Mapped[bool] = mapped_column(default=False)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account] = relationship(back_populates="contacts", lazy="raise")
    role_links: Mapped[list[ContactRoleLink]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ContactRoleLink.role"
    )

    @property
    def roles(self) -> list[ContactRole]:
        return [link.role for link in self.role_links]


class ContactRoleLink(Base):
    """A contact may hold several roles (e.g. admin and champion)."""

    __tablename__ = "contact_role"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[ContactRole] = mapped_column(
        str_enum(ContactRole, "contact_role_kind"), primary_key=True, index=True
    )
