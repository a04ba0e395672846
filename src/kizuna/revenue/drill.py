"""Drill-down: the accounts and lines behind one figure of a window."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.models.account import Account
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import User
from kizuna.revenue.ledger import Snapshot
from kizuna.revenue.movements import classify
from kizuna.revenue.repository import Book
from kizuna.revenue.schemas import Cut, DrillAccount, Drilldown, DrillLine, Figure, Movement

_MOVEMENT = {
    Figure.NEW: Movement.NEW,
    Figure.REACTIVATION: Movement.REACTIVATION,
    Figure.EXPANSION: Movement.EXPANSION,
    Figure.CONTRACTION: Movement.CONTRACTION,
    Figure.CHURNED: Movement.CHURN,
}


def amounts(snap: Snapshot, figure: Figure) -> npt.NDArray[np.int64]:
    """Each entity's part of ``figure`` (e.g. MRR on s for churned, b − a for expansion)."""
    a, b = snap.mrr[:, 0], snap.mrr[:, 1]
    if figure in (Figure.START, Figure.CHURNED):
        return a
    if figure is Figure.CONTRACTION:
        return a - b
    if figure is Figure.EXPANSION:
        return b - a
    return b


def select_entities(snap: Snapshot, figure: Figure) -> npt.NDArray[np.intp]:
    """Indexes of the entities counted in ``figure``."""
    on_s, on_e = snap.active[:, 0], snap.active[:, 1]
    if figure is Figure.START:
        return np.flatnonzero(on_s)
    if figure is Figure.END:
        return np.flatnonzero(on_e)
    if figure is Figure.RETAINED:
        return np.flatnonzero(on_s & on_e)
    kinds = np.array([k.value for k in classify(snap)], dtype=object)
    return np.flatnonzero(kinds == _MOVEMENT[figure].value)


def build(
    session: Session,
    book: Book,
    snap: Snapshot,
    chosen: npt.NDArray[np.intp],
    *,
    figure: Figure,
    by: Cut | None,
    group: str | None,
    currency: str,
    limit: int,
) -> Drilldown:
    """The largest ``limit`` entities of ``chosen`` with their accounts and lines."""
    part = amounts(snap, figure)[chosen]
    order = chosen[np.argsort(-part, kind="stable")][:limit]
    moves = classify(snap)
    start, end = snap.days[0], snap.days[1]
    ids = [uuid.UUID(book.accounts.ids[int(snap.account[e])]) for e in order]
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(ids)))}
    owners = {o for o in (a.csm_owner_id for a in accounts.values()) if o}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(owners))).all())
    lines = _lines(session, ids, start, end)
    rows = []
    for entity, account_id in zip(order.tolist(), ids, strict=True):
        account = accounts[account_id]
        code = book.products.codes[int(snap.product[entity])] if snap.product is not None else None
        rows.append(
            DrillAccount(
                id=account.id,
                product_code=code,
                name=account.name,
                tier=account.tier.value if account.tier else None,
                owner_id=account.csm_owner_id,
                owner_name=names.get(account.csm_owner_id, "") if account.csm_owner_id else "",
                start_mrr=int(snap.mrr[entity, 0]),
                end_mrr=int(snap.mrr[entity, 1]),
                movement=moves[entity],
                lines=[x for x in lines.get(account_id, []) if code in (None, x.product_code)],
            )
        )
    return Drilldown(
        figure=figure,
        start=start,
        end=end,
        currency=currency,
        by=by,
        group=group,
        count=int(chosen.size),
        total_mrr=int(part.sum()),
        accounts=rows,
    )


def _lines(
    session: Session, ids: list[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, list[DrillLine]]:
    """Lines of ``ids`` active on some day of [start, end] (on s, on e or in between)."""
    s = Subscription
    rows = session.execute(
        select(s, Product.code, Product.name)
        .join(Product, Product.id == s.product_id)
        .where(s.account_id.in_(ids), s.start_on <= end, s.end_on.is_(None) | (s.end_on > start))
        .order_by(s.account_id, Product.code, s.start_on)
    )
    result: dict[uuid.UUID, list[DrillLine]] = {}
    for line, code, name in rows:
        result.setdefault(line.account_id, []).append(
            DrillLine(
                id=line.id,
                product_code=code,
                product_name=name,
                start_on=line.start_on,
                end_on=line.end_on,
                mrr_amount=line.mrr_amount,
                currency=line.currency,
            )
        )
    return result
