"""Account queries: filters and the current-MRR / next-renewal roll-up."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Select, Subquery, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from kizuna.account.schemas import AccountFilters
from kizuna.models.account import Account
from kizuna.models.subscription import Subscription


def rollup(on: date) -> Subquery:
    """Per account: MRR of the lines active on ``on`` and the earliest end among them.

    A line is active on d when start_on ≤ d < end_on (no end = open), see docs/metrics.md.
    """
    active = (Subscription.start_on <= on) & (
        Subscription.end_on.is_(None) | (Subscription.end_on > on)
    )
    return (
        select(
            Subscription.account_id.label("account_id"),
            # sum(bigint) is numeric on PostgreSQL; keep it an integer on every engine
            cast(func.sum(Subscription.mrr_amount), BigInteger).label("mrr_amount"),
            func.min(Subscription.end_on).label("next_renewal_on"),
        )
        .where(active)
        .group_by(Subscription.account_id)
        .subquery("rollup")
    )


def select_with_rollup(on: date) -> tuple[Select[Any], Subquery]:
    """``SELECT account, mrr_amount, next_renewal_on`` with accounts lacking lines at 0."""
    r = rollup(on)
    stmt = select(
        Account,
        func.coalesce(r.c.mrr_amount, literal(0)).label("mrr_amount"),
        r.c.next_renewal_on.label("next_renewal_on"),
    ).outerjoin(r, r.c.account_id == Account.id)
    return stmt, r


def apply_filters(stmt: Select[Any], filters: AccountFilters, r: Subquery) -> Select[Any]:
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(
                Account.name.ilike(like),
                Account.name_kana.ilike(like),
                Account.domain.ilike(like),
                Account.external_id.ilike(like),
            )
        )
    if filters.owner_id:
        owner = filters.owner_id
        stmt = stmt.where(
            or_(
                Account.csm_owner_id == owner,
                Account.sales_owner_id == owner,
                Account.ae_owner_id == owner,
                Account.support_owner_id == owner,
            )
        )
    for column, value in (
        (Account.csm_owner_id, filters.csm_owner_id),
        (Account.tier, filters.tier),
        (Account.phase, filters.phase),
        (Account.industry, filters.industry),
        (Account.region, filters.region),
        (Account.external_id, filters.external_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.active_only:
        stmt = stmt.where(r.c.mrr_amount > 0)
    return stmt


def totals(session: Session, filters: AccountFilters, on: date) -> tuple[int, dict[str, int]]:
    """Count of matching accounts and their MRR summed per currency (one pass)."""
    stmt, r = select_with_rollup(on)
    base = apply_filters(stmt, filters, r).subquery()
    rows = session.execute(
        select(base.c.currency, func.count(), func.sum(base.c.mrr_amount)).group_by(base.c.currency)
    ).all()
    count = sum(int(n) for _currency, n, _total in rows)
    return count, {currency: int(total) for currency, _n, total in rows if total}


def distinct_values(session: Session, column: Any) -> list[str]:
    rows = session.scalars(select(column).where(column != "").distinct().order_by(column))
    return [str(v) for v in rows if v]
