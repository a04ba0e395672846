"""Scoring a signal frame with a definition, vectorised over rows (numpy, no database).

For one row:

* a measure's **points** come from its scoring (thresholds or linear) applied to its
  signal's value; a missing value gets the measure's missing rule (``exclude`` leaves the
  measure out, ``zero``/``neutral``/``fixed`` give 0/50/fixed points);
* a **group score** is the weighted mean of its measures' points over those with points;
* the **score** is the weighted mean of the group scores over the groups with a score;
* a measure's **contribution** is its points × its effective share of the weight (its
  group's share among groups with a score × its share within the group), so the
  contributions add up to the score;
* **coverage** is the nominal weight share of the measures whose signal has a value (an
  imputed value is not data); below ``min_coverage`` the row has no score, band ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kizuna.health.definition import Definition, Linear, MeasureDef, Thresholds
from kizuna.health.signals.frame import SignalFrame

Floats = npt.NDArray[np.float64]
BANDS = ("green", "yellow", "red", "unknown")


@dataclass(frozen=True)
class Scored:
    score: Floats  # 0–100, NaN = unscorable
    band: npt.NDArray[np.object_]  # green|yellow|red|unknown
    points: dict[str, Floats]  # per measure, after the missing rule; NaN = left out
    group_scores: dict[str, Floats]  # NaN = the group has no measure with points
    contributions: dict[str, Floats]  # per measure; NaN where the row has no score
    shares: dict[str, Floats]  # per measure: effective weight share (0–1) in the row
    coverage: Floats  # 0–1


def measure_points(measure: MeasureDef, values: Floats) -> Floats:
    """Points 0–100 for each value (NaN where the value is NaN), before the missing rule."""
    scoring = measure.scoring
    if isinstance(scoring, Thresholds):
        mins = np.array([s.min for s in scoring.steps], dtype=np.float64)
        points = np.array([s.points for s in scoring.steps], dtype=np.float64)
        index = np.searchsorted(mins, np.nan_to_num(values, nan=-np.inf), side="right") - 1
        result = np.where(index >= 0, points[np.clip(index, 0, None)], 0.0)
    else:
        assert isinstance(scoring, Linear)
        result = np.clip((values - scoring.worst) / (scoring.best - scoring.worst), 0.0, 1.0)
        result = result * 100.0
    return np.where(np.isnan(values), np.nan, result).astype(np.float64)


def score_frame(definition: Definition, frame: SignalFrame) -> Scored:
    rows = len(frame)
    nan = np.full(rows, np.nan)
    points: dict[str, Floats] = {}
    observed: dict[str, npt.NDArray[np.bool_]] = {}
    for measure in definition.measures:
        values = frame.values.get(measure.signal, nan).astype(np.float64)
        raw = measure_points(measure, values)
        fill = measure.points_when_missing()
        points[measure.key] = raw if fill is None else np.where(np.isnan(raw), fill, raw)
        observed[measure.key] = ~np.isnan(values)

    group_scores: dict[str, Floats] = {}
    within: dict[str, Floats] = {}  # measure's share inside its group, per row
    coverage = np.zeros(rows)
    total_group_weight = sum(g.weight for g in definition.groups)
    for group in definition.groups:
        members = [m for m in definition.measures if m.group == group.key]
        nominal = sum(m.weight for m in members)
        weight_with_points = np.zeros(rows)
        weighted = np.zeros(rows)
        for m in members:
            has = ~np.isnan(points[m.key])
            weight_with_points += np.where(has, m.weight, 0.0)
            weighted += np.where(has, m.weight * np.nan_to_num(points[m.key]), 0.0)
            if nominal > 0:
                share = group.weight / total_group_weight * m.weight / nominal
                coverage += np.where(observed[m.key], share, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            group_scores[group.key] = np.where(
                weight_with_points > 0, weighted / weight_with_points, np.nan
            )
            for m in members:
                has = ~np.isnan(points[m.key])
                within[m.key] = np.where(
                    has & (weight_with_points > 0), m.weight / weight_with_points, 0.0
                )

    weight_sum = np.zeros(rows)
    weighted_sum = np.zeros(rows)
    for group in definition.groups:
        has = ~np.isnan(group_scores[group.key])
        weight_sum += np.where(has, group.weight, 0.0)
        weighted_sum += np.where(has, group.weight * np.nan_to_num(group_scores[group.key]), 0.0)
    scorable = (weight_sum > 0) & (coverage >= definition.min_coverage - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(scorable, weighted_sum / weight_sum, np.nan)

    shares: dict[str, Floats] = {}
    contributions: dict[str, Floats] = {}
    for measure in definition.measures:
        group = definition.group(measure.group)
        has_group = ~np.isnan(group_scores[group.key])
        with np.errstate(invalid="ignore", divide="ignore"):
            group_share = np.where(has_group & (weight_sum > 0), group.weight / weight_sum, 0.0)
        shares[measure.key] = group_share * within[measure.key]
        contributions[measure.key] = np.where(
            scorable, np.nan_to_num(points[measure.key]) * shares[measure.key], np.nan
        )
    return Scored(
        score=score,
        band=bands_of(score, definition),
        points=points,
        group_scores=group_scores,
        contributions=contributions,
        shares=shares,
        coverage=coverage,
    )


def bands_of(score: Floats, definition: Definition) -> npt.NDArray[np.object_]:
    bands = definition.bands
    filled = np.nan_to_num(score, nan=-1.0)
    band = np.where(
        filled >= bands.green_from, "green", np.where(filled >= bands.red_below, "yellow", "red")
    ).astype(object)
    band[np.isnan(score)] = "unknown"
    return band
