"""customer data hub

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.base
import kizuna.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_field_definition",
        sa.Column(
            "object_type",
            sa.Enum(
                "account",
                "contact",
                "product",
                "subscription",
                "activity",
                name="custom_field_object",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label_ja", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column(
            "field_type",
            sa.Enum(
                "text",
                "long_text",
                "integer",
                "decimal",
                "money",
                "date",
                "boolean",
                "select",
                "multi_select",
                "url",
                "email",
                name="custom_field_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column(
            "choices",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("min_value", sa.String(length=40), nullable=True),
        sa.Column("max_value", sa.String(length=40), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("help_text", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_definition")),
        sa.UniqueConstraint(
            "object_type", "key", name=op.f("uq_custom_field_definition_object_type_key")
        ),
    )
    op.create_table(
        "product",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "base_plan",
                "option",
                "add_on",
                "service",
                name="product_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit",
            sa.Enum(
                "seat",
                "fixed",
                "usage",
                name="product_unit",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("list_price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("code", name=op.f("uq_product_code")),
    )
    op.create_table(
        "team",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "support",
                "customer_sales",
                "customer_marketing",
                "csm",
                "sales",
                "cs_ops",
                "management",
                name="team_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "user",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "manager",
                "csm",
                "support",
                "customer_sales",
                "customer_marketing",
                "sales",
                "read_only",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("capacity_accounts", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_user_team_id_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_team_id"), ["team_id"], unique=False)

    op.create_table(
        "account",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "tier1",
                "tier2",
                "tier3",
                name="tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "phase",
            sa.Enum(
                "onboarding",
                "adoption",
                "expansion",
                name="phase",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("purpose_of_adoption", sa.Text(), nullable=False),
        sa.Column("business_challenges", sa.Text(), nullable=False),
        sa.Column("success_criteria", sa.Text(), nullable=False),
        sa.Column("expansion_room", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("csm_owner_id", sa.Uuid(), nullable=True),
        sa.Column("sales_owner_id", sa.Uuid(), nullable=True),
        sa.Column("ae_owner_id", sa.Uuid(), nullable=True),
        sa.Column("support_owner_id", sa.Uuid(), nullable=True),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ae_owner_id"],
            ["user.id"],
            name=op.f("fk_account_ae_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["csm_owner_id"],
            ["user.id"],
            name=op.f("fk_account_csm_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sales_owner_id"],
            ["user.id"],
            name=op.f("fk_account_sales_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["support_owner_id"],
            ["user.id"],
            name=op.f("fk_account_support_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("external_id", name=op.f("uq_account_external_id")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_ae_owner_id"), ["ae_owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_csm_owner_id"), ["csm_owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_industry"), ["industry"], unique=False)
        batch_op.create_index("ix_account_name", ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_phase"), ["phase"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_account_sales_owner_id"), ["sales_owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_support_owner_id"), ["support_owner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_tier"), ["tier"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_prefix"), ["prefix"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("occurred_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "user",
                "token",
                "system",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user.id"],
            name=op.f("fk_audit_event_actor_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_event_actor_user_id"), ["actor_user_id"], unique=False
        )
        batch_op.create_index("ix_audit_event_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_web_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "activity",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "meeting",
                "call",
                "email",
                "inquiry",
                "note",
                "qbr",
                "training",
                "event",
                name="activity_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("occurred_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("is_pre_sale", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column(
            "inquiry_status",
            sa.Enum(
                "open",
                "pending",
                "resolved",
                name="inquiry_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("opened_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_activity_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_activity_author_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("external_id", name=op.f("uq_activity_external_id")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_account_occurred", ["account_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activity_author_id"), ["author_id"], unique=False)

    op.create_table(
        "contact",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column(
            "influence",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="influence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("email_opt_out", sa.Boolean(), nullable=False),
        sa.Column("call_opt_out", sa.Boolean(), nullable=False),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_contact_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("external_id", name=op.f("uq_contact_external_id")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_email"), ["email"], unique=False)

    op.create_table(
        "subscription",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("contract_ref", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("mrr_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_list_price_amount", sa.BigInteger(), nullable=True),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("billing_period_months", sa.Integer(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_on IS NULL OR end_on > start_on", name=op.f("ck_subscription_end_after_start")
        ),
        sa.CheckConstraint("mrr_amount >= 0", name=op.f("ck_subscription_mrr_non_negative")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_subscription_quantity_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_subscription_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_subscription_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
        sa.UniqueConstraint("external_id", name=op.f("uq_subscription_external_id")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_account_period", ["account_id", "start_on", "end_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscription_end_on"), ["end_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "activity_contact",
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_contact_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_activity_contact_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "contact_id", name=op.f("pk_activity_contact")),
    )
    with op.batch_alter_table("activity_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_contact_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "activity_user",
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_user_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_activity_user_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("activity_id", "user_id", name=op.f("pk_activity_user")),
    )
    with op.batch_alter_table("activity_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_user_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contact_role",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "decision_maker",
                "admin",
                "user",
                "champion",
                "executive_sponsor",
                name="contact_role_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_role_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "role", name=op.f("pk_contact_role")),
    )
    with op.batch_alter_table("contact_role", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_role_role"), ["role"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "nps",
                "csat",
                name="survey_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'nps' AND score BETWEEN 0 AND 10) OR (kind = 'csat' AND score BETWEEN 1 AND 5)",
            name=op.f("ck_survey_response_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_survey_response_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_survey_response_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint("external_id", name=op.f("uq_survey_response_external_id")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_response_account_responded", ["account_id", "responded_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_response_contact_id"), ["contact_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_contact_id"))
        batch_op.drop_index("ix_survey_response_account_responded")

    op.drop_table("survey_response")
    with op.batch_alter_table("contact_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_role_role"))

    op.drop_table("contact_role")
    with op.batch_alter_table("activity_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_user_user_id"))

    op.drop_table("activity_user")
    with op.batch_alter_table("activity_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_contact_contact_id"))

    op.drop_table("activity_contact")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_product_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_end_on"))
        batch_op.drop_index("ix_subscription_account_period")

    op.drop_table("subscription")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_email"))
        batch_op.drop_index(batch_op.f("ix_contact_account_id"))

    op.drop_table("contact")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_author_id"))
        batch_op.drop_index("ix_activity_account_occurred")

    op.drop_table("activity")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_user_id"))

    op.drop_table("web_session")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index("ix_audit_event_object")
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_user_id"))

    op.drop_table("audit_event")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_token_prefix"))

    op.drop_table("api_token")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tier"))
        batch_op.drop_index(batch_op.f("ix_account_support_owner_id"))
        batch_op.drop_index(batch_op.f("ix_account_sales_owner_id"))
        batch_op.drop_index(batch_op.f("ix_account_phase"))
        batch_op.drop_index("ix_account_name")
        batch_op.drop_index(batch_op.f("ix_account_industry"))
        batch_op.drop_index(batch_op.f("ix_account_domain"))
        batch_op.drop_index(batch_op.f("ix_account_csm_owner_id"))
        batch_op.drop_index(batch_op.f("ix_account_ae_owner_id"))

    op.drop_table("account")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_team_id"))

    op.drop_table("user")
    op.drop_table("team")
    op.drop_table("product")
    op.drop_table("custom_field_definition")
