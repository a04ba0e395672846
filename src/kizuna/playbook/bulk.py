"""Inserting many rows at once (tasks, firings, matches): the import engine's writer — one
driver ``executemany`` (``COPY`` on PostgreSQL) with values converted by SQLAlchemy's own
bind processors, column by column. The ORM's bulk insert converted every value of every
row through the unit of work and was most of a first evaluation's time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import FromClause, Table
from sqlalchemy.orm import Session

from kizuna.importing.write import BulkInsert

CHUNK = 10_000


def insert_rows(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (every row giving the same columns) in the session's transaction."""
    if not rows:
        return
    if not isinstance(table, Table):
        raise TypeError(f"not a table: {table!r}")
    session.flush()
    columns = tuple(rows[0])
    connection = session.connection()
    writer = BulkInsert(connection.dialect, table, columns, {})
    for start in range(0, len(rows), CHUNK):
        writer.execute(connection, writer.params(list(rows[start : start + CHUNK])))
