"""playbook match sets: one row per playbook instead of one per playbook × account

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import kizuna.db.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = kizuna.db.types.UTCDateTime(timezone=True)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def upgrade() -> None:
    match_set = op.create_table(
        "playbook_match_set",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("accounts", sa.LargeBinary(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_match_set_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", name=op.f("pk_playbook_match_set")),
    )
    old = sa.table(
        "playbook_match", sa.column("playbook_id", sa.Uuid()), sa.column("account_id", sa.Uuid())
    )
    grouped: dict[uuid.UUID, list[bytes]] = defaultdict(list)
    for playbook_id, account_id in op.get_bind().execute(
        sa.select(old.c.playbook_id, old.c.account_id)
    ):
        grouped[_uuid(playbook_id)].append(_uuid(account_id).bytes)
    now = datetime.now(UTC)
    if grouped:
        op.bulk_insert(
            match_set,
            [
                {"playbook_id": k, "accounts": b"".join(v), "count": len(v), "updated_at": now}
                for k, v in grouped.items()
            ],
        )
    op.drop_table("playbook_match")


def downgrade() -> None:
    match = op.create_table(
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
    sets = sa.table(
        "playbook_match_set",
        sa.column("playbook_id", sa.Uuid()),
        sa.column("accounts", sa.LargeBinary()),
    )
    account = sa.table("account", sa.column("id", sa.Uuid()))
    bind = op.get_bind()
    existing = {_uuid(i) for i in bind.execute(sa.select(account.c.id)).scalars()}
    now = datetime.now(UTC)
    rows = []
    for playbook_id, blob in bind.execute(sa.select(sets.c.playbook_id, sets.c.accounts)):
        raw = bytes(blob)
        for i in range(0, len(raw), 16):
            account_id = uuid.UUID(bytes=raw[i : i + 16])
            if account_id in existing:  # a set may still name a deleted account
                rows.append(
                    {"playbook_id": _uuid(playbook_id), "account_id": account_id, "since": now}
                )
    if rows:
        op.bulk_insert(match, rows)
    op.drop_table("playbook_match_set")
