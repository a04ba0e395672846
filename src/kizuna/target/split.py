"""Splitting a target into parts: integer arithmetic that always sums to the parent.

Pure: plain values in and out. Used for company → teams and team → members alike.

**Largest remainder (Hamilton).** Each part's exact quota is ``total × weight / Σ weights``
(a ``Fraction``, no rounding). Every part first gets the floor of its quota; the units
left over (fewer than the number of parts) go one each to the parts with the largest
fractional remainders. **Tie rule:** between equal remainders the part that comes first in
the given order wins (callers order teams by name and members by name, then e-mail, so
the result is stable and explainable). An even split is the special case of equal weights:
the parts differ by at most one minor unit and the first ones get the extra units.

**Overrides.** A part with an override keeps exactly that value; the others share what
is left (``total − Σ overrides``) by weight. When the overrides exceed the total, the
others get 0 and the *remainder* (``total − Σ parts``) is negative; when every part is
overridden (or every weight without an override is 0) it is whatever the overrides leave.
The remainder is shown next to the split editor and is 0 in every other case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Weight = Decimal | int | Fraction


@dataclass(frozen=True)
class Share:
    """One part to be split: its weight and, if set by hand, its fixed value."""

    weight: Weight = 1
    override: int | None = None


@dataclass(frozen=True)
class Allocation:
    parts: list[int]
    remainder: int  # total − Σ parts: 0 unless overrides do not add up (see module doc)


def largest_remainder(total: int, weights: Sequence[Weight]) -> list[int]:
    """``total`` split in proportion to ``weights`` (see the module doc for the rules).

    ``total`` must be ≥ 0 and every weight ≥ 0 with a positive sum (ValueError otherwise);
    parts are ≥ 0 and sum exactly to ``total``.
    """
    if total < 0:
        raise ValueError("total must not be negative")
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    if not exact:
        if total:
            raise ValueError("nothing to split into")
        return []
    whole = sum(exact, Fraction(0))
    if whole == 0:
        raise ValueError("weights must not all be zero")
    quotas = [total * w / whole for w in exact]
    parts = [q.numerator // q.denominator for q in quotas]
    left = total - sum(parts)
    # Largest fractional remainder first; ties to the earlier position (stable sort).
    order = sorted(range(len(parts)), key=lambda i: -(quotas[i] - parts[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


def even(total: int, count: int) -> list[int]:
    """``total`` in ``count`` parts differing by at most one, the first ones larger."""
    return largest_remainder(total, [1] * count)


def allocate(total: int, shares: Sequence[Share]) -> Allocation:
    """Overrides kept as they are, the rest shared by weight (see the module doc)."""
    if total < 0:
        raise ValueError("total must not be negative")
    if any(s.override is not None and s.override < 0 for s in shares):
        raise ValueError("overrides must not be negative")
    fixed = sum(s.override for s in shares if s.override is not None)
    free = [i for i, s in enumerate(shares) if s.override is None]
    parts = [s.override if s.override is not None else 0 for s in shares]
    left = total - fixed
    weights = [shares[i].weight for i in free]
    if left > 0 and free and sum(Fraction(w) for w in weights) > 0:
        for i, value in zip(free, largest_remainder(left, weights), strict=True):
            parts[i] = value
    return Allocation(parts=parts, remainder=total - sum(parts))
