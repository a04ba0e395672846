"""exchange rates for reporting in one currency

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kizuna.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "currency_rate",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_currency_rate_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currency_rate")),
        sa.UniqueConstraint(
            "currency", "valid_from", name=op.f("uq_currency_rate_currency_valid_from")
        ),
    )


def downgrade() -> None:
    op.drop_table("currency_rate")
