"""Activity queries: the list select (with the author's name) and its filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from kizuna.activity.schemas import ActivityFilters
from kizuna.models.activity import Activity
from kizuna.models.user import User


def select_activities() -> Select[Any]:
    """``SELECT activity, author_name`` with participants eager-loaded."""
    return (
        select(Activity)
        .add_columns(User.name.label("author_name"))
        .outerjoin(User, User.id == Activity.author_id)
        .options(selectinload(Activity.users), selectinload(Activity.contacts))
    )


def apply_filters(stmt: Select[Any], filters: ActivityFilters) -> Select[Any]:
    for column, value in (
        (Activity.account_id, filters.account_id),
        (Activity.kind, filters.kind),
        (Activity.author_id, filters.author_id),
        (Activity.inquiry_status, filters.inquiry_status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.is_pre_sale is not None:
        stmt = stmt.where(Activity.is_pre_sale.is_(filters.is_pre_sale))
    if filters.occurred_from is not None:
        stmt = stmt.where(Activity.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        stmt = stmt.where(Activity.occurred_at < filters.occurred_to)
    return stmt
