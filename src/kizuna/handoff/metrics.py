"""Hand-off measures: time to accept, completeness at submission, returns. Pure.

Computed over plain rows so the definitions are unit-tested without a database:

- time to accept (first): ``accepted_at - first_submitted_at``; (last):
  ``accepted_at - submitted_at`` (the submission that was accepted); in hours;
- median time to accept: the median of the first-submission times of accepted hand-offs;
- average completeness: the mean of ``completeness_at_submission`` of submitted ones
  (submitted, returned or accepted);
- share returned: submitted ones returned at least once ÷ submitted ones.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kizuna.kit.clock import ensure_utc


@dataclass(frozen=True)
class Row:
    sales_owner_id: uuid.UUID | None
    status: str
    completeness_at_submission: int | None
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    returns_count: int


@dataclass(frozen=True)
class Figures:
    count: int  # hand-offs in the population (any status)
    submitted: int  # submitted at least once
    accepted: int
    waiting: int  # submitted and not yet decided
    returned_once: int  # submitted ones returned at least once
    median_hours_to_accept: float | None  # first submission → accepted
    median_hours_to_accept_last: float | None  # last submission → accepted
    average_completeness: float | None  # at submission, percent
    share_returned: float | None  # 0–1


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (ensure_utc(end) - ensure_utc(start)).total_seconds() / 3600


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def figures(rows: Iterable[Row]) -> Figures:
    rows = list(rows)
    submitted = [r for r in rows if r.first_submitted_at is not None]
    accepted = [r for r in submitted if r.accepted_at is not None]
    first = [hours_between(r.first_submitted_at, r.accepted_at) for r in accepted]
    last = [hours_between(r.submitted_at, r.accepted_at) for r in accepted]
    scores = [r.completeness_at_submission for r in submitted]
    known = [s for s in scores if s is not None]
    returned = sum(1 for r in submitted if r.returns_count > 0)
    return Figures(
        count=len(rows),
        submitted=len(submitted),
        accepted=len(accepted),
        waiting=sum(1 for r in submitted if r.status == "submitted"),
        returned_once=returned,
        median_hours_to_accept=_median([h for h in first if h is not None]),
        median_hours_to_accept_last=_median([h for h in last if h is not None]),
        average_completeness=(sum(known) / len(known)) if known else None,
        share_returned=(returned / len(submitted)) if submitted else None,
    )


def by_owner(rows: Iterable[Row]) -> dict[uuid.UUID | None, Figures]:
    groups: dict[uuid.UUID | None, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.sales_owner_id, []).append(row)
    return {owner: figures(group) for owner, group in groups.items()}
