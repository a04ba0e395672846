"""Product-usage ingestion (C2): event sources and their write keys, the durable inbox that
the Segment-compatible API writes to, rejected events, a small sample of recent events for
the debugger, and the identities (users, groups) that tie events to accounts and contacts.

The inbox is a landing table only: the usage store moves its rows, in ``seq`` order, into
the columnar event store and deletes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin

# On SQLite an INTEGER PRIMARY KEY is the rowid (cheapest append); PostgreSQL gets a bigint.
SeqInteger = BigInteger().with_variant(Integer(), "sqlite")

EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")


class GroupMatch:
    """How a source matches a ``groupId`` to an account (stored in ``group_match``)."""

    EXTERNAL_ID = "external_id"  # external id, then Kizuna id
    DOMAIN = "domain"  # as above, then the account's domain

    ALL = (EXTERNAL_ID, DOMAIN)


class EventSource(IdMixin, TimestampMixin, Base):
    """A sender of events (a product, a website, a backend) with its ingest-only write key."""

    __tablename__ = "event_source"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    write_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    write_key_hint: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(default=True)
    group_match: Mapped[str] = mapped_column(String(20), default=GroupMatch.EXTERNAL_ID)
    # Group trait → account field: {"employees": "employee_count", "plan": "custom:plan"}.
    trait_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_event_at: Mapped[datetime | None]
    key_rotated_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class EventInbox(Base):
    """One accepted event in canonical columns, durable before the API answers."""

    __tablename__ = "event_inbox"
    # AUTOINCREMENT: SQLite never reuses a seq, even after the store deletes flushed rows,
    # so "seq ranges already written" stays a sound record of what was moved.
    __table_args__ = (
        UniqueConstraint("source_id", "message_id"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=True)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_source.id"))
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(200))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    group_id: Mapped[str | None] = mapped_column(String(200))
    previous_id: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]
    properties: Mapped[str] = mapped_column(Text, default="{}")  # JSON text
    context: Mapped[str] = mapped_column(Text, default="{}")  # JSON text


class EventSample(Base):
    """A few events of each request, kept for the debugger after the inbox is flushed."""

    __tablename__ = "event_sample"
    __table_args__ = (Index("ix_event_sample_source_seq", "source_id", "seq"),)

    seq: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=True)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_source.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(200))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    group_id: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)  # the canonical event as JSON, truncated


class RejectedEvent(Base):
    """An event (or a whole request) that was refused, with the reason, for the debugger."""

    __tablename__ = "event_rejection"
    __table_args__ = (Index("ix_event_rejection_source_seq", "source_id", "seq"),)

    seq: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=True)
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("event_source.id", ondelete="CASCADE")
    )
    received_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # the raw event, truncated


class UsageUser(IdMixin, Base):
    """A product user (Segment ``userId``) and the account / contact their events count for."""

    __tablename__ = "usage_user"

    user_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    # The last group the user was seen in: linking that group later links the user too.
    group_id: Mapped[str | None] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class UsageGroup(IdMixin, Base):
    """A Segment group (``groupId``), matched to an account or waiting for an admin to link."""

    __tablename__ = "usage_group"

    group_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("event_source.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
