"""The models and the migrations describe the same schema, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

import kizuna.models  # noqa: F401
from kizuna.db.base import Base


def test_models_match_migrations(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


def test_every_table_is_migrated(connection: Connection) -> None:
    tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables
