"""scheduler schedules and runs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("singleton_key", sa.String(length=100), nullable=True))
    op.create_index(
        "uq_job_singleton_running",
        "job",
        ["singleton_key"],
        unique=True,
        sqlite_where=_RUNNING,
        postgresql_where=_RUNNING,
    )

    op.create_table(
        "schedule",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("job_name", sa.String(length=100), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column(
            "cadence",
            sa.Enum(
                "daily",
                "weekly",
                "interval",
                name="schedule_cadence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at_time", sa.Time(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("every_minutes", sa.Integer(), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("last_enqueued_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_status",
            sa.Enum(
                "running",
                "done",
                "retrying",
                "failed",
                "cancelled",
                name="schedule_run_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("last_duration_seconds", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kizuna.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_job_id"],
            ["job.id"],
            name=op.f("fk_schedule_last_job_id_job"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule")),
        sa.UniqueConstraint("key", name=op.f("uq_schedule_key")),
    )
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_job_name"), ["job_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_job_name"))
    op.drop_table("schedule")
    op.drop_index("uq_job_singleton_running", table_name="job")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("singleton_key")
