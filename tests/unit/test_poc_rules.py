"""Pure rules of the PoC status flow and criterion keys."""

from __future__ import annotations

from kizuna.models.poc import PocStatus
from kizuna.poc import rules


def test_next_statuses_in_flow_order() -> None:
    assert rules.next_statuses(PocStatus.PLANNED) == [PocStatus.RUNNING, PocStatus.CANCELLED]
    assert rules.next_statuses(PocStatus.EVALUATING) == [PocStatus.DECIDED, PocStatus.CANCELLED]
    assert rules.next_statuses(PocStatus.DECIDED) == []
    assert rules.next_statuses(PocStatus.CANCELLED) == []


def test_cancel_from_every_open_state_only() -> None:
    can_cancel = {s for s in PocStatus if rules.allowed(s, PocStatus.CANCELLED)}
    assert can_cancel == set(rules.OPEN)


def test_criterion_keys_never_clash() -> None:
    assert rules.criterion_keys([], 2) == ["c1", "c2"]
    assert rules.criterion_keys(["c1", "c3"], 3) == ["c2", "c4", "c5"]
    assert rules.criterion_keys(["c1"], 0) == []
