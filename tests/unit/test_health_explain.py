"""The explanations, stored compactly and rendered column by column as JSON text, expand
to exactly the full documents a plain dict built per row gives (the form stored before),
and so do the history documents, on a random batch: missing values, imputed points, rows
with and without a week-earlier row, earlier rows lacking measures, ties among the
changes, the default scorecard's Japanese names. A document stored in full still reads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
import pytest

from kizuna.health.definition import Definition, default_definition
from kizuna.health.explain import (
    Prepared,
    Previous,
    expanded,
    explanation_documents,
    history_documents,
)
from kizuna.health.explain import prepare as prepare_columns
from kizuna.health.scoring import score_frame
from kizuna.health.signals.frame import SignalFrame

ROWS = 400


def loads(fragment: orjson.Fragment) -> Any:
    """The document a JSON column stores for ``fragment`` (its serializer is orjson)."""
    return orjson.loads(orjson.dumps(fragment))


def random_frame(definition: Definition, rng: np.random.Generator) -> SignalFrame:
    values, observed = {}, {}
    for m in definition.measures:
        column = rng.choice([0.0, 1.0, 2.5, 7.0, 12.345678, 90.0, 1e6], ROWS)
        column[rng.random(ROWS) < 0.2] = np.nan
        values[m.signal] = column * rng.choice([1.0, 0.01, 3.3], ROWS)
        days = np.datetime64("2026-11-23") - rng.integers(1, 400, ROWS)
        observed[m.signal] = np.where(np.isnan(column), np.datetime64("NaT"), days)
    return SignalFrame(
        account_ids=np.array([f"a{i}" for i in range(ROWS)], dtype=object),
        as_of=np.full(ROWS, np.datetime64("2026-11-23", "D")),
        values=values,
        observed_on={k: v.astype("datetime64[D]") for k, v in observed.items()},
    )


def random_previous(
    definition: Definition, prepared: Prepared, rng: np.random.Generator
) -> list[Previous | None]:
    out: list[Previous | None] = []
    for row in range(ROWS):
        if rng.random() < 0.2:
            out.append(None)
            continue
        measures: dict[str, Any] = {}
        for m in definition.measures:
            kind = rng.integers(0, 5)
            points = prepared.points[m.key][row]
            if kind == 0:
                continue  # the measure was added since
            if kind == 1:
                measures[m.key] = [prepared.values[m.key][row], points]  # unchanged
            elif kind == 2:
                measures[m.key] = [None, None]
            else:  # moved, by whole points (ties) or not; stored as int or float
                moved = float(rng.choice([-30, -10, 10, 30, 0.004, 12.5]))
                base = points if points is not None else 50.0
                measures[m.key] = [1.5, int(base + moved) if kind == 3 else base + moved]
        score = None if rng.random() < 0.1 else round(float(rng.random() * 100), 2)
        out.append((date(2026, 11, 16) - timedelta(days=int(rng.integers(0, 7))), score, measures))
    return out


def reference_history(definition: Definition, prepared: Prepared, row: int) -> dict[str, Any]:
    return {
        m.key: [prepared.values[m.key][row], prepared.points[m.key][row]]
        for m in definition.measures
    }


def reference_explanation(
    definition: Definition, prepared: Prepared, row: int, previous: Previous | None
) -> dict[str, Any]:
    """The explanation built as a dict per row (the earlier implementation)."""
    earlier = previous[2] if previous else None
    measures = []
    for m in definition.measures:
        value = prepared.values[m.key][row]
        points = prepared.points[m.key][row]
        before = (earlier or {}).get(m.key) or [None, None]
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
        "scorecard": "default",
        "version": 3,
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
        "previous_on": previous[0].isoformat() if previous else None,
        "previous_score": previous[1] if previous else None,
        "changes": changes,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_documents_equal_the_per_row_dicts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    definition = default_definition()
    frame = random_frame(definition, rng)
    prepared = prepare_columns(definition, frame, score_frame(definition, frame))
    previous = random_previous(definition, prepared, rng)
    history = history_documents(definition, prepared)
    explanations = explanation_documents(
        definition, prepared, scorecard="default", version=3, previous=previous
    )
    assert len(history) == len(explanations) == ROWS
    full = []
    for row in range(ROWS):
        assert loads(history[row]) == reference_history(definition, prepared, row)
        expected = reference_explanation(definition, prepared, row, previous[row])
        stored = loads(explanations[row])
        assert "name" not in str(stored)  # numbers only: names come from the definition
        got = expanded(stored, definition)
        assert got == expected
        assert list(got) == list(expected)  # same key order, too
        assert [list(m) for m in got["measures"]] == [list(m) for m in expected["measures"]]
        assert expanded(expected, definition) is expected  # stored in full: as it is
        full.append(got)
    # The batch exercises what it claims to.
    assert sum(len(e["changes"]) > 1 for e in full) > ROWS // 4
    assert any(m["imputed"] for e in full for m in e["measures"])
    assert any(e["previous_on"] is None for e in full)


def test_an_empty_batch_renders_nothing() -> None:
    definition = default_definition()
    frame = random_frame(definition, np.random.default_rng(0))
    empty = SignalFrame(
        account_ids=frame.account_ids[:0],
        as_of=frame.as_of[:0],
        values={k: v[:0] for k, v in frame.values.items()},
        observed_on={k: v[:0] for k, v in frame.observed_on.items()},
    )
    prepared = prepare_columns(definition, empty, score_frame(definition, empty))
    assert history_documents(definition, prepared) == []
    assert explanation_documents(definition, prepared, scorecard="s", version=1, previous=[]) == []
