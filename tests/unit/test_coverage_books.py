"""Books of business, capacity, re-balancing and owner-picking arithmetic (plain values)."""

from __future__ import annotations

import uuid

import pytest

from kizuna.coverage import assignment, books
from kizuna.coverage.assignment import Member
from kizuna.coverage.books import OwnedAccount, Person

TEAM, OTHER = uuid.uuid4(), uuid.uuid4()


def person(name: str, capacity: int | None, team: uuid.UUID | None = TEAM) -> Person:
    return Person(uuid.uuid4(), name, f"{name}@x", "csm", team, "T", capacity)


def owned(owner: Person | None, n: int, *, tier: str | None = "tier3", mrr: float = 1.0,
          band: str = "green", prefix: str = "a") -> list[OwnedAccount]:  # fmt: skip
    return [
        OwnedAccount(
            uuid.uuid4(), f"{prefix}{k:02}", owner.user_id if owner else None, tier, mrr, band
        )
        for k in range(n)
    ]


def test_books_count_tiers_mrr_health_and_utilisation() -> None:
    ann = person("Ann", 4)
    accounts = (
        owned(ann, 2, tier="tier1", mrr=100.0, band="red")
        + owned(ann, 3, tier="tier3", mrr=10.0)
        + owned(None, 7)
    )
    (book,) = books.books([ann], accounts, targets={"tier1": 2, "tier3": 30})
    assert (book.accounts, book.by_tier, book.mrr) == (5, {"tier1": 2, "tier3": 3}, 230.0)
    assert book.health == {"green": 3, "yellow": 0, "red": 2, "unknown": 0}
    assert book.utilisation == 1.25
    assert book.over_capacity
    assert book.free == 0
    assert book.target_load == pytest.approx(2 / 2 + 3 / 30)


def test_unknown_capacity_is_neither_over_nor_under() -> None:
    (book,) = books.books([person("Nobody", None)], [])
    assert (book.utilisation, book.over_capacity, book.free) == (None, False, None)


def test_team_totals_add_up() -> None:
    a, b, c = person("A", 10), person("B", None), person("C", 5, team=OTHER)
    all_books = books.books([a, b, c], owned(a, 12) + owned(b, 3) + owned(c, 1))
    totals = {t.team_id: t for t in books.team_totals(all_books)}
    assert (totals[TEAM].people, totals[TEAM].accounts, totals[TEAM].capacity) == (2, 15, 10)
    assert totals[TEAM].utilisation == 1.5
    assert totals[OTHER].utilisation == 0.2


def test_rebalance_moves_the_excess_to_the_least_utilised_with_room() -> None:
    giver, half, nearly = person("Giver", 3), person("Half", 10), person("Nearly", 4)
    accounts = (
        owned(giver, 1, tier="tier1", mrr=5, prefix="t1-")
        + owned(giver, 2, tier="tier2", mrr=50, prefix="t2-")
        + owned(giver, 3, tier="tier3", mrr=500, prefix="t3-")
        + owned(half, 5)
        + owned(nearly, 3)
    )
    all_books = books.books([giver, half, nearly], accounts)
    moves = books.rebalance(all_books, accounts)
    # 6 held, capacity 3: three move, Tier 3 first (whatever their MRR), Tier 1 stays.
    assert [m.account_name for m in moves] == ["t3-00", "t3-01", "t3-02"]
    # Half is at 5/10, Nearly at 3/4; Half stays the less utilised (6/10, 7/10 < 3/4).
    assert {m.to_user for m in moves} == {half.user_id}


def test_rebalance_respects_receivers_capacity_and_teams() -> None:
    giver, small = person("Giver", 1), person("Small", 2)
    stranger = person("Stranger", 100, team=OTHER)
    accounts = owned(giver, 5) + owned(small, 1)
    all_books = books.books([giver, small, stranger], accounts)
    moves = books.rebalance(all_books, accounts)
    assert len(moves) == 1  # Small has room for one; the other team is not asked
    # The tier's owning team receives when it fills this field.
    moves = books.rebalance(all_books, accounts, tier_teams={"tier3": OTHER})
    assert len(moves) == 4
    assert {m.to_user for m in moves} == {stranger.user_id}


def test_people_without_capacity_neither_give_nor_take() -> None:
    unknown, roomy = person("Unknown", None), person("Roomy", None)
    accounts = owned(unknown, 50)
    assert books.rebalance(books.books([unknown, roomy], accounts), accounts) == []


MEMBERS = [Member(uuid.uuid4(), n, c) for n, c in (("Cho", None), ("Abe", 1), ("Bando", 2))]
ABE, BANDO, CHO = sorted(MEMBERS, key=lambda m: m.name)


def test_round_robin_order_wraps_and_skips_full_members() -> None:
    load: dict[uuid.UUID, int] = {}
    assert assignment.next_round_robin(MEMBERS, None, load) == ABE
    assert assignment.next_round_robin(MEMBERS, ABE.user_id, load) == BANDO
    assert assignment.next_round_robin(MEMBERS, CHO.user_id, load) == ABE  # wraps
    load[ABE.user_id] = 1  # full
    assert assignment.next_round_robin(MEMBERS, CHO.user_id, load) == BANDO
    assert assignment.next_round_robin(MEMBERS, uuid.uuid4(), load) == BANDO  # unknown pointer
    load[BANDO.user_id] = 2
    assert assignment.next_round_robin(MEMBERS, None, load) == CHO  # no capacity: always room
    assert assignment.next_round_robin(MEMBERS[1:], None, load) is None
    assert assignment.next_round_robin([], None, load) is None


def test_least_loaded_by_count_then_utilisation_then_name() -> None:
    load = {ABE.user_id: 0, BANDO.user_id: 0, CHO.user_id: 0}
    assert assignment.least_loaded(MEMBERS, load) == ABE  # all empty: by name
    load = {ABE.user_id: 0, BANDO.user_id: 1, CHO.user_id: 1}
    assert assignment.least_loaded(MEMBERS, load) == ABE
    load = {ABE.user_id: 1, BANDO.user_id: 1, CHO.user_id: 1}
    assert assignment.least_loaded(MEMBERS, load) == CHO  # Abe full; Cho 0 % < Bando 50 %
    assert assignment.least_loaded([ABE], {ABE.user_id: 1}) is None
