"""A scorecard's definition: groups, measures (signal + scoring + weight + missing rule),
colour bands and the coverage rule. Pure (no database); the service checks each measure's
signal against the catalogue.

The document is stored as JSON in ``health_scorecard_version.definition`` and exchanged as
YAML; ``validate_definition`` turns any problem into ``Invalid`` naming the field path
(``definition.measures.3.scoring.steps.1.min``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kizuna.kit.errors import FieldProblem, Invalid

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MissingRule = Literal["exclude", "zero", "neutral", "fixed"]
NEUTRAL_POINTS = 50.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class GroupDef(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    weight: float = Field(gt=0, le=1000)


class Step(_Strict):
    min: float
    points: float = Field(ge=0, le=100)


class Thresholds(_Strict):
    """A value ≥ a step's ``min`` earns that step's points (the highest such step);
    below the first step earns 0."""

    kind: Literal["thresholds"] = "thresholds"
    steps: list[Step] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _ascending(self) -> Thresholds:
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if after.min <= before.min:
                raise ValueError("steps must be strictly ascending by min")
        return self


class Linear(_Strict):
    """``worst`` → 0 points, ``best`` → 100, straight line between, clamped outside.
    ``worst > best`` means lower is better (e.g. days since the last touch)."""

    kind: Literal["linear"] = "linear"
    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.worst == self.best:
            raise ValueError("worst and best must differ")
        return self


Scoring = Annotated[Thresholds | Linear, Field(discriminator="kind")]


class MeasureDef(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    group: str
    signal: str = Field(min_length=1, max_length=200)
    weight: float = Field(ge=0, le=1000)
    scoring: Scoring
    missing: MissingRule = "exclude"
    missing_points: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _fixed_points(self) -> MeasureDef:
        if self.missing == "fixed" and self.missing_points is None:
            raise ValueError("missing_points is required when missing is 'fixed'")
        return self

    def points_when_missing(self) -> float | None:
        """Points given when the signal has no value (None: the measure is left out)."""
        if self.missing == "zero":
            return 0.0
        if self.missing == "neutral":
            return NEUTRAL_POINTS
        if self.missing == "fixed":
            return self.missing_points
        return None


class Bands(_Strict):
    """red < ``red_below`` ≤ yellow < ``green_from`` ≤ green."""

    red_below: float = Field(default=40.0, ge=0, le=100)
    green_from: float = Field(default=70.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.red_below > self.green_from:
            raise ValueError("red_below must not be above green_from")
        return self


class Definition(_Strict):
    groups: list[GroupDef] = Field(min_length=1, max_length=20)
    measures: list[MeasureDef] = Field(min_length=1, max_length=100)
    bands: Bands = Field(default_factory=Bands)
    # Share of the total weight whose measures must have a value, else no score ("unknown").
    min_coverage: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        group_keys = [g.key for g in self.groups]
        if len(set(group_keys)) != len(group_keys):
            raise ValueError("group keys must be unique")
        measure_keys = [m.key for m in self.measures]
        if len(set(measure_keys)) != len(measure_keys):
            raise ValueError("measure keys must be unique")
        return self

    def columns(self) -> list[str]:
        """The signal keys the definition reads, each once, in measure order."""
        return list(dict.fromkeys(m.signal for m in self.measures))

    def group(self, key: str) -> GroupDef:
        return next(g for g in self.groups if g.key == key)


def validate_definition(data: Any, *, where: tuple[str | int, ...] = ("definition",)) -> Definition:
    """Parse ``data`` (a dict from JSON, YAML or a form) into a Definition.

    Every problem is named by its path under ``where``; a measure whose group is not one
    of the groups is reported at ``measures.<i>.group``.
    """
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        raise Invalid([_problem(where, err) for err in exc.errors()]) from None
    known = {g.key for g in definition.groups}
    problems = [
        FieldProblem((*where, "measures", i, "group"), "unknown_group", f"no group {m.group!r}")
        for i, m in enumerate(definition.measures)
        if m.group not in known
    ]
    if problems:
        raise Invalid(problems)
    return definition


def _problem(where: tuple[str | int, ...], err: Any) -> FieldProblem:
    # Drop the discriminator's tag ("thresholds"/"linear") from the path: users name fields.
    loc = [p for p in err["loc"] if p not in ("thresholds", "linear")]
    message = str(err["msg"]).removeprefix("Value error, ")
    return FieldProblem((*where, *loc), str(err["type"]), message)


def _steps(*pairs: tuple[float, float]) -> dict[str, Any]:
    return {"kind": "thresholds", "steps": [{"min": m, "points": p} for m, p in pairs]}


def _linear(worst: float, best: float) -> dict[str, Any]:
    return {"kind": "linear", "worst": worst, "best": best}


def _measure(
    key: str,
    name: str,
    name_en: str,
    group: str,
    signal: str,
    weight: float,
    scoring: dict[str, Any],
    missing: MissingRule = "exclude",
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "name_en": name_en,
        "group": group,
        "signal": signal,
        "weight": weight,
        "scoring": scoring,
        "missing": missing,
    }


def default_document() -> dict[str, Any]:
    """The DEAR default scorecard (seed 001 §4) as a plain document."""
    m = _measure
    return {
        "groups": [
            {"key": "deployment", "name": "導入完了度", "name_en": "Deployment", "weight": 25.0},
            {"key": "engagement", "name": "関係性", "name_en": "Engagement", "weight": 25.0},
            {"key": "adoption", "name": "活用度", "name_en": "Adoption", "weight": 25.0},
            {"key": "roi", "name": "費用対効果", "name_en": "ROI", "weight": 25.0},
        ],
        "measures": [
            m(
                "onboarding",
                "オンボーディング完了度",
                "Onboarding completeness",
                "deployment",
                "onboarding_completeness",
                2.0,
                _linear(0.4, 1.0),
            ),
            m(
                "seat_activation",
                "シート有効化率",
                "Seat activation",
                "deployment",
                "seat_activation",
                2.0,
                _linear(0.1, 0.8),
            ),
            m(
                "tenure",
                "契約期間",
                "Tenure",
                "deployment",
                "tenure_days",
                1.0,
                _steps((0, 30), (90, 60), (180, 80), (365, 100)),
            ),
            m(
                "nps",
                "NPS (最新)",
                "NPS (latest)",
                "engagement",
                "nps_latest",
                3.0,
                _steps((0, 0), (5, 30), (7, 60), (9, 100)),
                "neutral",
            ),
            m(
                "dm_touch",
                "決裁者との最終接点",
                "Days since decision-maker touch",
                "engagement",
                "days_since_dm_touch",
                2.0,
                _linear(180.0, 14.0),
                "zero",
            ),
            m(
                "touches",
                "接点数 (90日)",
                "Touches (90 days)",
                "engagement",
                "touches_90d",
                1.0,
                _steps((0, 0), (1, 40), (3, 70), (6, 100)),
                "zero",
            ),
            m(
                "champion",
                "チャンピオンの有無",
                "Champion present",
                "engagement",
                "champion_present",
                1.0,
                _steps((0, 0), (1, 100)),
                "zero",
            ),
            m(
                "csat",
                "CSAT (90日平均)",
                "CSAT (90-day average)",
                "engagement",
                "csat_avg_90d",
                2.0,
                _linear(2.0, 4.5),
            ),
            m(
                "active_users",
                "アクティブユーザー数 (週)",
                "Active users (week)",
                "adoption",
                "usage:active_users:week",
                1.0,
                _steps((0, 0), (1, 20), (3, 50), (10, 80), (25, 100)),
            ),
            m(
                "feature_breadth",
                "利用機能数 (月)",
                "Features used (month)",
                "adoption",
                "usage:feature_breadth:month",
                2.0,
                _linear(2.0, 12.0),
            ),
            m(
                "recency",
                "最終利用からの日数",
                "Days since last use",
                "adoption",
                "usage:days_since_last:day",
                2.0,
                _linear(14.0, 1.0),
                "zero",
            ),
            m(
                "usage_trend",
                "イベント数の増減率 (週)",
                "Change in events (week)",
                "adoption",
                "usage:events_change:week",
                1.0,
                _linear(-40.0, 10.0),
            ),
            m(
                "value_per_yen",
                "MRRあたり利用量",
                "Usage per MRR",
                "roi",
                "usage_per_mrr",
                1.0,
                _linear(0.5, 8.0),
            ),
            m(
                "qbr",
                "最終QBRからの日数",
                "Days since last QBR",
                "roi",
                "days_since_qbr",
                1.0,
                _linear(180.0, 45.0),
                "exclude",
            ),
            m(
                "mrr_change",
                "MRR増減率 (90日)",
                "MRR change (90 days)",
                "roi",
                "mrr_change_90d_pct",
                2.0,
                _steps((-100, 0), (-20, 20), (-5, 50), (0, 75), (5, 100)),
            ),
        ],
        "bands": {"red_below": 40.0, "green_from": 70.0},
        "min_coverage": 0.5,
    }


def default_definition() -> Definition:
    return validate_definition(default_document())
