"""usage metric definitions and computation state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_DWM = ["day", "week", "month"]
_WM = ["week", "month"]

# The built-in catalogue as of this revision (frozen here: later code may change its own).
# (key, name, name_en, kind, params, grains, featured, description)
DEFAULT_CATALOGUE = [
    ("events", "イベント数", "Events", "count", {}, _DWM, True, "All usage events."),
    (
        "active_users",
        "アクティブユーザー数",
        "Active users",
        "active_users",
        {},
        _DWM,
        True,
        "Distinct users with at least one event.",
    ),
    (
        "active_days",
        "利用日数",
        "Active days",
        "active_days",
        {},
        _WM,
        False,
        "Days with at least one event.",
    ),
    (
        "logins",
        "ログイン数",
        "Logins",
        "count",
        {"events": ["Login", "SSO Login"]},
        _DWM,
        False,
        "Login and SSO Login events.",
    ),
    (
        "api_calls",
        "API呼び出し数",
        "API calls",
        "count",
        {"events": ["API Call"]},
        _DWM,
        False,
        "API Call events (API option).",
    ),
    (
        "exported_rows",
        "エクスポート行数",
        "Exported rows",
        "sum",
        {"property": "rows", "events": ["Export Downloaded"]},
        _WM,
        False,
        "Sum of the rows property of Export Downloaded.",
    ),
    (
        "feature_breadth",
        "利用機能数",
        "Features used",
        "feature_breadth",
        {},
        _WM,
        True,
        "Distinct event types used.",
    ),
    (
        "days_since_last",
        "最終利用からの日数",
        "Days since last use",
        "days_since_last",
        {},
        _DWM,
        True,
        "Days since the account's last event.",
    ),
    (
        "seat_utilisation",
        "シート利用率",
        "Seat utilisation",
        "per_seat",
        {"metric": "active_users"},
        _WM,
        True,
        "Active users per licensed seat.",
    ),
    (
        "events_per_user",
        "ユーザーあたりイベント数",
        "Events per user",
        "ratio",
        {"numerator": "events", "denominator": "active_users"},
        _WM,
        False,
        "Events divided by active users.",
    ),
    (
        "events_change",
        "イベント数の増減率",
        "Change in events",
        "pct_change",
        {"metric": "events", "periods": 1},
        _WM,
        False,
        "% change against the previous period.",
    ),
    (
        "tenure_scaled_events",
        "在籍期間補正イベント数 (30日)",
        "Tenure-scaled events (30 days)",
        "tenure_scaled",
        {"window_days": 30},
        _WM,
        False,
        "Events in the last 30 days, scaled up for accounts younger than 30 days.",
    ),
]


def upgrade() -> None:
    op.create_table(
        "usage_compute_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dirty_since", sa.Date(), nullable=True),
        sa.Column("computed_today", sa.Date(), nullable=True),
        sa.Column("catalogue_hash", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_ms", sa.Integer(), nullable=True),
        sa.Column("events_stored", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_compute_state")),
    )
    metric = op.create_table(
        "usage_metric",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", _JSON, nullable=False),
        sa.Column("grains", _JSON, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_metric")),
        sa.UniqueConstraint("key", name=op.f("uq_usage_metric_key")),
    )
    op.create_table(
        "usage_metric_latest",
        sa.Column("metric_id", sa.Uuid(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("previous_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_usage_metric_latest_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["usage_metric.id"],
            name=op.f("fk_usage_metric_latest_metric_id_usage_metric"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "metric_id", "grain", "account_id", name=op.f("pk_usage_metric_latest")
        ),
    )
    op.create_index(
        op.f("ix_usage_metric_latest_account_id"),
        "usage_metric_latest",
        ["account_id"],
        unique=False,
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        metric,
        [
            {
                "id": uuid.uuid4(),
                "key": key,
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "params": params,
                "grains": grains,
                "description": description,
                "enabled": True,
                "builtin": True,
                "featured": featured,
                "position": position,
                "created_at": now,
                "updated_at": now,
            }
            for position, (
                key,
                name,
                name_en,
                kind,
                params,
                grains,
                featured,
                description,
            ) in enumerate(DEFAULT_CATALOGUE)
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_usage_metric_latest_account_id"), table_name="usage_metric_latest")
    op.drop_table("usage_metric_latest")
    op.drop_table("usage_metric")
    op.drop_table("usage_compute_state")
