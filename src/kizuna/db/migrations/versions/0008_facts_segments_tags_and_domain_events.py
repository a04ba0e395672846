"""facts: segments, account tags and domain events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segment",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_segment_owner_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
    )
    op.create_index(op.f("ix_segment_owner_id"), "segment", ["owner_id"], unique=False)
    op.create_table(
        "account_tag",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_tag_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "tag", name=op.f("pk_account_tag")),
    )
    op.create_index("ix_account_tag_tag", "account_tag", ["tag"], unique=False)
    op.create_table(
        "domain_event",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_domain_event_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_event")),
    )
    op.create_index(
        op.f("ix_domain_event_account_id"), "domain_event", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_domain_event_occurred_at"), "domain_event", ["occurred_at"], unique=False
    )
    op.create_index(
        "ix_domain_event_kind_occurred", "domain_event", ["kind", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("domain_event")
    op.drop_table("account_tag")
    op.drop_index(op.f("ix_segment_owner_id"), table_name="segment")
    op.drop_table("segment")
