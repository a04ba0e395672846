"""Read contract lines, accounts and rates for revenue figures, as columns.

Every figure is recomputed from the lines as they are now (a back-dated edit changes the
past figures on the next read; nothing is cached). Lines are read column-wise with ids and
dates as text, which the database produces far faster than Python builds UUID and date
objects, and turned into numpy arrays (``ledger.Ledger``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, cast, event, func, literal, select
from sqlalchemy.orm import Session

from kizuna.models.account import Account
from kizuna.models.currency import CurrencyRate
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import User
from kizuna.revenue import sqlite_lines
from kizuna.revenue.ledger import Ledger
from kizuna.revenue.rates_table import RateTable

CHUNK = 100_000
_KEPT = "kizuna.revenue.book"  # session.info key: (transaction, through, Book)
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Accounts:
    """The accounts' attributes used for cuts, in ledger index order."""

    ids: list[str]  # as the database renders them as text (used to match lines)
    tier: list[str | None]
    employee_count: list[int | None]
    industry: list[str]
    owner: list[str | None]


@dataclass(frozen=True)
class Products:
    ids: list[str]
    codes: list[str]
    names: list[str]


@dataclass(frozen=True)
class Book:
    """Everything a revenue figure is computed from."""

    accounts: Accounts
    products: Products
    ledger: Ledger
    rates: RateTable
    owner_names: dict[str, str]


def load_book(
    session: Session, *, through: date, accounts: Collection[uuid.UUID] | None = None
) -> Book:
    """Lines starting on or before ``through`` (later ones cannot change any figure up to
    it), of every account or of ``accounts`` only.

    The book of every account is kept for the rest of the transaction and reused by the
    next calls that need no later lines (a dashboard asks for several figures at once);
    any flush in the session forgets it, so a figure never misses a change.
    """
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if accounts is None and kept is not None and kept[0] is transaction and through <= kept[1]:
        book: Book = kept[2]
        return book
    book = _read_book(session, through, accounts)
    if accounts is None and transaction is not None:
        session.info[_KEPT] = (transaction, through, book)
    return book


@event.listens_for(Session, "after_flush")
def _forget_book(session: Session, _context: object) -> None:
    """A write may have changed lines, accounts or rates: the kept book is stale."""
    session.info.pop(_KEPT, None)


def _read_book(session: Session, through: date, accounts: Collection[uuid.UUID] | None) -> Book:
    acc = _accounts(session, accounts)
    prod = _products(session)
    rates, owners = load_rates(session), _owner_names(session)
    if accounts is None and session.get_bind().dialect.name == "sqlite":
        fast = sqlite_lines.read(session, through)
        if fast is not None:
            return Book(acc, prod, _ledger_of(fast, acc, prod), rates, owners)
    index = {a: i for i, a in enumerate(acc.ids)}
    product_index = {p: i for i, p in enumerate(prod.ids)}
    columns: list[list[object]] = [[], [], [], [], [], []]
    for chunk in _line_chunks(session, through, accounts):
        for column, values in zip(columns, zip(*chunk, strict=True), strict=True):
            column.extend(values)
    account_col, product_col, start_col, end_col, amount_col, currency_col = columns
    ledger = Ledger.build(
        account=np.fromiter((index[str(a)] for a in account_col), np.int32, len(account_col)),
        product=np.fromiter(
            (product_index[str(p)] for p in product_col), np.int32, len(product_col)
        ),
        currency=[str(c) for c in currency_col],
        start=_ordinals(start_col),
        end=_ordinals(end_col),
        amount=np.fromiter((int(str(v)) for v in amount_col), np.int64, len(amount_col)),
        n_accounts=len(acc.ids),
        n_products=len(prod.ids),
    )
    return Book(acc, prod, ledger, rates, owners)


def _ledger_of(columns: sqlite_lines.Columns, acc: Accounts, prod: Products) -> Ledger:
    """The ledger from fixed-width columns: ids looked up by binary search."""
    currency_codes, currency = np.unique(columns.currency, return_inverse=True)
    return Ledger.build(
        account=_positions(acc.ids, columns.account),
        product=_positions(prod.ids, columns.product),
        currency=currency.astype(np.int32),
        currencies=[c.decode("ascii") for c in currency_codes.tolist()],
        start=columns.start,
        end=columns.end,
        amount=columns.amount,
        n_accounts=len(acc.ids),
        n_products=len(prod.ids),
    )


def _positions(ids: list[str], wanted: npt.NDArray[np.bytes_]) -> npt.NDArray[np.int32]:
    """Index in ``ids`` of every value of ``wanted`` (every one is there: foreign keys)."""
    keys = np.array(ids, dtype="S32")
    order = np.argsort(keys)
    found = np.searchsorted(keys[order], wanted)
    return order[np.minimum(found, len(ids) - 1)].astype(np.int32)


def load_rates(session: Session) -> RateTable:
    rows = session.execute(
        select(CurrencyRate.currency, CurrencyRate.valid_from, CurrencyRate.rate)
    )
    return RateTable.of(rows)


def _ordinals(texts: Sequence[object]) -> npt.NDArray[np.int64]:
    days = np.array(texts, dtype="datetime64[D]").astype(np.int64)
    return days + _EPOCH


def _accounts(session: Session, only: Collection[uuid.UUID] | None) -> Accounts:
    if only is None and session.get_bind().dialect.name == "sqlite":
        columns = sqlite_lines.read_accounts(session)
        if columns is not None:
            ids, tiers, employees, industries, owners = columns
            return Accounts(
                ids=ids,
                tier=[t or None for t in tiers],
                employee_count=[int(n) if n else None for n in employees],
                industry=industries,
                owner=[o or None for o in owners],
            )
    stmt = select(
        cast(Account.id, String),
        cast(Account.tier, String),  # the stored code, without building enum members
        Account.employee_count,
        Account.industry,
        cast(Account.csm_owner_id, String),
    )
    if only is not None:
        stmt = stmt.where(Account.id.in_(list(only)))
    rows = session.connection().execute(stmt).all()  # Core rows: no ORM bookkeeping
    return Accounts(
        ids=[r[0] for r in rows],
        tier=[r[1] for r in rows],
        employee_count=[r[2] for r in rows],
        industry=[r[3] for r in rows],
        owner=[r[4] for r in rows],
    )


def _products(session: Session) -> Products:
    rows = session.execute(
        select(cast(Product.id, String), Product.code, Product.name).order_by(Product.code)
    )
    ids, codes, names = [], [], []
    for pid, code, name in rows:
        ids.append(pid)
        codes.append(code)
        names.append(name)
    return Products(ids, codes, names)


def _owner_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(cast(User.id, String), User.name)).all())


def _line_chunks(
    session: Session, through: date, only: Collection[uuid.UUID] | None
) -> Iterator[Sequence[tuple[object, ...]]]:
    s = Subscription
    stmt = select(
        cast(s.account_id, String),
        cast(s.product_id, String),
        cast(s.start_on, String),
        cast(func.coalesce(s.end_on, literal(date.max)), String),
        s.mrr_amount,
        s.currency,
    ).where(s.start_on <= through)
    if only is not None:
        stmt = stmt.where(s.account_id.in_(list(only)))
    result = session.execute(stmt.execution_options(yield_per=CHUNK))
    yield from result.partitions()
