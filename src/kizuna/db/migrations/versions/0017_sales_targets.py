"""sales targets

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kizuna.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "target_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fiscal_year_start_month", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_target_settings_single_row")),
        sa.CheckConstraint(
            "fiscal_year_start_month BETWEEN 1 AND 12",
            name=op.f("ck_target_settings_fiscal_month"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_target_settings_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_settings")),
    )
    op.create_table(
        "sales_target",
        sa.Column(
            "period_kind",
            _enum("target_period_kind", "month", "quarter", "half", "year"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "lead_source",
            _enum("lead_source", "cs", "marketing", "sales", "partner"),
            nullable=False,
        ),
        sa.Column(
            "metric",
            _enum("target_metric", "created_amount", "won_amount", "lead_count"),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "team_split", _enum("target_split", "even", "weighted", "headcount"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_sales_target_value_not_negative")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_sales_target_period_order")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_sales_target_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_target")),
    )
    op.create_index(op.f("ix_sales_target_starts_on"), "sales_target", ["starts_on"], unique=False)
    op.create_index(
        "uq_sales_target_period_source_metric",
        "sales_target",
        ["period_kind", "starts_on", "lead_source", "metric"],
        unique=True,
    )
    op.create_table(
        "sales_target_team",
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("weight_manual", sa.Boolean(), nullable=False),
        sa.Column("override_value", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column(
            "member_split", _enum("target_split", "even", "weighted", "headcount"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sales_target.id"],
            name=op.f("fk_sales_target_team_target_id_sales_target"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_sales_target_team_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_target_team")),
        sa.UniqueConstraint(
            "target_id", "team_id", name=op.f("uq_sales_target_team_target_id_team_id")
        ),
    )
    op.create_index(
        op.f("ix_sales_target_team_team_id"), "sales_target_team", ["team_id"], unique=False
    )
    op.create_table(
        "sales_target_member",
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("weight_manual", sa.Boolean(), nullable=False),
        sa.Column("override_value", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["sales_target.id"],
            name=op.f("fk_sales_target_member_target_id_sales_target"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_sales_target_member_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_sales_target_member_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_target_member")),
        sa.UniqueConstraint(
            "target_id", "user_id", name=op.f("uq_sales_target_member_target_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_sales_target_member_user_id"), "sales_target_member", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sales_target_member_user_id"), table_name="sales_target_member")
    op.drop_table("sales_target_member")
    op.drop_index(op.f("ix_sales_target_team_team_id"), table_name="sales_target_team")
    op.drop_table("sales_target_team")
    op.drop_index("uq_sales_target_period_source_metric", table_name="sales_target")
    op.drop_index(op.f("ix_sales_target_starts_on"), table_name="sales_target")
    op.drop_table("sales_target")
    op.drop_table("target_settings")
