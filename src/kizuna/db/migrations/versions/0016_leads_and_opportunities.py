"""leads and opportunities

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)

_LEAD_OPPORTUNITY_FK = "fk_lead_opportunity_id_opportunity"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


_STAGES = ("qualification", "proposal", "negotiation", "won", "lost")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # lead.opportunity_id and opportunity.lead_id refer to each other. SQLite accepts a
    # reference to a table that does not exist yet (and cannot ALTER constraints), so
    # the key is declared inline there; elsewhere it is added once both tables exist.
    lead_opportunity_fk = (
        [
            sa.ForeignKeyConstraint(
                ["opportunity_id"],
                ["opportunity.id"],
                name=_LEAD_OPPORTUNITY_FK,
                ondelete="SET NULL",
            )
        ]
        if sqlite
        else []
    )
    op.create_table(
        "lead",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("activity_ids", _JSON, nullable=False),
        sa.Column("passed_by_id", sa.Uuid(), nullable=True),
        sa.Column("passed_at", _TS, nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_team_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            _enum("lead_status", "passed", "accepted", "rejected", "withdrawn"),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("sla_due_at", _TS, nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_lead_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_lead_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user.id"],
            name=op.f("fk_lead_assignee_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_team_id"],
            ["team.id"],
            name=op.f("fk_lead_assignee_team_id_team"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user.id"],
            name=op.f("fk_lead_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["passed_by_id"],
            ["user.id"],
            name=op.f("fk_lead_passed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_lead_product_id_product"),
            ondelete="RESTRICT",
        ),
        *lead_opportunity_fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
    )
    for column in (
        "account_id",
        "assignee_id",
        "assignee_team_id",
        "opportunity_id",
        "passed_at",
        "passed_by_id",
        "product_id",
        "status",
    ):
        op.create_index(op.f(f"ix_lead_{column}"), "lead", [column], unique=False)
    op.create_index("ix_lead_status_sla_due_at", "lead", ["status", "sla_due_at"], unique=False)

    op.create_table(
        "opportunity",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("kind", _enum("opportunity_kind", "upsell", "cross_sell"), nullable=False),
        sa.Column("stage", _enum("opportunity_stage", *_STAGES), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("close_on", sa.Date(), nullable=False),
        sa.Column(
            "lead_source",
            _enum("lead_source", "cs", "marketing", "sales", "partner"),
            nullable=False,
        ),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("won_at", _TS, nullable=True),
        sa.Column("lost_at", _TS, nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunity_amount_non_negative")),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity >= 0",
            name=op.f("ck_opportunity_quantity_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_opportunity_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_opportunity_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
            name=op.f("fk_opportunity_lead_id_lead"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_opportunity_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_opportunity_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_opportunity_subscription_id_subscription"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    for column in (
        "account_id",
        "close_on",
        "created_by_id",
        "lead_id",
        "lead_source",
        "owner_id",
        "product_id",
        "stage",
    ):
        op.create_index(op.f(f"ix_opportunity_{column}"), "opportunity", [column], unique=False)

    if not sqlite:
        op.create_foreign_key(
            _LEAD_OPPORTUNITY_FK,
            "lead",
            "opportunity",
            ["opportunity_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "opportunity_stage_change",
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", _enum("opportunity_from_stage", *_STAGES), nullable=True),
        sa.Column("to_stage", _enum("opportunity_to_stage", *_STAGES), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user.id"],
            name=op.f("fk_opportunity_stage_change_changed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_stage_change_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_change")),
    )
    op.create_index(
        op.f("ix_opportunity_stage_change_changed_at"),
        "opportunity_stage_change",
        ["changed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_opportunity_stage_change_opportunity_id"),
        "opportunity_stage_change",
        ["opportunity_id"],
        unique=False,
    )

    op.create_table(
        "pipeline_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cs_measure", _enum("cs_measure", "lead_count", "amount"), nullable=False),
        sa.Column("lead_sla_hours", sa.Integer(), nullable=False),
        sa.Column("sla_business_days_only", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_pipeline_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_settings")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_settings")
    op.drop_index(
        op.f("ix_opportunity_stage_change_opportunity_id"), table_name="opportunity_stage_change"
    )
    op.drop_index(
        op.f("ix_opportunity_stage_change_changed_at"), table_name="opportunity_stage_change"
    )
    op.drop_table("opportunity_stage_change")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(_LEAD_OPPORTUNITY_FK, "lead", type_="foreignkey")
    else:
        op.execute(sa.text("UPDATE lead SET opportunity_id = NULL"))
    for column in (
        "account_id",
        "close_on",
        "created_by_id",
        "lead_id",
        "lead_source",
        "owner_id",
        "product_id",
        "stage",
    ):
        op.drop_index(op.f(f"ix_opportunity_{column}"), table_name="opportunity")
    op.drop_table("opportunity")
    op.drop_index("ix_lead_status_sla_due_at", table_name="lead")
    for column in (
        "account_id",
        "assignee_id",
        "assignee_team_id",
        "opportunity_id",
        "passed_at",
        "passed_by_id",
        "product_id",
        "status",
    ):
        op.drop_index(op.f(f"ix_lead_{column}"), table_name="lead")
    op.drop_table("lead")
