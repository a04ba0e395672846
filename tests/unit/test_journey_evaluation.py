"""The journey's vectorised core on plain arrays: advancing through phases, and the checks
of many accounts at once agreeing with ``facts.conditions.explain``."""

from __future__ import annotations

import numpy as np

from kizuna.journey.evaluation import NO_PHASE, advance


def test_an_account_leaves_a_phase_only_when_its_required_steps_are_complete() -> None:
    current = np.array([0, 0, 1, NO_PHASE], dtype=np.int64)
    complete = np.array(
        [[True, False, False], [False, True, True], [True, True, False], [True, True, True]]
    )
    new, moved = advance(current, complete, current != NO_PHASE)
    assert new.tolist() == [1, 0, 2, NO_PHASE]
    assert moved.tolist() == [1, 0, 1, 0]


def test_several_phases_in_one_evaluation_but_never_past_the_last() -> None:
    current = np.array([0, 1, 2], dtype=np.int64)
    complete = np.ones((3, 3), dtype=bool)
    new, moved = advance(current, complete, np.ones(3, dtype=bool))
    assert new.tolist() == [2, 2, 2]
    assert moved.tolist() == [2, 1, 0]


def test_accounts_not_movable_stay() -> None:
    current = np.array([0, 0], dtype=np.int64)
    complete = np.ones((2, 3), dtype=bool)
    new, moved = advance(current, complete, np.array([True, False]))
    assert new.tolist() == [2, 0]
    assert moved.tolist() == [2, 0]
