"""tasks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = kizuna.db.types.UTCDateTime(timezone=True)
_OPEN_PLAYBOOK_TASK = sa.text("status = 'open' AND playbook_id IS NOT NULL")

_KINDS_BEFORE = ("meeting", "call", "email", "inquiry", "note", "qbr", "training", "event")
_KINDS_AFTER = (*_KINDS_BEFORE, "proposal")


def _kind_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _set_activity_kinds(kinds: tuple[str, ...]) -> None:
    # The activity_kind CHECK constraint lists the allowed kinds; replace it (batch mode
    # recreates the table on SQLite, plain ALTERs on PostgreSQL).
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_activity_activity_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_activity_activity_kind"), _kind_check(kinds))


def upgrade() -> None:
    _set_activity_kinds(_KINDS_AFTER)

    op.create_table(
        "task",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("steps", _JSON, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "cancelled",
                name="task_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="task_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("playbook_id", sa.Uuid(), nullable=True),
        sa.Column("playbook_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("why", _JSON, nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("completed_at", _TS, nullable=True),
        sa.Column("completed_by_id", sa.Uuid(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_task_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_task_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user.id"],
            name=op.f("fk_task_assignee_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["user.id"],
            name=op.f("fk_task_completed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_task_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_task_playbook_id_playbook"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_task_team_id_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    op.create_index(op.f("ix_task_account_id"), "task", ["account_id"], unique=False)
    op.create_index(op.f("ix_task_assignee_id"), "task", ["assignee_id"], unique=False)
    op.create_index(op.f("ix_task_due_on"), "task", ["due_on"], unique=False)
    op.create_index(op.f("ix_task_playbook_id"), "task", ["playbook_id"], unique=False)
    op.create_index(op.f("ix_task_status"), "task", ["status"], unique=False)
    op.create_index(op.f("ix_task_team_id"), "task", ["team_id"], unique=False)
    op.create_index(
        "uq_task_open_playbook",
        "task",
        ["account_id", "playbook_id"],
        unique=True,
        sqlite_where=_OPEN_PLAYBOOK_TASK,
        postgresql_where=_OPEN_PLAYBOOK_TASK,
    )


def downgrade() -> None:
    op.drop_index("uq_task_open_playbook", table_name="task")
    op.drop_index(op.f("ix_task_team_id"), table_name="task")
    op.drop_index(op.f("ix_task_status"), table_name="task")
    op.drop_index(op.f("ix_task_playbook_id"), table_name="task")
    op.drop_index(op.f("ix_task_due_on"), table_name="task")
    op.drop_index(op.f("ix_task_assignee_id"), table_name="task")
    op.drop_index(op.f("ix_task_account_id"), table_name="task")
    op.drop_table("task")
    op.execute(sa.text("UPDATE activity SET kind = 'note' WHERE kind = 'proposal'"))
    _set_activity_kinds(_KINDS_BEFORE)
