"""Keyset (cursor) pagination over any SELECT, sorted by one expression then by id.

Keyset paging is stable under concurrent inserts and costs the same on page 1 and 1,000,
which offset paging does not. Nullable sort columns must be wrapped in ``coalesce`` by the
caller so that comparisons stay total.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, SQLColumnExpression, and_, or_
from sqlalchemy.orm import Session

from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.pagination import Cursor, Page

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class SortField:
    """A sortable field: the SQL expression and how to read its cursor value back."""

    expression: SQLColumnExpression[Any]
    parse: Callable[[Any], Any] = lambda v: v
    value_of: Callable[[Any], Any] | None = None


def parse_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def parse_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def resolve_sort(sort: str, fields: Mapping[str, SortField]) -> tuple[str, SortField, bool]:
    """``"-mrr"`` → ("mrr", field, descending=True); names the parameter when unknown."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in fields:
        raise Invalid(
            FieldProblem(("query", "sort"), "invalid_sort", f"sort must be one of {sorted(fields)}")
        )
    return name, fields[name], descending


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            FieldProblem(("query", "limit"), "out_of_range", f"limit must be 1–{MAX_LIMIT}")
        )
    return limit


def keyset_page(
    session: Session,
    stmt: Select[Any],
    *,
    fields: Mapping[str, SortField],
    sort: str,
    id_column: SQLColumnExpression[Any],
    cursor: str | None,
    limit: int,
    to_item: Callable[[Any], T],
) -> Page[T]:
    """Run ``stmt`` one page at a time, ordered by the ``sort`` field (one of ``fields``,
    ``-name`` for descending) then by the UUID ``id_column``.

    The sort value and id are added to the row as ``sort_key`` and ``row_id``.
    """
    check_limit(limit)
    _, field, descending = resolve_sort(sort, fields)
    expr = field.expression
    stmt = stmt.add_columns(expr.label("sort_key"), id_column.label("row_id"))
    if cursor:
        position = Cursor.decode(cursor)
        value = field.parse(position.sort_value)
        try:
            last_id = uuid.UUID(position.last_id)
        except ValueError:
            raise Invalid(
                FieldProblem(("query", "cursor"), "invalid_cursor", "cursor is not valid")
            ) from None
        if descending:
            stmt = stmt.where(or_(expr < value, and_(expr == value, id_column < last_id)))
        else:
            stmt = stmt.where(or_(expr > value, and_(expr == value, id_column > last_id)))
    order = (expr.desc(), id_column.desc()) if descending else (expr.asc(), id_column.asc())
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = Cursor(_cursor_value(last.sort_key), str(last.row_id)).encode()
    return Page([to_item(row) for row in rows], next_cursor)


def _cursor_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
