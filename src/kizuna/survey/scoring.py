"""NPS and CSAT arithmetic. Pure: no database, unit-tested on plain values.

Results are Decimals rounded half-up to one decimal place, never floats; an empty set of
answers has no score (None), which is not the same as a score of 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from kizuna.models.enums import SurveyKind

SCORE_RANGES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
}
_ONE_PLACE = Decimal("0.1")


class NpsCategory(StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def in_range(kind: SurveyKind, score: int) -> bool:
    low, high = SCORE_RANGES[kind]
    return low <= score <= high


def nps_category(score: int) -> NpsCategory:
    """9–10 promoter, 7–8 passive, 0–6 detractor."""
    if not in_range(SurveyKind.NPS, score):
        raise ValueError(f"NPS score must be 0–10, got {score}")
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE_PLACE, rounding=ROUND_HALF_UP)


def nps(scores: Iterable[int]) -> Decimal | None:
    """% promoters − % detractors, from −100 to 100; None without answers."""
    categories = [nps_category(s) for s in scores]
    if not categories:
        return None
    promoters = categories.count(NpsCategory.PROMOTER)
    detractors = categories.count(NpsCategory.DETRACTOR)
    return _percent(promoters - detractors, len(categories))


def csat_percent(scores: Iterable[int]) -> Decimal | None:
    """Share of satisfied answers (4 or 5 of 1–5) in percent; None without answers."""
    values = list(scores)
    for score in values:
        if not in_range(SurveyKind.CSAT, score):
            raise ValueError(f"CSAT score must be 1–5, got {score}")
    if not values:
        return None
    return _percent(sum(1 for s in values if s >= 4), len(values))
