"""The explanation stored with each score: every measure's value, points, weight,
contribution, data freshness, and what it was a week earlier.

**Stored compactly, read in full.** A rescore writes ~9 k explanations of 15–20 measures.
Written in full (a dict per measure with its names, group, signal and weight) that was
~45 MB of JSON: ~0.9 s to build and encode in Python and ~1.3 s for PostgreSQL to take as
``jsonb``. ``health_score.explanation`` therefore keeps, per account, only the numbers —
one list per column in the definition's order (``"form": 2``) — and ``expanded`` rebuilds
the full document from them and the scorecard version's definition, which never changes
once published; the API and the pages read it through ``expanded`` (older rows, written
in full, pass through unchanged). Both stored documents (the explanation and the history
row's ``measures``) are rendered as JSON text column by column: each column is encoded
once with orjson and its items are spliced between constant text. The text goes into the
JSON columns as an ``orjson.Fragment``, which the engines' JSON serializer
(``db.session._json_text``, orjson) writes unchanged
(``tests/unit/test_health_explain.py`` checks the round trip against the full document
built per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from kizuna.health.definition import Definition
from kizuna.health.scoring import Scored
from kizuna.health.signals.frame import SignalFrame

# (day, score, measures) of the history row a week earlier, as ``snapshots.previous_rows``.
Previous = tuple[date, float | None, dict[str, Any]]


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


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _items(column: Sequence[Any]) -> list[str]:
    """Each item of a column of numbers, booleans, None or commaless text, as JSON text.
    One orjson call per column, split at its commas (no item contains one)."""
    if not column:
        return []
    return _json(list(column))[1:-1].split(",")


class _Rows:
    """JSON text rows put together from constant text and columns of JSON items: per row,
    one join of the constants and that row's items, whatever the number of measures."""

    def __init__(self) -> None:
        self.constants: list[str] = [""]  # one more than columns: around and between them
        self.columns: list[list[str]] = []

    def text(self, constant: str) -> None:
        self.constants[-1] += constant

    def items(self, column: list[str]) -> None:
        self.columns.append(column)
        self.constants.append("")

    def fragments(self) -> list[orjson.Fragment]:
        parts = [""] * (len(self.constants) + len(self.columns))
        parts[0::2] = self.constants
        out = []
        for row in zip(*self.columns, strict=True):
            parts[1::2] = row
            out.append(orjson.Fragment("".join(parts)))
        return out


def history_documents(definition: Definition, prepared: Prepared) -> list[orjson.Fragment]:
    """Per row ``{measure_key: [value, points]}``: the compact form kept in the history
    table."""
    rows = _Rows()
    for n, m in enumerate(definition.measures):
        rows.text(("{" if n == 0 else "],") + _json(m.key) + ":[")
        rows.items(_items(prepared.values[m.key]))
        rows.text(",")
        rows.items(_items(prepared.points[m.key]))
    rows.text("]}")
    return rows.fragments()


COMPACT = 2  # ``"form"`` of the stored explanation (a full document has none)


def explanation_documents(
    definition: Definition,
    prepared: Prepared,
    *,
    scorecard: str,
    version: int,
    previous: Sequence[Previous | None],
) -> list[orjson.Fragment]:
    """Each row's explanation in its stored form (``expanded`` gives the full one).
    ``previous[row]`` is the history row from a week earlier (None when there is none):
    its day, score and each measure's ``[value, points]``, kept as they were stored."""
    rows = _Rows()
    rows.text(
        f'{{"form":{COMPACT},"scorecard":{_json(scorecard)},"version":{_json(version)},"coverage":'
    )
    rows.items(_items(prepared.coverage))
    _add_lists(rows, "groups", [prepared.groups[g.key] for g in definition.groups])
    for name, columns in (
        ("values", prepared.values),
        ("points", prepared.points),
        ("shares", prepared.shares),
        ("contributions", prepared.contributions),
        ("observed_on", prepared.observed),
    ):
        _add_lists(rows, name, [columns[m.key] for m in definition.measures])
    rows.text(',"previous_on":')
    rows.items(_items([p[0].isoformat() if p else None for p in previous]))
    rows.text(',"previous_score":')
    rows.items(_items([p[1] if p else None for p in previous]))
    rows.text(',"previous":')
    rows.items([_previous_pairs(definition, p[2]) if p else "null" for p in previous])
    rows.text("}")
    return rows.fragments()


def _add_lists(rows: _Rows, name: str, columns: list[list[Any]]) -> None:
    """``"name":[a, b, …]`` per row, item k from ``columns[k]``."""
    for n, column in enumerate(columns):
        rows.text(f',"{name}":[' if n == 0 else ",")
        rows.items(_items(column))
    rows.text("]")


def _previous_pairs(definition: Definition, measures: dict[str, Any] | None) -> str:
    """Each measure's ``[value, points]`` a week earlier, in the definition's order."""
    found = measures or {}
    return _json([found.get(m.key) or [None, None] for m in definition.measures])


def expanded(explanation: dict[str, Any], definition: Definition) -> dict[str, Any]:
    """The full explanation of a stored one (``definition``: its scorecard version's):
    scorecard, version, coverage, groups (key, names, weight, score), measures (key,
    names, group, signal, value, points, imputed, weight, share, contribution,
    observed_on, previous value and points), the day and score a week earlier, and
    ``changes``: the measures whose points moved since then, largest first. A document
    stored in full (before the compact form) is returned as it is."""
    if explanation.get("form") != COMPACT:
        return explanation
    previous = explanation.get("previous") or [[None, None]] * len(definition.measures)
    measures = [
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
            "share": share,
            "contribution": contribution,
            "observed_on": observed,
            "previous_value": before[0],
            "previous_points": before[1],
        }
        for m, value, points, share, contribution, observed, before in zip(
            definition.measures,
            explanation["values"],
            explanation["points"],
            explanation["shares"],
            explanation["contributions"],
            explanation["observed_on"],
            previous,
            strict=True,
        )
    ]
    groups = [
        {"key": g.key, "name": g.name, "name_en": g.name_en, "weight": g.weight, "score": score}
        for g, score in zip(definition.groups, explanation["groups"], strict=True)
    ]
    return {
        "scorecard": explanation["scorecard"],
        "version": explanation["version"],
        "coverage": explanation["coverage"],
        "groups": groups,
        "measures": measures,
        "previous_on": explanation["previous_on"],
        "previous_score": explanation["previous_score"],
        "changes": _changes(measures),
    }


def _changes(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The measures whose points moved by ≥ 0.01 since a week earlier, largest first
    (ties in the definition's order)."""
    return sorted(
        (
            {"key": e["key"], "delta": round(e["points"] - e["previous_points"], 2)}
            for e in measures
            if e["points"] is not None
            and e["previous_points"] is not None
            and abs(e["points"] - e["previous_points"]) >= 0.01
        ),
        key=lambda c: -abs(c["delta"]),
    )
