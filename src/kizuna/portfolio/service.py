"""Portfolio: accounts with current MRR and renewal, filtered, sorted, paged, with totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from kizuna.account import repository as accounts
from kizuna.account.schemas import AccountFilters
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account
from kizuna.models.user import User

PER_PAGE = 50
SORTS = ("name", "-mrr", "mrr", "renewal", "-renewal", "-employee_count")


@dataclass(frozen=True)
class PortfolioRow:
    account: Account
    mrr_amount: int
    next_renewal_on: date | None
    days_to_renewal: int | None
    csm_name: str


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
    session: Session, actor: Actor, filters: AccountFilters, *, sort: str = "-mrr", page: int = 1
) -> PortfolioPage:
    actor.require(Permission.ACCOUNT_READ)
    if sort not in SORTS:
        raise Invalid(FieldProblem(("query", "sort"), "invalid_sort", f"sort must be in {SORTS}"))
    on = today(actor.timezone)
    total, mrr = accounts.totals(session, filters, on)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    stmt, r = accounts.select_with_rollup(on)
    stmt = accounts.apply_filters(stmt, filters, r)
    mrr_expr = func.coalesce(r.c.mrr_amount, literal(0))
    renewal_expr = func.coalesce(r.c.next_renewal_on, literal(date(9999, 12, 31)))
    order = {
        "name": [Account.name.asc()],
        "mrr": [mrr_expr.asc()],
        "-mrr": [mrr_expr.desc()],
        "renewal": [renewal_expr.asc()],
        "-renewal": [r.c.next_renewal_on.desc().nulls_last()],
        "-employee_count": [func.coalesce(Account.employee_count, literal(-1)).desc()],
    }[sort]
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


def _owners(session: Session) -> list[UserChoice]:
    rows = session.execute(select(User.id, User.name).order_by(User.name)).all()
    return [UserChoice(uid, name) for uid, name in rows]
