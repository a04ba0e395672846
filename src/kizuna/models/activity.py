"""Activities (会話履歴): meetings, calls, emails, inquiries, notes, QBRs, trainings, events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.contact import Contact
from kizuna.models.enums import ActivityKind, InquiryStatus, str_enum
from kizuna.models.user import User

activity_user = Table(
    "activity_user",
    Base.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)

activity_contact = Table(
    "activity_contact",
    Base.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contact_id", ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Activity(IdMixin, TimestampMixin, Base):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_account_occurred", "account_id", "occurred_at"),
        # Health signals read one kind at a time per account (touches, QBRs, kickoffs).
        Index("ix_activity_account_kind_occurred", "account_id", "kind", "occurred_at"),
    )

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "activity_kind"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime]
    duration_minutes: Mapped[int | None]
    is_pre_sale: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Inquiry (問い合わせ) timings for response-time SLAs (seed 000).
    inquiry_status: Mapped[InquiryStatus | None] = mapped_column(
        str_enum(InquiryStatus, "inquiry_status")
    )
    opened_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    author: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[author_id])
    users: Mapped[list[User]] = relationship(secondary=activity_user, lazy="raise")
    contacts: Mapped[list[Contact]] = relationship(secondary=activity_contact, lazy="raise")
