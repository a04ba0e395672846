"""Scoring maths by hand: thresholds, linear both ways, weights, group weights,
contributions, bands, missing rules, coverage; definition errors naming the path."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import orjson
import pytest

from kizuna.health.definition import Definition, default_definition, validate_definition
from kizuna.health.explain import expanded, explanation_documents, history_documents, prepare
from kizuna.health.scoring import score_frame
from kizuna.health.signals.frame import SignalFrame
from kizuna.kit.errors import Invalid

NAN = float("nan")


def loads(fragment: orjson.Fragment) -> Any:
    """The document a JSON column stores for ``fragment``."""
    return orjson.loads(orjson.dumps(fragment))


def frame(**columns: list[float]) -> SignalFrame:
    rows = len(next(iter(columns.values())))
    return SignalFrame(
        account_ids=np.array([f"a{i}" for i in range(rows)], dtype=object),
        as_of=np.full(rows, np.datetime64("2026-11-23", "D")),
        values={k: np.array(v, dtype=np.float64) for k, v in columns.items()},
        observed_on={
            k: np.array(["NaT" if np.isnan(x) else "2026-11-20" for x in v], dtype="datetime64[D]")
            for k, v in columns.items()
        },
    )


def measure(
    key: str,
    group: str,
    signal: str,
    weight: float,
    scoring: dict[str, Any],
    missing: str = "exclude",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "group": group,
        "signal": signal,
        "weight": weight,
        "scoring": scoring,
        "missing": missing,
        **extra,
    }


STEPS = {"kind": "thresholds", "steps": [{"min": 10, "points": 50}, {"min": 20, "points": 100}]}


def definition(
    *measures: dict[str, Any], groups: list[dict[str, Any]] | None = None, min_coverage: float = 0.0
) -> Definition:
    return validate_definition(
        {
            "groups": groups or [{"key": "g", "name": "G", "weight": 1.0}],
            "measures": list(measures),
            "min_coverage": min_coverage,
        }
    )


def test_thresholds_take_the_highest_step_reached_and_zero_below_the_first() -> None:
    d = definition(measure("m", "g", "x", 1, STEPS))
    scored = score_frame(d, frame(x=[5, 10, 15, 20, 99]))
    assert scored.points["m"].tolist() == [0, 50, 50, 100, 100]
    assert scored.score.tolist() == [0, 50, 50, 100, 100]


@pytest.mark.parametrize(
    ("worst", "best", "values", "expected"),
    [
        (0, 10, [-5, 0, 2.5, 10, 20], [0, 0, 25, 100, 100]),
        (30, 0, [60, 30, 15, 0, -1], [0, 0, 50, 100, 100]),  # lower is better
    ],
)
def test_linear_scoring_is_clamped_in_both_directions(
    worst: float, best: float, values: list[float], expected: list[float]
) -> None:
    d = definition(measure("m", "g", "x", 1, {"kind": "linear", "worst": worst, "best": best}))
    assert score_frame(d, frame(x=values)).points["m"].tolist() == pytest.approx(expected)


def test_measure_and_group_weights_and_contributions_add_up() -> None:
    d = definition(
        measure("a", "g1", "x", 3, {"kind": "linear", "worst": 0, "best": 100}),
        measure("b", "g1", "y", 1, {"kind": "linear", "worst": 0, "best": 100}),
        measure("c", "g2", "z", 1, {"kind": "linear", "worst": 0, "best": 100}),
        groups=[{"key": "g1", "name": "1", "weight": 3}, {"key": "g2", "name": "2", "weight": 1}],
    )
    scored = score_frame(d, frame(x=[100], y=[0], z=[40]))
    # g1 = (3×100 + 1×0) / 4 = 75; g2 = 40; score = (3×75 + 1×40) / 4 = 66.25
    assert scored.group_scores["g1"][0] == pytest.approx(75)
    assert scored.group_scores["g2"][0] == pytest.approx(40)
    assert scored.score[0] == pytest.approx(66.25)
    contributions = {k: v[0] for k, v in scored.contributions.items()}
    assert contributions == pytest.approx({"a": 56.25, "b": 0.0, "c": 10.0})
    assert sum(contributions.values()) == pytest.approx(scored.score[0])


def test_bands_at_their_boundaries() -> None:
    d = definition(measure("m", "g", "x", 1, {"kind": "linear", "worst": 0, "best": 100}))
    scored = score_frame(d, frame(x=[39.99, 40, 69.99, 70, NAN]))
    assert scored.band.tolist() == ["red", "yellow", "yellow", "green", "unknown"]
    assert np.isnan(scored.score[4])


@pytest.mark.parametrize(
    ("missing", "extra", "expected_score"),
    [
        ("exclude", {}, 100.0),  # left out: the other measure alone
        ("zero", {}, 50.0),
        ("neutral", {}, 75.0),
        ("fixed", {"missing_points": 20}, 60.0),
    ],
)
def test_missing_rules(missing: str, extra: dict[str, Any], expected_score: float) -> None:
    d = definition(
        measure("a", "g", "x", 1, {"kind": "linear", "worst": 0, "best": 10}),
        measure("b", "g", "y", 1, {"kind": "linear", "worst": 0, "best": 10}, missing, **extra),
    )
    scored = score_frame(d, frame(x=[10], y=[NAN]))
    assert scored.score[0] == pytest.approx(expected_score)
    total = sum(v[0] for v in scored.contributions.values())
    assert total == pytest.approx(expected_score)


def test_a_group_without_data_is_left_out_and_its_weight_shared() -> None:
    d = definition(
        measure("a", "g1", "x", 1, {"kind": "linear", "worst": 0, "best": 10}),
        measure("b", "g2", "y", 1, {"kind": "linear", "worst": 0, "best": 10}),
        groups=[{"key": "g1", "name": "1", "weight": 1}, {"key": "g2", "name": "2", "weight": 3}],
    )
    scored = score_frame(d, frame(x=[8], y=[NAN]))
    assert np.isnan(scored.group_scores["g2"][0])
    assert scored.score[0] == pytest.approx(80)
    assert scored.shares["a"][0] == pytest.approx(1.0)


def test_min_coverage_counts_real_values_not_imputed_ones() -> None:
    d = definition(
        measure("a", "g", "x", 1, {"kind": "linear", "worst": 0, "best": 10}),
        measure("b", "g", "y", 3, {"kind": "linear", "worst": 0, "best": 10}, "zero"),
        min_coverage=0.5,
    )
    scored = score_frame(d, frame(x=[10, 10, NAN], y=[NAN, 5, 5]))
    assert scored.coverage.tolist() == pytest.approx([0.25, 1.0, 0.75])
    assert np.isnan(scored.score[0])  # only 25 % of the weight has data
    assert scored.band[0] == "unknown"
    assert scored.score[1] == pytest.approx(62.5)
    assert scored.score[2] == pytest.approx(50.0)  # a is excluded; b alone


def test_a_signal_the_frame_lacks_counts_as_missing() -> None:
    d = definition(
        measure("a", "g", "x", 1, {"kind": "linear", "worst": 0, "best": 10}),
        measure("b", "g", "absent", 1, STEPS, "neutral"),
    )
    assert score_frame(d, frame(x=[10])).score[0] == pytest.approx(75)


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        (
            lambda d: d["measures"][2]["scoring"]["steps"].reverse(),
            ("definition", "measures", 2, "scoring"),
        ),
        (lambda d: d["measures"][0].update(group="nope"), ("definition", "measures", 0, "group")),
        (lambda d: d["measures"][0].update(weight=-1), ("definition", "measures", 0, "weight")),
        (lambda d: d["groups"][0].update(weight=0), ("definition", "groups", 0, "weight")),
        (lambda d: d["measures"][0].update(missing="fixed"), ("definition", "measures", 0)),
        (
            lambda d: d["measures"][0].update(missing="maybe"),
            ("definition", "measures", 0, "missing"),
        ),
        (
            lambda d: d["measures"][0]["scoring"].update(best=d["measures"][0]["scoring"]["worst"]),
            ("definition", "measures", 0, "scoring"),
        ),
        (lambda d: d["bands"].update(red_below=80), ("definition", "bands")),
        (lambda d: d.update(min_coverage=1.5), ("definition", "min_coverage")),
        (
            lambda d: d["measures"][3]["scoring"]["steps"][0].update(points=101),
            ("definition", "measures", 3, "scoring", "steps", 0, "points"),
        ),
    ],
)
def test_definition_errors_name_the_path(patch: Any, path: tuple[Any, ...]) -> None:
    document = default_definition().model_dump()
    patch(document)
    with pytest.raises(Invalid) as caught:
        validate_definition(document)
    assert path in [p.loc for p in caught.value.problems]


def test_the_default_definition_is_dear() -> None:
    d = default_definition()
    assert [g.key for g in d.groups] == ["deployment", "engagement", "adoption", "roi"]
    assert 12 <= len(d.measures) <= 16
    assert all(m.name and m.name_en for m in d.measures)
    assert "usage:active_users:week" in d.columns()


def test_explanation_has_every_measure_and_what_changed() -> None:
    d = definition(
        measure("a", "g", "x", 1, {"kind": "linear", "worst": 0, "best": 10}),
        measure("b", "g", "y", 1, STEPS, "zero"),
    )
    f = frame(x=[6], y=[NAN])
    prepared = prepare(d, f, score_frame(d, f))
    assert loads(history_documents(d, prepared)[0]) == {"a": [6.0, 60.0], "b": [None, 0.0]}
    previous = (date(2026, 11, 16), 40.0, {"a": [8.0, 80.0], "b": [None, 0.0]})
    (document,) = explanation_documents(d, prepared, scorecard="s", version=2, previous=[previous])
    out = expanded(loads(document), d)
    assert (out["scorecard"], out["version"], out["previous_on"]) == ("s", 2, "2026-11-16")
    assert out["previous_score"] == 40.0
    a, b = out["measures"]
    assert (a["value"], a["points"], a["contribution"], a["observed_on"]) == (
        6.0,
        60.0,
        30.0,
        "2026-11-20",
    )
    assert (a["previous_value"], a["previous_points"]) == (8.0, 80.0)
    assert b["imputed"] is True
    assert b["observed_on"] is None
    assert out["changes"] == [{"key": "a", "delta": -20.0}]
