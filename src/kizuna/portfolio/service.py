"""Portfolio: accounts with current MRR and renewal, filtered, sorted, paged, with totals."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, Subquery, func, literal, select
from sqlalchemy.orm import Session

from kizuna.account import repository as accounts
from kizuna.account.schemas import AccountFilters
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account
from kizuna.models.health import ChurnRisk, HealthScore
from kizuna.models.user import User

PER_PAGE = 50
SORTS = ("name", "-mrr", "mrr", "renewal", "-renewal", "-employee_count", "health", "-health")


class HealthFilters(BaseModel):
    """The Portfolio's health filters (kept apart from AccountFilters, which the accounts
    API shares): colour band, a drop of at least N points in 7 days, churn risk ≥ x %."""

    model_config = ConfigDict(extra="ignore")

    band: Literal["green", "yellow", "red", "unknown"] | None = None
    dropped: float | None = Field(default=None, gt=0, le=100, description="score fell ≥ N in 7 d")
    risk_min: float | None = Field(default=None, ge=0, le=100, description="churn risk ≥ % ")


@dataclass(frozen=True)
class PortfolioRow:
    account: Account
    mrr_amount: int
    next_renewal_on: date | None
    days_to_renewal: int | None
    csm_name: str
    health_score: float | None = None
    health_band: str | None = None  # None: not scored
    change_7d: float | None = None
    churn_probability: float | None = None


@dataclass(frozen=True)
class UserChoice:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class PortfolioPage:
    rows: list[PortfolioRow]
    total: int
    mrr_by_currency: dict[str, int]
    page: int
    pages: int
    sort: str
    owners: list[UserChoice]
    industries: list[str]
    regions: list[str]


def portfolio(
    session: Session,
    actor: Actor,
    filters: AccountFilters,
    *,
    sort: str = "-mrr",
    page: int = 1,
    health: HealthFilters | None = None,
    account_ids: Collection[uuid.UUID] | None = None,
) -> PortfolioPage:
    """``account_ids`` restricts the rows (a segment's members: the segment cut)."""
    actor.require(Permission.ACCOUNT_READ)
    if sort not in SORTS:
        raise Invalid(FieldProblem(("query", "sort"), "invalid_sort", f"sort must be in {SORTS}"))
    on = today(actor.timezone)
    stmt, r = _select(on, filters, health or HealthFilters())
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(list(account_ids)) if account_ids else literal(False))
    total, mrr = _totals(session, stmt)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    mrr_expr = func.coalesce(r.c.mrr_amount, literal(0))
    renewal_expr = func.coalesce(r.c.next_renewal_on, literal(date(9999, 12, 31)))
    orders: dict[str, list[Any]] = {
        "name": [Account.name.asc()],
        "mrr": [mrr_expr.asc()],
        "-mrr": [mrr_expr.desc()],
        "renewal": [renewal_expr.asc()],
        "-renewal": [r.c.next_renewal_on.desc().nulls_last()],
        "-employee_count": [func.coalesce(Account.employee_count, literal(-1)).desc()],
        "health": [HealthScore.score.is_(None), HealthScore.score.asc()],
        "-health": [HealthScore.score.is_(None), HealthScore.score.desc()],
    }
    order = orders[sort]
    rows = session.execute(
        stmt.order_by(*order, Account.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    owners = _owners(session)
    names = {o.id: o.name for o in owners}
    return PortfolioPage(
        rows=[
            PortfolioRow(
                account=row[0],
                mrr_amount=int(row.mrr_amount or 0),
                next_renewal_on=row.next_renewal_on,
                days_to_renewal=(row.next_renewal_on - on).days if row.next_renewal_on else None,
                csm_name=names.get(row[0].csm_owner_id, "") if row[0].csm_owner_id else "",
                health_score=row.health_score,
                health_band=row.health_band,
                change_7d=row.change_7d,
                churn_probability=row.churn_probability,
            )
            for row in rows
        ],
        total=total,
        mrr_by_currency=mrr,
        page=page,
        pages=pages,
        sort=sort,
        owners=owners,
        industries=accounts.distinct_values(session, Account.industry),
        regions=accounts.distinct_values(session, Account.region),
    )


def _select(
    on: date, filters: AccountFilters, health: HealthFilters
) -> tuple[Select[Any], Subquery]:
    """Accounts with MRR, next renewal, current health score and churn risk: one query
    (outer joins on the one-row-per-account health tables keep the page's query count)."""
    stmt, r = accounts.select_with_rollup(on)
    stmt = accounts.apply_filters(stmt, filters, r)
    stmt = (
        stmt.add_columns(
            HealthScore.score.label("health_score"),
            HealthScore.band.label("health_band"),
            HealthScore.change_7d.label("change_7d"),
            ChurnRisk.probability.label("churn_probability"),
        )
        .outerjoin(HealthScore, HealthScore.account_id == Account.id)
        .outerjoin(ChurnRisk, ChurnRisk.account_id == Account.id)
    )
    if health.band == "unknown":
        # Not scored at all counts as unknown too: the band says "we cannot tell".
        stmt = stmt.where(func.coalesce(HealthScore.band, literal("unknown")) == "unknown")
    elif health.band:
        stmt = stmt.where(HealthScore.band == health.band)
    if health.dropped is not None:
        stmt = stmt.where(HealthScore.change_7d <= -health.dropped)
    if health.risk_min is not None:
        stmt = stmt.where(ChurnRisk.probability >= health.risk_min / 100)
    return stmt, r


def _totals(session: Session, stmt: Select[Any]) -> tuple[int, dict[str, int]]:
    """Count of matching accounts and their MRR per currency (one pass)."""
    base = stmt.subquery()
    rows = session.execute(
        select(base.c.currency, func.count(), func.sum(base.c.mrr_amount)).group_by(base.c.currency)
    ).all()
    count = sum(int(n) for _currency, n, _total in rows)
    return count, {currency: int(total) for currency, _n, total in rows if total}


def _owners(session: Session) -> list[UserChoice]:
    rows = session.execute(select(User.id, User.name).order_by(User.name)).all()
    return [UserChoice(uid, name) for uid, name in rows]
