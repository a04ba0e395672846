"""NPS and CSAT arithmetic on plain values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kizuna.survey.scoring import NpsCategory, csat_percent, nps, nps_category


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, NpsCategory.DETRACTOR),
        (6, NpsCategory.DETRACTOR),
        (7, NpsCategory.PASSIVE),
        (8, NpsCategory.PASSIVE),
        (9, NpsCategory.PROMOTER),
        (10, NpsCategory.PROMOTER),
    ],
)
def test_nps_category_boundaries(score: int, category: NpsCategory) -> None:
    assert nps_category(score) is category


@pytest.mark.parametrize("score", [-1, 11])
def test_nps_category_rejects_out_of_range(score: int) -> None:
    with pytest.raises(ValueError, match="0–10"):
        nps_category(score)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9, 8, 7, 6, 0], Decimal("0.0")),
        ([10, 10, 10], Decimal("100.0")),
        ([0, 3, 6], Decimal("-100.0")),
        ([10, 8, 8], Decimal("33.3")),
        ([10, 10, 8], Decimal("66.7")),  # half up to one place
        ([7, 8], Decimal("0.0")),
    ],
)
def test_nps(scores: list[int], expected: Decimal) -> None:
    assert nps(scores) == expected


def test_nps_without_answers_is_none_not_zero() -> None:
    assert nps([]) is None
    assert csat_percent([]) is None


def test_nps_accepts_any_iterable() -> None:
    assert nps(iter([9, 10])) == Decimal(100)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([5, 4, 3], Decimal("66.7")),
        ([5, 5], Decimal("100.0")),
        ([1, 2, 3], Decimal("0.0")),
        ([4, 3, 3, 3], Decimal("25.0")),
    ],
)
def test_csat_percent(scores: list[int], expected: Decimal) -> None:
    assert csat_percent(scores) == expected


@pytest.mark.parametrize("score", [0, 6])
def test_csat_rejects_out_of_range(score: int) -> None:
    with pytest.raises(ValueError, match="1–5"):
        csat_percent([3, score])
