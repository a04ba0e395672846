"""playbooks and tasks

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "playbook",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            _enum("playbook_status", "draft", "active", "paused", "archived"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("state_version", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", _TS, nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("events_until", _TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_playbook_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_playbook_team_id_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook")),
        sa.UniqueConstraint("key", name=op.f("uq_playbook_key")),
    )
    op.create_index(op.f("ix_playbook_team_id"), "playbook", ["team_id"], unique=False)
    op.create_table(
        "playbook_version",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column(
            "status",
            _enum("playbook_version_status", "draft", "published", "retired"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_playbook_version_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_version_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_version")),
        sa.UniqueConstraint(
            "playbook_id", "number", name=op.f("uq_playbook_version_playbook_id_number")
        ),
    )
    op.create_table(
        "playbook_match",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("since", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_playbook_match_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_match_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", "account_id", name=op.f("pk_playbook_match")),
    )
    op.create_table(
        "playbook_snooze",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_playbook_snooze_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_playbook_snooze_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_snooze_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", "account_id", name=op.f("pk_playbook_snooze")),
    )
    op.create_table(
        "playbook_run",
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("playbooks", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("tasks_created", sa.Integer(), nullable=False),
        sa.Column("stats", _JSON, nullable=False),
        sa.Column("errors", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_playbook_run_actor_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_run")),
    )
    op.create_index(
        op.f("ix_playbook_run_started_at"), "playbook_run", ["started_at"], unique=False
    )
    op.create_table(
        "playbook_firing",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("fired_at", _TS, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("why", _JSON, nullable=False),
        sa.Column("actions", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_playbook_firing_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_firing_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["playbook_run.id"],
            name=op.f("fk_playbook_firing_run_id_playbook_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_firing")),
    )
    op.create_index(
        op.f("ix_playbook_firing_account_id"), "playbook_firing", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_playbook_firing_event_id"), "playbook_firing", ["event_id"], unique=False
    )
    op.create_index(
        op.f("ix_playbook_firing_fired_at"), "playbook_firing", ["fired_at"], unique=False
    )
    op.create_index(
        "ix_playbook_firing_playbook_account",
        "playbook_firing",
        ["playbook_id", "account_id", "fired_at"],
        unique=False,
    )
    op.create_index(op.f("ix_playbook_firing_run_id"), "playbook_firing", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("playbook_firing")
    op.drop_table("playbook_run")
    op.drop_table("playbook_snooze")
    op.drop_table("playbook_match")
    op.drop_table("playbook_version")
    op.drop_index(op.f("ix_playbook_team_id"), table_name="playbook")
    op.drop_table("playbook")
