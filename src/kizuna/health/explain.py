"""The explanation stored with each score: every measure's value, points, weight,
contribution, data freshness, and what it was a week earlier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from kizuna.health.definition import Definition
from kizuna.health.scoring import Scored
from kizuna.health.signals.frame import SignalFrame


def _plain(values: npt.NDArray[np.float64], digits: int) -> list[float | None]:
    """Rounded Python floats, None for NaN (one vectorised pass: rows × measures is big)."""
    return [None if x != x else x for x in np.round(values, digits).tolist()]


def _days(values: npt.NDArray[np.datetime64] | None, rows: int) -> list[str | None]:
    if values is None:
        return [None] * rows
    return [None if d == "NaT" else d for d in values.astype("datetime64[D]").astype(str).tolist()]


@dataclass(frozen=True)
class Prepared:
    """Each measure's columns as Python lists, computed once for all rows of a batch."""

    values: dict[str, list[float | None]]
    points: dict[str, list[float | None]]
    shares: dict[str, list[float | None]]
    contributions: dict[str, list[float | None]]
    observed: dict[str, list[str | None]]
    groups: dict[str, list[float | None]]
    coverage: list[float | None]


def prepare(definition: Definition, frame: SignalFrame, scored: Scored) -> Prepared:
    rows = len(frame)
    missing = np.full(rows, np.nan)
    return Prepared(
        values={m.key: _plain(frame.values.get(m.signal, missing), 4) for m in definition.measures},
        points={m.key: _plain(scored.points[m.key], 2) for m in definition.measures},
        shares={m.key: _plain(scored.shares[m.key], 4) for m in definition.measures},
        contributions={m.key: _plain(scored.contributions[m.key], 2) for m in definition.measures},
        observed={m.key: _days(frame.observed_on.get(m.signal), rows) for m in definition.measures},
        groups={g.key: _plain(scored.group_scores[g.key], 2) for g in definition.groups},
        coverage=_plain(scored.coverage, 4),
    )


def history_measures(
    definition: Definition, prepared: Prepared, row: int
) -> dict[str, list[float | None]]:
    """``{measure_key: [value, points]}``: the compact form kept in the history table."""
    return {
        m.key: [prepared.values[m.key][row], prepared.points[m.key][row]]
        for m in definition.measures
    }


def explanation(
    definition: Definition,
    prepared: Prepared,
    row: int,
    *,
    previous: dict[str, Any] | None,
    previous_on: date | None,
    previous_score: float | None,
) -> dict[str, Any]:
    """One row's explanation. ``previous`` is the history row's ``measures`` from a week
    earlier (None when there is none): each measure then carries its earlier value and
    points, and ``changes`` lists the measures whose points moved, largest first."""
    measures = []
    for m in definition.measures:
        value = prepared.values[m.key][row]
        points = prepared.points[m.key][row]
        before = (previous or {}).get(m.key) or [None, None]
        measures.append(
            {
                "key": m.key,
                "name": m.name,
                "name_en": m.name_en,
                "group": m.group,
                "signal": m.signal,
                "value": value,
                "points": points,
                "imputed": value is None and points is not None,
                "weight": m.weight,
                "share": prepared.shares[m.key][row],
                "contribution": prepared.contributions[m.key][row],
                "observed_on": prepared.observed[m.key][row],
                "previous_value": before[0],
                "previous_points": before[1],
            }
        )
    changes = sorted(
        (
            {"key": e["key"], "delta": round(e["points"] - e["previous_points"], 2)}
            for e in measures
            if e["points"] is not None
            and e["previous_points"] is not None
            and abs(e["points"] - e["previous_points"]) >= 0.01
        ),
        key=lambda c: -abs(c["delta"]),
    )
    return {
        "coverage": prepared.coverage[row],
        "groups": [
            {
                "key": g.key,
                "name": g.name,
                "name_en": g.name_en,
                "weight": g.weight,
                "score": prepared.groups[g.key][row],
            }
            for g in definition.groups
        ],
        "measures": measures,
        "previous_on": previous_on.isoformat() if previous_on else None,
        "previous_score": previous_score,
        "changes": changes,
    }
