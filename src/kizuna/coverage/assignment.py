"""Choosing owners: the strategies of assignment rules, on plain values (no database).

* ``fixed_user`` — always the rule's user (capacity is not checked: naming one person is a
  deliberate choice), provided that user is active.
* ``round_robin`` — the team's active members in a fixed order (name, then id); the next one
  after the rule's pointer who still has room takes the account. Members without a capacity
  always have room. The pointer is stored on the rule, so the next run continues after the
  last person who got an account.
* ``least_loaded`` — the member with room holding the fewest accounts in that owner field;
  ties go to the lower utilisation, then the name.

"Room" means fewer accounts in the rule's owner field than ``capacity_accounts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    name: str
    capacity: int | None


def has_room(member: Member, load: Mapping[uuid.UUID, int]) -> bool:
    return member.capacity is None or load.get(member.user_id, 0) < member.capacity


def ordered(members: Sequence[Member]) -> list[Member]:
    return sorted(members, key=lambda m: (m.name, str(m.user_id)))


def next_round_robin(
    members: Sequence[Member], pointer: uuid.UUID | None, load: Mapping[uuid.UUID, int]
) -> Member | None:
    """The first member after ``pointer`` (wrapping around) with room; ``None`` when the
    whole team is full. A pointer to someone no longer in the team starts from the top."""
    ring = ordered(members)
    if not ring:
        return None
    ids = [m.user_id for m in ring]
    start = ids.index(pointer) + 1 if pointer in ids else 0
    for step in range(len(ring)):
        member = ring[(start + step) % len(ring)]
        if has_room(member, load):
            return member
    return None


def least_loaded(members: Sequence[Member], load: Mapping[uuid.UUID, int]) -> Member | None:
    roomy = [m for m in members if has_room(m, load)]
    if not roomy:
        return None
    return min(
        roomy,
        key=lambda m: (
            load.get(m.user_id, 0),
            load.get(m.user_id, 0) / m.capacity if m.capacity else 0.0,
            m.name,
            str(m.user_id),
        ),
    )
