"""renewals and closing plans

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)
_FORECASTS = ("commit", "likely", "at_risk", "churn")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "renewal",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("renews_on", sa.Date(), nullable=False),
        sa.Column("contract_ref", sa.String(length=100), nullable=False),
        sa.Column("mrr_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("line_ids", _JSON, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("forecast", _enum("renewal_forecast", *_FORECASTS), nullable=False),
        sa.Column("forecast_mrr_amount", sa.BigInteger(), nullable=False),
        sa.Column("forecast_note", sa.Text(), nullable=False),
        sa.Column("forecast_set_by_id", sa.Uuid(), nullable=True),
        sa.Column("forecast_set_at", _TS, nullable=True),
        sa.Column(
            "suggested_forecast", _enum("renewal_suggested_forecast", *_FORECASTS), nullable=True
        ),
        sa.Column("suggestion_reasons", _JSON, nullable=False),
        sa.Column(
            "outcome",
            _enum("renewal_outcome", "pending", "renewed", "expanded", "contracted", "churned"),
            nullable=False,
        ),
        sa.Column("actual_mrr_amount", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "actual_mrr_amount IS NULL OR actual_mrr_amount >= 0",
            name=op.f("ck_renewal_actual_mrr_non_negative"),
        ),
        sa.CheckConstraint(
            "forecast_mrr_amount >= 0", name=op.f("ck_renewal_forecast_mrr_non_negative")
        ),
        sa.CheckConstraint("mrr_amount >= 0", name=op.f("ck_renewal_mrr_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_renewal_account_id_account"),
            ondelete="CASCADE",
        ),
        _user_fk("renewal", "forecast_set_by_id"),
        _user_fk("renewal", "owner_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal")),
        sa.UniqueConstraint(
            "account_id", "renews_on", name=op.f("uq_renewal_account_id_renews_on")
        ),
    )
    op.create_index(op.f("ix_renewal_account_id"), "renewal", ["account_id"], unique=False)
    op.create_index(op.f("ix_renewal_forecast"), "renewal", ["forecast"], unique=False)
    op.create_index(
        "ix_renewal_outcome_renews_on", "renewal", ["outcome", "renews_on"], unique=False
    )
    op.create_index(op.f("ix_renewal_owner_id"), "renewal", ["owner_id"], unique=False)
    op.create_index(op.f("ix_renewal_renews_on"), "renewal", ["renews_on"], unique=False)

    op.create_table(
        "closing_plan",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("renewal_id", sa.Uuid(), nullable=True),
        sa.Column("opportunity_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("internal_note", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("share_token_hash", sa.String(length=64), nullable=True),
        sa.Column("share_language", sa.String(length=8), nullable=False),
        sa.Column("share_expires_at", _TS, nullable=True),
        sa.Column("shared_at", _TS, nullable=True),
        sa.Column("shared_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_closing_plan_account_id_account"),
            ondelete="CASCADE",
        ),
        _user_fk("closing_plan", "created_by_id"),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_closing_plan_opportunity_id_opportunity"),
            ondelete="SET NULL",
        ),
        _user_fk("closing_plan", "owner_id"),
        sa.ForeignKeyConstraint(
            ["renewal_id"],
            ["renewal.id"],
            name=op.f("fk_closing_plan_renewal_id_renewal"),
            ondelete="SET NULL",
        ),
        _user_fk("closing_plan", "shared_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_plan")),
        sa.UniqueConstraint("share_token_hash", name=op.f("uq_closing_plan_share_token_hash")),
    )
    for column in ("account_id", "opportunity_id", "owner_id", "renewal_id"):
        op.create_index(op.f(f"ix_closing_plan_{column}"), "closing_plan", [column], unique=False)

    op.create_table(
        "closing_plan_step",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("side", _enum("closing_plan_side", "ours", "customer"), nullable=False),
        sa.Column("owner_user_id", sa.Uuid(), nullable=True),
        sa.Column("owner_contact_id", sa.Uuid(), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            _enum("closing_step_status", "planned", "in_progress", "done", "blocked"),
            nullable=False,
        ),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("internal_note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_contact_id"],
            ["contact.id"],
            name=op.f("fk_closing_plan_step_owner_contact_id_contact"),
            ondelete="SET NULL",
        ),
        _user_fk("closing_plan_step", "owner_user_id"),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["closing_plan.id"],
            name=op.f("fk_closing_plan_step_plan_id_closing_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_plan_step")),
    )
    op.create_index(
        "ix_closing_plan_step_plan_position",
        "closing_plan_step",
        ["plan_id", "position"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_closing_plan_step_plan_position", table_name="closing_plan_step")
    op.drop_table("closing_plan_step")
    for column in ("renewal_id", "owner_id", "opportunity_id", "account_id"):
        op.drop_index(op.f(f"ix_closing_plan_{column}"), table_name="closing_plan")
    op.drop_table("closing_plan")
    op.drop_index(op.f("ix_renewal_renews_on"), table_name="renewal")
    op.drop_index(op.f("ix_renewal_owner_id"), table_name="renewal")
    op.drop_index("ix_renewal_outcome_renews_on", table_name="renewal")
    op.drop_index(op.f("ix_renewal_forecast"), table_name="renewal")
    op.drop_index(op.f("ix_renewal_account_id"), table_name="renewal")
    op.drop_table("renewal")
