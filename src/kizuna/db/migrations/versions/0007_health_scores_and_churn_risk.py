"""health scores and churn risk

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# The default DEAR scorecard as of this revision (frozen here: the code's default may
# change; this is what a new installation starts with).
DEFAULT_DEFINITION: dict[str, Any] = {
    "groups": [
        {"key": "deployment", "name": "導入完了度", "name_en": "Deployment", "weight": 25.0},
        {"key": "engagement", "name": "関係性", "name_en": "Engagement", "weight": 25.0},
        {"key": "adoption", "name": "活用度", "name_en": "Adoption", "weight": 25.0},
        {"key": "roi", "name": "費用対効果", "name_en": "ROI", "weight": 25.0},
    ],
    "measures": [
        {
            "key": "onboarding",
            "name": "オンボーディング完了度",
            "name_en": "Onboarding completeness",
            "group": "deployment",
            "signal": "onboarding_completeness",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 0.4, "best": 1.0},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "seat_activation",
            "name": "シート有効化率",
            "name_en": "Seat activation",
            "group": "deployment",
            "signal": "seat_activation",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 0.1, "best": 0.8},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "tenure",
            "name": "契約期間",
            "name_en": "Tenure",
            "group": "deployment",
            "signal": "tenure_days",
            "weight": 1.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [
                    {"min": 0.0, "points": 30.0},
                    {"min": 90.0, "points": 60.0},
                    {"min": 180.0, "points": 80.0},
                    {"min": 365.0, "points": 100.0},
                ],
            },
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "nps",
            "name": "NPS (最新)",
            "name_en": "NPS (latest)",
            "group": "engagement",
            "signal": "nps_latest",
            "weight": 3.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [
                    {"min": 0.0, "points": 0.0},
                    {"min": 5.0, "points": 30.0},
                    {"min": 7.0, "points": 60.0},
                    {"min": 9.0, "points": 100.0},
                ],
            },
            "missing": "neutral",
            "missing_points": None,
        },
        {
            "key": "dm_touch",
            "name": "決裁者との最終接点",
            "name_en": "Days since decision-maker touch",
            "group": "engagement",
            "signal": "days_since_dm_touch",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 180.0, "best": 14.0},
            "missing": "zero",
            "missing_points": None,
        },
        {
            "key": "touches",
            "name": "接点数 (90日)",
            "name_en": "Touches (90 days)",
            "group": "engagement",
            "signal": "touches_90d",
            "weight": 1.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [
                    {"min": 0.0, "points": 0.0},
                    {"min": 1.0, "points": 40.0},
                    {"min": 3.0, "points": 70.0},
                    {"min": 6.0, "points": 100.0},
                ],
            },
            "missing": "zero",
            "missing_points": None,
        },
        {
            "key": "champion",
            "name": "チャンピオンの有無",
            "name_en": "Champion present",
            "group": "engagement",
            "signal": "champion_present",
            "weight": 1.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [{"min": 0.0, "points": 0.0}, {"min": 1.0, "points": 100.0}],
            },
            "missing": "zero",
            "missing_points": None,
        },
        {
            "key": "csat",
            "name": "CSAT (90日平均)",
            "name_en": "CSAT (90-day average)",
            "group": "engagement",
            "signal": "csat_avg_90d",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 2.0, "best": 4.5},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "active_users",
            "name": "アクティブユーザー数 (週)",
            "name_en": "Active users (week)",
            "group": "adoption",
            "signal": "usage:active_users:week",
            "weight": 1.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [
                    {"min": 0.0, "points": 0.0},
                    {"min": 1.0, "points": 20.0},
                    {"min": 3.0, "points": 50.0},
                    {"min": 10.0, "points": 80.0},
                    {"min": 25.0, "points": 100.0},
                ],
            },
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "feature_breadth",
            "name": "利用機能数 (月)",
            "name_en": "Features used (month)",
            "group": "adoption",
            "signal": "usage:feature_breadth:month",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 2.0, "best": 12.0},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "recency",
            "name": "最終利用からの日数",
            "name_en": "Days since last use",
            "group": "adoption",
            "signal": "usage:days_since_last:day",
            "weight": 2.0,
            "scoring": {"kind": "linear", "worst": 14.0, "best": 1.0},
            "missing": "zero",
            "missing_points": None,
        },
        {
            "key": "usage_trend",
            "name": "イベント数の増減率 (週)",
            "name_en": "Change in events (week)",
            "group": "adoption",
            "signal": "usage:events_change:week",
            "weight": 1.0,
            "scoring": {"kind": "linear", "worst": -40.0, "best": 10.0},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "value_per_yen",
            "name": "MRRあたり利用量",
            "name_en": "Usage per MRR",
            "group": "roi",
            "signal": "usage_per_mrr",
            "weight": 1.0,
            "scoring": {"kind": "linear", "worst": 0.5, "best": 8.0},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "qbr",
            "name": "最終QBRからの日数",
            "name_en": "Days since last QBR",
            "group": "roi",
            "signal": "days_since_qbr",
            "weight": 1.0,
            "scoring": {"kind": "linear", "worst": 180.0, "best": 45.0},
            "missing": "exclude",
            "missing_points": None,
        },
        {
            "key": "mrr_change",
            "name": "MRR増減率 (90日)",
            "name_en": "MRR change (90 days)",
            "group": "roi",
            "signal": "mrr_change_90d_pct",
            "weight": 2.0,
            "scoring": {
                "kind": "thresholds",
                "steps": [
                    {"min": -100.0, "points": 0.0},
                    {"min": -20.0, "points": 20.0},
                    {"min": -5.0, "points": 50.0},
                    {"min": 0.0, "points": 75.0},
                    {"min": 5.0, "points": 100.0},
                ],
            },
            "missing": "exclude",
            "missing_points": None,
        },
    ],
    "bands": {"red_below": 40.0, "green_from": 70.0},
    "min_coverage": 0.5,
}


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_account_kind_occurred", ["account_id", "kind", "occurred_at"], unique=False
        )
    op.create_table(
        "health_scorecard",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("applies_to", _JSON, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scorecard")),
        sa.UniqueConstraint("key", name=op.f("uq_health_scorecard_key")),
    )
    op.create_table(
        "churn_model",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("train_until", sa.Date(), nullable=False),
        sa.Column("trained_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("features", _JSON, nullable=False),
        sa.Column("model_text", sa.Text(), nullable=False),
        sa.Column("calibration", _JSON, nullable=False),
        sa.Column("trained_by_id", sa.Uuid(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"],
            ["user.id"],
            name=op.f("fk_churn_model_trained_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_churn_model")),
        sa.UniqueConstraint("number", name=op.f("uq_churn_model_number")),
    )
    op.create_table(
        "health_scorecard_version",
        sa.Column("scorecard_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("backtest", _JSON, nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_health_scorecard_version_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["health_scorecard.id"],
            name=op.f("fk_health_scorecard_version_scorecard_id_health_scorecard"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scorecard_version")),
        sa.UniqueConstraint(
            "scorecard_id", "number", name=op.f("uq_health_scorecard_version_scorecard_id_number")
        ),
    )
    with op.batch_alter_table("health_scorecard_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_scorecard_version_scorecard_id"), ["scorecard_id"], unique=False
        )

    op.create_table(
        "churn_risk",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("computed_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_churn_risk_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["churn_model.id"],
            name=op.f("fk_churn_risk_model_id_churn_model"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_churn_risk")),
    )
    with op.batch_alter_table("churn_risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_churn_risk_model_id"), ["model_id"], unique=False)
        batch_op.create_index("ix_churn_risk_probability", ["probability"], unique=False)

    op.create_table(
        "expansion_signal",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("computed_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_expansion_signal_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", "subject", name=op.f("pk_expansion_signal")),
    )
    op.create_table(
        "health_score",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("score_7d_ago", sa.Float(), nullable=True),
        sa.Column("change_7d", sa.Float(), nullable=True),
        sa.Column("explanation", _JSON, nullable=False),
        sa.Column("computed_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_health_score_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["health_scorecard_version.id"],
            name=op.f("fk_health_score_version_id_health_scorecard_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_health_score")),
    )
    with op.batch_alter_table("health_score", schema=None) as batch_op:
        batch_op.create_index("ix_health_score_band_score", ["band", "score"], unique=False)
        batch_op.create_index(batch_op.f("ix_health_score_change_7d"), ["change_7d"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_health_score_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "health_score_history",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("measures", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_health_score_history_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["health_scorecard_version.id"],
            name=op.f("fk_health_score_history_version_id_health_scorecard_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "scored_on", name=op.f("pk_health_score_history")),
    )
    with op.batch_alter_table("health_score_history", schema=None) as batch_op:
        batch_op.create_index("ix_health_score_history_day", ["scored_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_health_score_history_version_id"), ["version_id"], unique=False
        )
    _seed_default_scorecard()


def _seed_default_scorecard() -> None:
    """The default scorecard (scores every account no other scorecard claims), version 1
    published."""
    scorecard = sa.table(
        "health_scorecard",
        sa.column("id", sa.Uuid()),
        sa.column("key", sa.String()),
        sa.column("name", sa.String()),
        sa.column("name_en", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("applies_to", _JSON),
        sa.column("priority", sa.Integer()),
        sa.column("is_default", sa.Boolean()),
        sa.column("archived", sa.Boolean()),
        sa.column("created_at", kizuna.db.types.UTCDateTime(timezone=True)),
        sa.column("updated_at", kizuna.db.types.UTCDateTime(timezone=True)),
    )
    version = sa.table(
        "health_scorecard_version",
        sa.column("id", sa.Uuid()),
        sa.column("scorecard_id", sa.Uuid()),
        sa.column("number", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("definition", _JSON),
        sa.column("note", sa.Text()),
        sa.column("created_at", kizuna.db.types.UTCDateTime(timezone=True)),
        sa.column("published_at", kizuna.db.types.UTCDateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    scorecard_id = uuid.uuid4()
    op.bulk_insert(
        scorecard,
        [
            {
                "id": scorecard_id,
                "key": "default",
                "name": "標準ヘルススコア (DEAR)",
                "name_en": "Standard health score (DEAR)",
                "description": "導入完了度・関係性・活用度・費用対効果の4分類で顧客の健全度を測ります。",
                "applies_to": {"tiers": [], "phases": []},
                "priority": 0,
                "is_default": True,
                "archived": False,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    op.bulk_insert(
        version,
        [
            {
                "id": uuid.uuid4(),
                "scorecard_id": scorecard_id,
                "number": 1,
                "status": "published",
                "definition": DEFAULT_DEFINITION,
                "note": "初期設定 (DEAR)",
                "created_at": now,
                "published_at": now,
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_account_kind_occurred")
    with op.batch_alter_table("health_score_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_score_history_version_id"))
        batch_op.drop_index("ix_health_score_history_day")

    op.drop_table("health_score_history")
    with op.batch_alter_table("health_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_score_version_id"))
        batch_op.drop_index(batch_op.f("ix_health_score_change_7d"))
        batch_op.drop_index("ix_health_score_band_score")

    op.drop_table("health_score")
    op.drop_table("expansion_signal")
    with op.batch_alter_table("churn_risk", schema=None) as batch_op:
        batch_op.drop_index("ix_churn_risk_probability")
        batch_op.drop_index(batch_op.f("ix_churn_risk_model_id"))

    op.drop_table("churn_risk")
    with op.batch_alter_table("health_scorecard_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_scorecard_version_scorecard_id"))

    op.drop_table("health_scorecard_version")
    op.drop_table("churn_model")
    op.drop_table("health_scorecard")
