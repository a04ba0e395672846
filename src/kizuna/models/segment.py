"""Segments (saved conditions over account facts), account tags, and the domain-event
outbox that lets playbooks react to things as they happen."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.kit.clock import utc_now


class Segment(IdMixin, TimestampMixin, Base):
    """A saved condition (``facts/conditions.py``) naming a set of accounts.

    Private segments are seen by their owner only; shared ones by everybody who can read
    accounts. Membership is evaluated on read (and by playbooks), never stored here.
    """

    __tablename__ = "segment"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    shared: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)


class AccountTag(Base):
    """A free-form label on an account (``renewal-risk``, ``case-study``)."""

    __tablename__ = "account_tag"
    __table_args__ = (Index("ix_account_tag_tag", "tag"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class DomainEvent(IdMixin, Base):
    """Something that happened to an account (an NPS answer, a hand-off accepted, a lead
    passed), written in the transaction that made it happen; playbooks read them."""

    __tablename__ = "domain_event"
    __table_args__ = (Index("ix_domain_event_kind_occurred", "kind", "occurred_at"),)

    kind: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
