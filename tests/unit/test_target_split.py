"""Target split arithmetic: largest remainder, ties, overrides (examples and properties)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.target.split import Share, allocate, even, largest_remainder

# ------------------------------------------------------------------- worked examples


def test_even_split_gives_the_extra_units_to_the_first_parts() -> None:
    assert even(100, 3) == [34, 33, 33]
    assert even(10, 4) == [3, 3, 2, 2]
    assert even(5, 5) == [1, 1, 1, 1, 1]
    assert even(2, 5) == [1, 1, 0, 0, 0]


def test_weighted_split_by_headcount_as_seed_004_does() -> None:
    # ¥10,000,000 to three departments of 5, 3 and 2 people.
    assert largest_remainder(10_000_000, [5, 3, 2]) == [5_000_000, 3_000_000, 2_000_000]
    # A remainder goes to the largest fractional quota: 100 × 1/3, × 2/3 → 33.33, 66.67.
    assert largest_remainder(100, [1, 2]) == [33, 67]


def test_fte_weights_are_exact_decimals() -> None:
    # Two full-time people and one half-time: 2.5 FTE, ¥1,000 → 400, 400, 200.
    assert largest_remainder(1000, [Decimal(1), Decimal(1), Decimal("0.5")]) == [400, 400, 200]
    # 0.1 is not a binary fraction; Fraction(Decimal) keeps it exact: 1/3 each.
    assert largest_remainder(10, [Decimal("0.1")] * 3) == [4, 3, 3]


def test_tie_goes_to_the_earlier_position() -> None:
    # Quotas 2.5 / 2.5: one unit left, equal remainders → the first part.
    assert largest_remainder(5, [1, 1]) == [3, 2]
    # Quotas 2.1 and 4.9: the remainder 0.9 (last) beats 0.1 (first), not simply the first.
    assert largest_remainder(7, [Fraction(3, 10), Fraction(7, 10)]) == [2, 5]


def test_zero_weight_gets_nothing() -> None:
    assert largest_remainder(9, [0, 1, 2]) == [0, 3, 6]


def test_refusals() -> None:
    with pytest.raises(ValueError, match="negative"):
        largest_remainder(-1, [1])
    with pytest.raises(ValueError, match="negative"):
        largest_remainder(1, [1, -1])
    with pytest.raises(ValueError, match="zero"):
        largest_remainder(1, [0, 0])
    with pytest.raises(ValueError, match="nothing"):
        largest_remainder(1, [])
    assert largest_remainder(0, []) == []


def test_overrides_are_kept_and_the_rest_shared() -> None:
    result = allocate(100, [Share(1), Share(1, override=70), Share(2)])
    assert result.parts == [10, 70, 20]
    assert result.remainder == 0


def test_overrides_beyond_the_total_leave_a_negative_remainder() -> None:
    result = allocate(100, [Share(1, override=80), Share(1, override=70), Share(1)])
    assert result.parts == [80, 70, 0]
    assert result.remainder == -50


def test_all_overridden_shows_what_is_left() -> None:
    result = allocate(100, [Share(1, override=30), Share(1, override=30)])
    assert result.parts == [30, 30]
    assert result.remainder == 40


def test_all_weights_zero_leaves_the_whole_as_remainder() -> None:
    result = allocate(50, [Share(0), Share(0)])
    assert result.parts == [0, 0]
    assert result.remainder == 50


def test_no_parts() -> None:
    assert allocate(100, []).remainder == 100


# ------------------------------------------------------------------- properties

weights = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=100, places=4, allow_nan=False),
    ),
    min_size=1,
    max_size=30,
).filter(lambda ws: sum(Fraction(w) for w in ws) > 0)
totals = st.integers(min_value=0, max_value=10**15)


@given(totals, weights)
def test_parts_always_sum_to_the_parent_and_are_never_negative(
    total: int, ws: list[Decimal | int]
) -> None:
    parts = largest_remainder(total, ws)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert len(parts) == len(ws)


@given(totals, weights)
def test_each_part_is_its_quota_rounded_down_or_up(total: int, ws: list[Decimal | int]) -> None:
    whole = sum(Fraction(w) for w in ws)
    for part, w in zip(largest_remainder(total, ws), ws, strict=True):
        quota = total * Fraction(w) / whole
        assert quota - 1 < part < quota + 1


@given(totals, st.integers(min_value=1, max_value=200))
def test_even_split_differs_by_at_most_one(total: int, count: int) -> None:
    parts = even(total, count)
    assert sum(parts) == total
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)  # the extra units go to the first parts


@given(
    totals,
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=50),
            st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)),
        ),
        max_size=20,
    ),
)
def test_allocate_keeps_overrides_and_reports_the_remainder(
    total: int, raw: list[tuple[int, int | None]]
) -> None:
    shares = [Share(w, o) for w, o in raw]
    result = allocate(total, shares)
    assert all(p >= 0 for p in result.parts)
    assert sum(result.parts) + result.remainder == total
    for share, part in zip(shares, result.parts, strict=True):
        if share.override is not None:
            assert part == share.override
    fixed = sum(o for _, o in raw if o is not None)
    free_weight = sum(w for w, o in raw if o is None)
    if fixed <= total and free_weight > 0:
        assert result.remainder == 0  # whatever is free is fully shared
