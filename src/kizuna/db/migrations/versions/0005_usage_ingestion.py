"""event sources, the ingestion inbox, rejected events, usage identities

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Who made a change when it was not a user (an event source, a job): its name.
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor_name", sa.String(length=100), server_default="", nullable=False)
        )
    op.create_table(
        "event_source",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("write_key_hash", sa.String(length=64), nullable=False),
        sa.Column("write_key_hint", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("group_match", sa.String(length=20), nullable=False),
        sa.Column(
            "trait_mapping",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_event_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("key_rotated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_event_source_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_source")),
        sa.UniqueConstraint("name", name=op.f("uq_event_source_name")),
        sa.UniqueConstraint("write_key_hash", name=op.f("uq_event_source_write_key_hash")),
    )
    op.create_table(
        "event_inbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("anonymous_id", sa.String(length=200), nullable=True),
        sa.Column("group_id", sa.String(length=200), nullable=True),
        sa.Column("previous_id", sa.String(length=200), nullable=True),
        sa.Column("timestamp", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["event_source.id"], name=op.f("fk_event_inbox_source_id_event_source")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_inbox")),
        sa.UniqueConstraint(
            "source_id", "message_id", name=op.f("uq_event_inbox_source_id_message_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "event_rejection",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["event_source.id"],
            name=op.f("fk_event_rejection_source_id_event_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_rejection")),
    )
    with op.batch_alter_table("event_rejection", schema=None) as batch_op:
        batch_op.create_index("ix_event_rejection_source_seq", ["source_id", "seq"], unique=False)

    op.create_table(
        "event_sample",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("anonymous_id", sa.String(length=200), nullable=True),
        sa.Column("group_id", sa.String(length=200), nullable=True),
        sa.Column("timestamp", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["event_source.id"],
            name=op.f("fk_event_sample_source_id_event_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_sample")),
    )
    with op.batch_alter_table("event_sample", schema=None) as batch_op:
        batch_op.create_index("ix_event_sample_source_seq", ["source_id", "seq"], unique=False)

    op.create_table(
        "usage_group",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "traits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_usage_group_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["event_source.id"],
            name=op.f("fk_usage_group_source_id_event_source"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_group")),
        sa.UniqueConstraint("group_id", name=op.f("uq_usage_group_group_id")),
    )
    with op.batch_alter_table("usage_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_group_account_id"), ["account_id"], unique=False)

    op.create_table(
        "usage_user",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "traits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_usage_user_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_usage_user_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_user")),
        sa.UniqueConstraint("user_id", name=op.f("uq_usage_user_user_id")),
    )
    with op.batch_alter_table("usage_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_user_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_user_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_user_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_user_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("actor_name")
    with op.batch_alter_table("usage_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_user_group_id"))
        batch_op.drop_index(batch_op.f("ix_usage_user_email"))
        batch_op.drop_index(batch_op.f("ix_usage_user_contact_id"))
        batch_op.drop_index(batch_op.f("ix_usage_user_account_id"))

    op.drop_table("usage_user")
    with op.batch_alter_table("usage_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_group_account_id"))

    op.drop_table("usage_group")
    with op.batch_alter_table("event_sample", schema=None) as batch_op:
        batch_op.drop_index("ix_event_sample_source_seq")

    op.drop_table("event_sample")
    with op.batch_alter_table("event_rejection", schema=None) as batch_op:
        batch_op.drop_index("ix_event_rejection_source_seq")

    op.drop_table("event_rejection")
    op.drop_table("event_inbox")
    op.drop_table("event_source")
