"""handoffs

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "handoff_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("required_fields", _JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_handoff_settings_single_row")),
        _user_fk("handoff_settings", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_settings")),
    )
    op.create_table(
        "handoff",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("deal_name", sa.String(length=300), nullable=False),
        sa.Column("won_on", sa.Date(), nullable=False),
        sa.Column("mrr_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sales_owner_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("success_criteria", sa.Text(), nullable=False),
        sa.Column("promises", sa.Text(), nullable=False),
        sa.Column("decision_maker_contact_id", sa.Uuid(), nullable=True),
        sa.Column("decision_maker_name", sa.String(length=200), nullable=False),
        sa.Column("decision_maker_title", sa.String(length=200), nullable=False),
        sa.Column("key_people", _JSON, nullable=False),
        sa.Column("expansion_departments", sa.Text(), nullable=False),
        sa.Column("expansion_headcount", sa.Integer(), nullable=True),
        sa.Column("expansion_products", _JSON, nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("sales_history", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "accepted",
                "returned",
                name="handoff_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("completeness", sa.Integer(), nullable=False),
        sa.Column("completeness_at_submission", sa.Integer(), nullable=True),
        sa.Column("first_submitted_at", _TS, nullable=True),
        sa.Column("submitted_at", _TS, nullable=True),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("accepted_at", _TS, nullable=True),
        sa.Column("accepted_by_id", sa.Uuid(), nullable=True),
        sa.Column("returned_at", _TS, nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("returns_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "completeness >= 0 AND completeness <= 100",
            name=op.f("ck_handoff_completeness_range"),
        ),
        sa.CheckConstraint("mrr_amount >= 0", name=op.f("ck_handoff_mrr_not_negative")),
        _user_fk("handoff", "accepted_by_id"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_handoff_account_id_account"),
            ondelete="CASCADE",
        ),
        _user_fk("handoff", "created_by_id"),
        sa.ForeignKeyConstraint(
            ["decision_maker_contact_id"],
            ["contact.id"],
            name=op.f("fk_handoff_decision_maker_contact_id_contact"),
            ondelete="SET NULL",
        ),
        _user_fk("handoff", "sales_owner_id"),
        _user_fk("handoff", "submitted_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff")),
        sa.UniqueConstraint("external_id", name=op.f("uq_handoff_external_id")),
    )
    op.create_index(op.f("ix_handoff_accepted_at"), "handoff", ["accepted_at"], unique=False)
    op.create_index(op.f("ix_handoff_account_id"), "handoff", ["account_id"], unique=False)
    op.create_index(op.f("ix_handoff_sales_owner_id"), "handoff", ["sales_owner_id"], unique=False)
    op.create_index(op.f("ix_handoff_status"), "handoff", ["status"], unique=False)
    op.create_index(
        "ix_handoff_status_submitted_at", "handoff", ["status", "submitted_at"], unique=False
    )
    op.create_index(op.f("ix_handoff_won_on"), "handoff", ["won_on"], unique=False)
    op.create_table(
        "handoff_transition",
        sa.Column("handoff_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("completeness", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _user_fk("handoff_transition", "actor_id"),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff.id"],
            name=op.f("fk_handoff_transition_handoff_id_handoff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_transition")),
    )
    op.create_index(
        op.f("ix_handoff_transition_handoff_id"),
        "handoff_transition",
        ["handoff_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_transition_handoff_id"), table_name="handoff_transition")
    op.drop_table("handoff_transition")
    op.drop_index(op.f("ix_handoff_won_on"), table_name="handoff")
    op.drop_index("ix_handoff_status_submitted_at", table_name="handoff")
    op.drop_index(op.f("ix_handoff_status"), table_name="handoff")
    op.drop_index(op.f("ix_handoff_sales_owner_id"), table_name="handoff")
    op.drop_index(op.f("ix_handoff_account_id"), table_name="handoff")
    op.drop_index(op.f("ix_handoff_accepted_at"), table_name="handoff")
    op.drop_table("handoff")
    op.drop_table("handoff_settings")
