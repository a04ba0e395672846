"""Books of business, capacity and re-balancing: arithmetic on plain values (no database).

A person's book is the accounts naming them in one owner field (``csm_owner`` by default).
Utilisation is accounts ÷ ``capacity`` (the user's ``capacity_accounts``; unknown when not
set). Re-balancing suggests moves from people over capacity to the least-utilised members
of the receiving team who still have room:

* the receiving team is the tier's owning team (coverage model) when that team fills this
  owner field (a customer-sales team fills ``sales_owner``…), else the giver's own team;
* the easiest accounts move first: Tier 3 before Tier 2 before Tier 1 (high-touch
  relationships are the last to be handed over), smaller MRR first;
* a receiver is never filled past capacity; people without a capacity neither give nor
  receive (nobody can say they are over or under).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TIER_ORDER = {"tier3": 0, None: 1, "tier2": 2, "tier1": 3}
BANDS = ("green", "yellow", "red", "unknown")


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    team_id: uuid.UUID | None
    team_name: str | None
    capacity: int | None
    active: bool = True


@dataclass(frozen=True)
class OwnedAccount:
    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    tier: str | None
    mrr: float  # reporting currency, major units (signal.mrr)
    band: str  # green / yellow / red / unknown


@dataclass
class Book:
    person: Person
    accounts: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    mrr: float = 0.0
    health: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))
    target_load: float | None = None  # Σ accounts of a tier ÷ that tier's target per person

    @property
    def utilisation(self) -> float | None:
        if not self.person.capacity:
            return None
        return self.accounts / self.person.capacity

    @property
    def over_capacity(self) -> bool:
        return self.person.capacity is not None and self.accounts > self.person.capacity

    @property
    def free(self) -> int | None:
        if self.person.capacity is None:
            return None
        return max(0, self.person.capacity - self.accounts)


@dataclass
class TeamTotal:
    team_id: uuid.UUID | None
    team_name: str | None
    people: int = 0
    accounts: int = 0
    capacity: int = 0  # of members with a capacity
    mrr: float = 0.0
    health: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))

    @property
    def utilisation(self) -> float | None:
        return self.accounts / self.capacity if self.capacity else None


def books(
    people: Sequence[Person],
    owned: Sequence[OwnedAccount],
    *,
    targets: Mapping[str, int | None] | None = None,
) -> list[Book]:
    """One book per person, in the order given."""
    by_id = {p.user_id: Book(p) for p in people}
    for account in owned:
        book = by_id.get(account.owner_id) if account.owner_id else None
        if book is None:
            continue
        book.accounts += 1
        tier = account.tier or "none"
        book.by_tier[tier] = book.by_tier.get(tier, 0) + 1
        book.mrr += account.mrr
        book.health[account.band if account.band in BANDS else "unknown"] += 1
    if targets:
        for book in by_id.values():
            loads = [n / t for tier, n in book.by_tier.items() if (t := targets.get(tier))]
            book.target_load = sum(loads) if loads else None
    return list(by_id.values())


def team_totals(all_books: Sequence[Book]) -> list[TeamTotal]:
    totals: dict[uuid.UUID | None, TeamTotal] = {}
    for book in all_books:
        p = book.person
        total = totals.setdefault(p.team_id, TeamTotal(p.team_id, p.team_name))
        total.people += 1
        total.accounts += book.accounts
        total.capacity += p.capacity or 0
        total.mrr += book.mrr
        for band, n in book.health.items():
            total.health[band] += n
    return sorted(totals.values(), key=lambda t: (t.team_name is None, t.team_name or ""))


@dataclass(frozen=True)
class Move:
    account_id: uuid.UUID
    account_name: str
    tier: str | None
    mrr: float
    from_user: uuid.UUID
    to_user: uuid.UUID


def rebalance(
    all_books: Sequence[Book],
    owned: Sequence[OwnedAccount],
    *,
    tier_teams: Mapping[str, uuid.UUID | None] | None = None,
) -> list[Move]:
    """Suggested moves that bring people over capacity down to it (see the module doc).

    ``tier_teams`` maps a tier to the team that should receive its accounts (only teams
    that fill the owner field being balanced; others are left out by the caller)."""
    load = {b.person.user_id: b.accounts for b in all_books}
    people = {b.person.user_id: b.person for b in all_books}
    by_team: dict[uuid.UUID, list[Person]] = {}
    for p in people.values():
        if p.team_id is not None and p.active and p.capacity is not None:
            by_team.setdefault(p.team_id, []).append(p)
    mine: dict[uuid.UUID, list[OwnedAccount]] = {}
    for account in owned:
        if account.owner_id in people:
            mine.setdefault(account.owner_id, []).append(account)
    moves: list[Move] = []
    givers = sorted(
        (b for b in all_books if b.over_capacity),
        key=lambda b: (-(b.utilisation or 0), b.person.name, str(b.person.user_id)),
    )
    for book in givers:
        giver = book.person
        assert giver.capacity is not None
        candidates = sorted(
            mine.get(giver.user_id, []),
            key=lambda a: (TIER_ORDER.get(a.tier, 1), a.mrr, a.name, str(a.account_id)),
        )
        for account in candidates:
            if load[giver.user_id] <= giver.capacity:
                break
            team = (tier_teams or {}).get(account.tier or "") or giver.team_id
            receivers = [
                p
                for p in (by_team.get(team, []) if team is not None else [])
                if p.user_id != giver.user_id
                and p.capacity is not None
                and load[p.user_id] < p.capacity
            ]
            if not receivers:
                continue
            to = min(
                receivers,
                key=lambda p: (load[p.user_id] / (p.capacity or 1), p.name, str(p.user_id)),
            )
            load[giver.user_id] -= 1
            load[to.user_id] += 1
            moves.append(
                Move(
                    account.account_id,
                    account.name,
                    account.tier,
                    account.mrr,
                    giver.user_id,
                    to.user_id,
                )
            )
    return moves
