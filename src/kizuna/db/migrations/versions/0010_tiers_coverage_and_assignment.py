"""tiers coverage and assignment

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tier_pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "coverage_tier",
        sa.Column("tier", _enum("tier", "tier1", "tier2", "tier3"), nullable=False),
        sa.Column(
            "touch_model",
            _enum("touch_model", "high_touch", "low_touch", "tech_touch"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("accounts_per_person", sa.Integer(), nullable=True),
        sa.Column("cadence_days", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_coverage_tier_team_id_team"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_tier")),
        sa.UniqueConstraint("tier", name=op.f("uq_coverage_tier_tier")),
    )
    op.create_index(op.f("ix_coverage_tier_team_id"), "coverage_tier", ["team_id"], unique=False)

    op.create_table(
        "tier_rule",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("condition", _JSON, nullable=False),
        sa.Column("tier", _enum("tier", "tier1", "tier2", "tier3"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_rule")),
    )
    op.create_index(op.f("ix_tier_rule_position"), "tier_rule", ["position"], unique=False)

    op.create_table(
        "assignment_rule",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("condition", _JSON, nullable=False),
        sa.Column(
            "owner_field",
            _enum("owner_field", "csm_owner", "sales_owner", "ae_owner", "support_owner"),
            nullable=False,
        ),
        sa.Column(
            "strategy",
            _enum("assignment_strategy", "fixed_user", "round_robin", "least_loaded"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("reassign", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["last_user_id"],
            ["user.id"],
            name=op.f("fk_assignment_rule_last_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_assignment_rule_team_id_team"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_assignment_rule_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rule")),
    )
    op.create_index(
        op.f("ix_assignment_rule_position"), "assignment_rule", ["position"], unique=False
    )
    op.create_index(
        op.f("ix_assignment_rule_team_id"), "assignment_rule", ["team_id"], unique=False
    )
    op.create_index(
        op.f("ix_assignment_rule_user_id"), "assignment_rule", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assignment_rule_user_id"), table_name="assignment_rule")
    op.drop_index(op.f("ix_assignment_rule_team_id"), table_name="assignment_rule")
    op.drop_index(op.f("ix_assignment_rule_position"), table_name="assignment_rule")
    op.drop_table("assignment_rule")
    op.drop_index(op.f("ix_tier_rule_position"), table_name="tier_rule")
    op.drop_table("tier_rule")
    op.drop_index(op.f("ix_coverage_tier_team_id"), table_name="coverage_tier")
    op.drop_table("coverage_tier")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("tier_pinned")
