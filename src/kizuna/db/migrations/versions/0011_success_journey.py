"""success journey

Revision ID: 0011
Revises: 0010
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

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)

# The default journey of seed 001 §1 as of this revision (frozen here: this is what a new
# installation starts with; the journey is edited as data afterwards).
DEFAULT_PHASES: list[dict[str, Any]] = [
    {
        "phase": "onboarding",
        "name": "導入期",
        "name_en": "Onboarding",
        "description": "使い始めたばかりで、使えるようになるための助走期間。",
        "target_days": 90,
    },
    {
        "phase": "adoption",
        "name": "定着期",
        "name_en": "Adoption",
        "description": "プロダクトを自ら使いこなして成果を出しに行く自走期間。",
        "target_days": 180,
    },
    {
        "phase": "expansion",
        "name": "拡大・更新期",
        "name_en": "Expansion & renewal",
        "description": "成果が得られ、契約を更新し、利用を拡大する期間。",
        "target_days": 365,
    },
]


def _r(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"fact": fact, "op": op}
    if value is not None:
        rule["value"] = value
    return rule


DEFAULT_STEPS: list[dict[str, Any]] = [
    {
        "key": "initial_setup",
        "phase": "onboarding",
        "name": "初期設定",
        "name_en": "Initial set-up",
        "description": (
            "アカウント開設・ユーザー登録・機能設定に加え、導入目的とゴールの認識合わせ。"
            "管理者が登録され、オンボーディングの節目の4割以上 (例: 初回利用と管理者登録) に達した。"
        ),
        "required": True,
        "manual": True,
        "criteria": {
            "all": [
                _r("contact.admin.count", "gte", 1),
                _r("signal.onboarding_completeness", "gte", 0.4),
            ]
        },
    },
    {
        "key": "basic_understanding",
        "phase": "onboarding",
        "name": "基礎理解",
        "name_en": "Basic understanding",
        "description": "操作方法や使い方を理解してもらう (レクチャー、マニュアル)。トレーニングを1回以上実施した。",
        "required": True,
        "manual": True,
        "criteria": {"all": [_r("activity.training.count", "gte", 1)]},
    },
    {
        "key": "hands_on",
        "phase": "onboarding",
        "name": "操作習得",
        "name_en": "Hands-on mastery",
        "description": (
            "自分で操作でき、実際の業務と紐付けて使える。オンボーディングの5つの節目"
            "(初回利用、キックオフ、トレーニング、管理者登録、シートの半数以上が利用) をすべて達成し、"
            "直近30日も利用がある。"
        ),
        "required": True,
        "manual": True,
        "criteria": {
            "all": [
                _r("signal.onboarding_completeness", "gte", 1),
                _r("signal.usage_per_mrr", "gt", 0),
            ]
        },
    },
    {
        "key": "habitual_use",
        "phase": "adoption",
        "name": "運用習慣化",
        "name_en": "Habitual use",
        "description": (
            "日常業務で当たり前に使われている。シート稼働率50%以上 (シート課金でない契約は、"
            "直近30日の利用がMRR 1万円あたり3回以上)。"
        ),
        "required": True,
        "manual": True,
        "criteria": {
            "any": [
                _r("signal.seat_activation", "gte", 0.5),
                {
                    "all": [
                        _r("signal.seat_activation", "is_not_set"),
                        _r("signal.usage_per_mrr", "gte", 3),
                    ]
                },
            ]
        },
    },
    {
        "key": "proficiency",
        "phase": "adoption",
        "name": "活用習熟",
        "name_en": "Proficiency",
        "description": (
            "「使われている」から「使いこなされている」へ (機能の組み合わせ、他ツール連携、深い分析)。"
            "シート稼働率70%以上で、社内に推進役 (チャンピオン) がいる。"
        ),
        "required": False,
        "manual": True,
        "criteria": {
            "all": [
                _r("signal.seat_activation", "gte", 0.7),
                _r("contact.champion.count", "gte", 1),
            ]
        },
    },
    {
        "key": "user_spread",
        "phase": "adoption",
        "name": "利用者浸透",
        "name_en": "Spread across users",
        "description": "利用者数・適応業務数・利用部署数を広げる。利用者の担当者が3人以上、シート稼働率60%以上。",
        "required": True,
        "manual": True,
        "criteria": {
            "all": [
                _r("contact.user.count", "gte", 3),
                _r("signal.seat_activation", "gte", 0.6),
            ]
        },
    },
    {
        "key": "felt_value",
        "phase": "expansion",
        "name": "成果実感",
        "name_en": "Felt value",
        "description": "顧客が成果を実感し満足している。最新NPSが9以上 (推奨者)、または担当者が確認。",
        "required": True,
        "manual": True,
        "criteria": {"all": [_r("signal.nps_latest", "gte", 9)]},
    },
    {
        "key": "renewal",
        "phase": "expansion",
        "name": "契約更新",
        "name_en": "Renewal",
        "description": "利用契約を更新した。最初の契約開始から1年以上経ち、契約が続いている。",
        "required": True,
        "manual": True,
        "criteria": {
            "all": [
                _r("signal.tenure_days", "gte", 365),
                _r("products", "is_set"),
            ]
        },
    },
    {
        "key": "expansion",
        "phase": "expansion",
        "name": "利用拡大",
        "name_en": "Expansion",
        "description": "機能や人数を拡大した (アップセル・クロスセル)。直近90日でMRRが増えた、またはオプションを契約。",
        "required": False,
        "manual": True,
        "criteria": {
            "any": [
                _r("signal.mrr_change_90d_pct", "gt", 0),
                _r("signal.option_count", "gte", 1),
            ]
        },
    },
]


def upgrade() -> None:
    op.create_table(
        "journey_phase",
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("target_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("phase", name=op.f("pk_journey_phase")),
    )
    op.create_table(
        "journey_step",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("criteria", _JSON, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_step")),
        sa.UniqueConstraint("key", name=op.f("uq_journey_step_key")),
    )
    op.create_index(
        "ix_journey_step_phase_position", "journey_step", ["phase", "position"], unique=False
    )
    op.create_table(
        "account_journey_step",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("completed_at", _TS, nullable=True),
        sa.Column("completed_by_id", sa.Uuid(), nullable=True),
        sa.Column("completed_by_system", sa.String(length=64), nullable=True),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("reopened_at", _TS, nullable=True),
        sa.Column("reopened_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_journey_step_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["user.id"],
            name=op.f("fk_account_journey_step_completed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"],
            ["user.id"],
            name=op.f("fk_account_journey_step_reopened_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["journey_step.id"],
            name=op.f("fk_account_journey_step_step_id_journey_step"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "step_id", name=op.f("pk_account_journey_step")),
    )
    op.create_index(
        op.f("ix_account_journey_step_step_id"), "account_journey_step", ["step_id"], unique=False
    )
    op.create_table(
        "journey_phase_history",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("entered_at", _TS, nullable=False),
        sa.Column("exited_at", _TS, nullable=True),
        sa.Column("moved_by_id", sa.Uuid(), nullable=True),
        sa.Column("moved_by_system", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_journey_phase_history_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moved_by_id"],
            ["user.id"],
            name=op.f("fk_journey_phase_history_moved_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_phase_history")),
    )
    op.create_index(
        "ix_journey_phase_history_account_entered",
        "journey_phase_history",
        ["account_id", "entered_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_journey_phase_history_exited_at"),
        "journey_phase_history",
        ["exited_at"],
        unique=False,
    )
    op.create_table(
        "account_goal",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("target_value", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_goal_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_account_goal_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_goal")),
        sa.UniqueConstraint("account_id", "title", name=op.f("uq_account_goal_account_id_title")),
    )
    op.create_index(
        op.f("ix_account_goal_account_id"), "account_goal", ["account_id"], unique=False
    )
    _seed_default_journey()


def _seed_default_journey() -> None:
    phases = sa.table(
        "journey_phase",
        sa.column("phase", sa.String()),
        sa.column("name", sa.String()),
        sa.column("name_en", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("target_days", sa.Integer()),
        sa.column("updated_at", _TS),
    )
    steps = sa.table(
        "journey_step",
        sa.column("id", sa.Uuid()),
        sa.column("key", sa.String()),
        sa.column("phase", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("name_en", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("required", sa.Boolean()),
        sa.column("manual", sa.Boolean()),
        sa.column("criteria", _JSON),
        sa.column("created_at", _TS),
        sa.column("updated_at", _TS),
    )
    now = datetime.now(UTC)
    op.bulk_insert(phases, [{**p, "updated_at": now} for p in DEFAULT_PHASES])
    positions: dict[str, int] = {}
    rows = []
    for step in DEFAULT_STEPS:
        position = positions.get(step["phase"], 0)
        positions[step["phase"]] = position + 1
        rows.append(
            {
                **step,
                "id": uuid.uuid4(),
                "position": position,
                "created_at": now,
                "updated_at": now,
            }
        )
    op.bulk_insert(steps, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_account_goal_account_id"), table_name="account_goal")
    op.drop_table("account_goal")
    op.drop_index(op.f("ix_journey_phase_history_exited_at"), table_name="journey_phase_history")
    op.drop_index("ix_journey_phase_history_account_entered", table_name="journey_phase_history")
    op.drop_table("journey_phase_history")
    op.drop_index(op.f("ix_account_journey_step_step_id"), table_name="account_journey_step")
    op.drop_table("account_journey_step")
    op.drop_index("ix_journey_step_phase_position", table_name="journey_step")
    op.drop_table("journey_step")
    op.drop_table("journey_phase")
