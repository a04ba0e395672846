"""Reading lines: SQLite's fixed-width fast path gives exactly what the portable query gives."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.auth.actor import Actor
from kizuna.models.enums import Tier
from kizuna.revenue import repository, service

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_fast_and_portable_reads_agree(session: Session) -> None:
    base, option = make_product(session), make_product(session)
    accounts = [make_account(session) for _ in range(3)] + [make_account(session, currency="USD")]
    make_line(session, accounts[0], base, mrr=10**15, start=date(2024, 2, 29))
    make_line(session, accounts[0], option, mrr=0, start=date(2024, 1, 1), end=date(2025, 1, 1))
    make_line(
        session, accounts[1], base, mrr=12_345, start=date(2023, 12, 31), end=date(2026, 3, 1)
    )
    make_line(session, accounts[2], option, mrr=7, start=date(2027, 1, 1))  # after `through`
    make_line(session, accounts[3], base, mrr=999, start=date(2025, 6, 1), currency="USD")
    accounts[1].tier = Tier.TIER2
    accounts[1].employee_count = 250
    accounts[1].industry = "製造業"
    session.flush()
    through = date(2026, 12, 31)
    fast = repository.load_book(session, through=through)
    portable = repository.load_book(session, through=through, accounts=[a.id for a in accounts])
    assert _lines(fast) == _lines(portable)
    assert len(_lines(fast)) == 4
    assert _accounts(fast) == _accounts(portable)
    assert (accounts[1].id.hex, "tier2", 250, "製造業", None) in _accounts(fast)
    assert fast.ledger.amount.max() == 10**15


def _lines(book: repository.Book) -> set[tuple[object, ...]]:
    ledger = book.ledger
    return {
        (
            book.accounts.ids[int(ledger.account[k])],
            book.products.ids[int(ledger.product[k])],
            int(ledger.start[k]),
            int(ledger.end[k]),
            int(ledger.amount[k]),
            ledger.currencies[int(ledger.currency[k])],
        )
        for k in range(len(ledger))
    }


def _accounts(book: repository.Book) -> set[tuple[object, ...]]:
    a = book.accounts
    return set(zip(a.ids, a.tier, a.employee_count, a.industry, a.owner, strict=True))


def test_the_book_is_kept_for_the_transaction_until_a_write(session: Session) -> None:
    product, account = make_product(session), make_account(session)
    make_line(session, account, product, mrr=1_000, start=date(2025, 1, 1))
    first = repository.load_book(session, through=date(2026, 1, 1))
    assert repository.load_book(session, through=date(2025, 6, 1)) is first
    assert repository.load_book(session, through=date(2026, 2, 1)) is not first
    window = {"start": date(2025, 12, 1), "end": date(2026, 1, 1)}
    before = service.window_report(session, Actor.system(), **window).figures
    make_line(session, account, product, mrr=500, start=date(2025, 12, 10))  # flushes
    after = service.window_report(session, Actor.system(), **window).figures
    assert (before.end_mrr, after.end_mrr) == (1_000, 1_500)
    assert after.expansion_mrr == 500
