"""Which group each entity falls in, for each cut. Pure: plain values in and out.

Groups use the account's attributes as they are now (tier, owner… have no history yet).
There is no segment field on accounts yet (issue 7 brings saved segments), so "segment"
is the company-size band from ``employee_count``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from kizuna.revenue.schemas import Cut

_EPOCH = date(1970, 1, 1).toordinal()
NONE_KEY = "none"  # the group of accounts without a value (no tier, no owner, …)
SEGMENTS = ("smb", "mid_market", "enterprise", "unknown")


def segment_of(employee_count: int | None) -> str:
    """SMB < 100 employees, mid-market 100–999, enterprise ≥ 1000, unknown when not given."""
    if employee_count is None:
        return "unknown"
    if employee_count < 100:
        return "smb"
    if employee_count < 1000:
        return "mid_market"
    return "enterprise"


@dataclass(frozen=True)
class AccountAttributes:
    """Per account (ledger index order) the values the cuts read."""

    tier: Sequence[str | None]
    employee_count: Sequence[int | None]
    industry: Sequence[str]
    owner: Sequence[str | None]
    owner_names: dict[str, str]
    product_codes: Sequence[str]
    product_names: Sequence[str]


@dataclass(frozen=True)
class Grouping:
    codes: npt.NDArray[np.intp]  # group of each entity
    keys: list[str]
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.keys)


def grouping(
    by: Cut,
    attrs: AccountAttributes,
    entity_account: npt.NDArray[np.int32],
    entity_product: npt.NDArray[np.int32] | None,
    first_start: npt.NDArray[np.int64],
) -> Grouping:
    """Group codes of every entity under ``by``, groups sorted by key (none last).

    Values are worked out once per account (or product, or month) and spread to the
    entities with numpy, so the cost does not grow with lines.
    """
    if by is Cut.PRODUCT:
        if entity_product is None:
            raise ValueError("the product cut needs account × product entities")
        names = dict(zip(attrs.product_codes, attrs.product_names, strict=True))
        return _group(list(attrs.product_codes), lambda k: f"{names[k]} ({k})", entity_product)
    if by is Cut.TIER:
        return _group(list(attrs.tier), str, entity_account)
    if by is Cut.SEGMENT:
        return _group([segment_of(n) for n in attrs.employee_count], str, entity_account)
    if by is Cut.INDUSTRY:
        return _group([i or None for i in attrs.industry], str, entity_account)
    if by is Cut.OWNER:  # keyed by the canonical user id, whatever the engine's text form
        grouped = _group(list(attrs.owner), lambda k: attrs.owner_names.get(k, k), entity_account)
        keys = [k if k == NONE_KEY else str(uuid.UUID(k)) for k in grouped.keys]
        return Grouping(grouped.codes, keys, grouped.labels)
    if by is Cut.COHORT:
        unix = (first_start - _EPOCH).astype("datetime64[D]").astype("datetime64[M]")
        months, pick = np.unique(unix, return_inverse=True)
        return _group([str(m) for m in months.tolist()], str, pick)
    raise ValueError(f"unknown cut {by!r}")


def _group(
    values: Sequence[str | None], label: Callable[[str], str], pick: npt.NDArray[np.integer]
) -> Grouping:
    """Groups of the entities whose value is ``values[pick[e]]``, keeping those present."""
    present = sorted({v for v in values if v is not None})
    keys = [*present, NONE_KEY]
    index = {k: i for i, k in enumerate(present)}
    base = np.fromiter(
        (len(present) if v is None else index[v] for v in values), np.intp, len(values)
    )
    used, codes = np.unique(base[pick], return_inverse=True)
    labels = [label(k) for k in present] + [""]
    return Grouping(
        codes.astype(np.intp).reshape(-1),
        [keys[u] for u in used.tolist()],
        [labels[u] for u in used.tolist()],
    )
