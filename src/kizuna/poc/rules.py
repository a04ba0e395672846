"""Pure rules of the PoC status flow.

planned → running → evaluating → decided; cancelled from any open state (planned,
running, evaluating). Decided and cancelled are final. Moving to decided needs a decision
(adopt / extend / stop) and a note.
"""

from __future__ import annotations

from kizuna.models.poc import PocStatus

OPEN = frozenset({PocStatus.PLANNED, PocStatus.RUNNING, PocStatus.EVALUATING})
FINAL = frozenset({PocStatus.DECIDED, PocStatus.CANCELLED})

TRANSITIONS: dict[PocStatus, frozenset[PocStatus]] = {
    PocStatus.PLANNED: frozenset({PocStatus.RUNNING, PocStatus.CANCELLED}),
    PocStatus.RUNNING: frozenset({PocStatus.EVALUATING, PocStatus.CANCELLED}),
    PocStatus.EVALUATING: frozenset({PocStatus.DECIDED, PocStatus.CANCELLED}),
    PocStatus.DECIDED: frozenset(),
    PocStatus.CANCELLED: frozenset(),
}


def allowed(current: PocStatus, target: PocStatus) -> bool:
    return target in TRANSITIONS[current]


def next_statuses(current: PocStatus) -> list[PocStatus]:
    """Where a PoC in ``current`` may go, in flow order."""
    return [s for s in PocStatus if s in TRANSITIONS[current]]


def criterion_keys(existing: list[str], count: int) -> list[str]:
    """``count`` new keys (c1, c2, …) that clash with none of ``existing``."""
    used = set(existing)
    keys: list[str] = []
    n = 1
    while len(keys) < count:
        key = f"c{n}"
        if key not in used:
            keys.append(key)
            used.add(key)
        n += 1
    return keys
