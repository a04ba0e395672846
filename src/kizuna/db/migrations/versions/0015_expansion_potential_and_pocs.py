"""expansion potential and pocs

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"), ondelete="SET NULL"
    )


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "expansion_potential",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("mrr_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "confidence", _enum("potential_confidence", "low", "medium", "high"), nullable=False
        ),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        *_stamps(),
        sa.CheckConstraint("mrr_amount >= 0", name=op.f("ck_expansion_potential_mrr_non_negative")),
        sa.CheckConstraint(
            "seats IS NULL OR seats >= 0", name=op.f("ck_expansion_potential_seats_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_expansion_potential_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_expansion_potential_product_id_product"),
            ondelete="CASCADE",
        ),
        _user_fk("expansion_potential", "created_by_id"),
        _user_fk("expansion_potential", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expansion_potential")),
        sa.UniqueConstraint(
            "account_id", "product_id", name=op.f("uq_expansion_potential_account_id_product_id")
        ),
    )
    op.create_index(
        op.f("ix_expansion_potential_account_id"),
        "expansion_potential",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_expansion_potential_product_id"),
        "expansion_potential",
        ["product_id"],
        unique=False,
    )

    op.create_table(
        "expansion_potential_activity",
        sa.Column("potential_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_expansion_potential_activity_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["potential_id"],
            ["expansion_potential.id"],
            name=op.f("fk_expansion_potential_activity_potential_id_expansion_potential"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "potential_id", "activity_id", name=op.f("pk_expansion_potential_activity")
        ),
    )
    op.create_index(
        op.f("ix_expansion_potential_activity_activity_id"),
        "expansion_potential_activity",
        ["activity_id"],
        unique=False,
    )

    op.create_table(
        "poc",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("success_criteria", _JSON, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            _enum("poc_status", "planned", "running", "evaluating", "decided", "cancelled"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("decision", _enum("poc_decision", "adopt", "extend", "stop"), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_poc_product_id_product"),
            ondelete="SET NULL",
        ),
        _user_fk("poc", "owner_id"),
        _user_fk("poc", "decided_by_id"),
        _user_fk("poc", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc")),
    )
    op.create_index(op.f("ix_poc_owner_id"), "poc", ["owner_id"], unique=False)
    op.create_index(op.f("ix_poc_product_id"), "poc", ["product_id"], unique=False)
    op.create_index(op.f("ix_poc_status"), "poc", ["status"], unique=False)

    op.create_table(
        "poc_account",
        sa.Column("poc_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("participants", _JSON, nullable=False),
        sa.Column("results", _JSON, nullable=False),
        sa.Column("outcome", _enum("poc_outcome", "met", "partly", "not_met"), nullable=True),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_poc_account_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poc_id"], ["poc.id"], name=op.f("fk_poc_account_poc_id_poc"), ondelete="CASCADE"
        ),
        _user_fk("poc_account", "added_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc_account")),
        sa.UniqueConstraint("poc_id", "account_id", name=op.f("uq_poc_account_poc_id_account_id")),
    )
    op.create_index(op.f("ix_poc_account_account_id"), "poc_account", ["account_id"], unique=False)

    op.create_table(
        "poc_feedback",
        sa.Column("poc_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["poc_id"], ["poc.id"], name=op.f("fk_poc_feedback_poc_id_poc"), ondelete="CASCADE"
        ),
        _user_fk("poc_feedback", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poc_feedback")),
    )
    op.create_index(op.f("ix_poc_feedback_poc_id"), "poc_feedback", ["poc_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_poc_feedback_poc_id"), table_name="poc_feedback")
    op.drop_table("poc_feedback")
    op.drop_index(op.f("ix_poc_account_account_id"), table_name="poc_account")
    op.drop_table("poc_account")
    op.drop_index(op.f("ix_poc_status"), table_name="poc")
    op.drop_index(op.f("ix_poc_product_id"), table_name="poc")
    op.drop_index(op.f("ix_poc_owner_id"), table_name="poc")
    op.drop_table("poc")
    op.drop_index(
        op.f("ix_expansion_potential_activity_activity_id"),
        table_name="expansion_potential_activity",
    )
    op.drop_table("expansion_potential_activity")
    op.drop_index(op.f("ix_expansion_potential_product_id"), table_name="expansion_potential")
    op.drop_index(op.f("ix_expansion_potential_account_id"), table_name="expansion_potential")
    op.drop_table("expansion_potential")
