"""The metric kinds: a registry of pure functions, by name, from a ``grid.Frame`` (one
grain of a block of accounts) to values per account and period.

A kind is registered with :func:`metric_kind` and says what it reads:

- ``daily``: the per-account-day-event roll-up (``sources.daily_rollup``: counts and the
  sums of the properties that ``sum`` metrics name) — counts, sums, active days, breadth,
  recency, tenure-scaled rates;
- ``actors``: the actors' activity words (``sources.actor_words``) — distinct users;
- ``series``: other metrics' values of the same grain (derived kinds: ratio, % change,
  per seat).

Every function returns a float64 array, accounts × periods, NaN for "no value"; the
engine replaces NaN with the kind's ``fill`` (0 for counts, none otherwise) and keeps the
periods from each account's first event on. A definition's parameters are checked by
:func:`check_params`, which names the parameter at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kizuna.analytics.grid import Frame
from kizuna.analytics.sources import GRAINS, Grain

Reads = Literal["daily", "actors", "series"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the catalogue, as the engine sees it."""

    key: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    grains: tuple[Grain, ...] = GRAINS


@dataclass(frozen=True)
class Param:
    """A parameter of a kind: ``type`` is str, int, list (of str) or metric (another key)."""

    type: Literal["str", "int", "list", "metric"]
    required: bool = False
    default: Any = None
    minimum: int | None = None


KindFunction = Callable[[Frame, Mapping[str, Any]], np.ndarray]


@dataclass(frozen=True)
class MetricKind:
    name: str
    reads: Reads
    fill: float | None
    params: Mapping[str, Param]
    function: KindFunction

    @property
    def description(self) -> str:
        return (self.function.__doc__ or "").strip()


KINDS: dict[str, MetricKind] = {}


def metric_kind(
    name: str, *, reads: Reads, fill: float | None, params: Mapping[str, Param] | None = None
) -> Callable[[KindFunction], KindFunction]:
    """Register the decorated function as the metric kind ``name``."""

    def register(function: KindFunction) -> KindFunction:
        if name in KINDS:
            raise ValueError(f"metric kind {name!r} registered twice")
        KINDS[name] = MetricKind(name, reads, fill, dict(params or {}), function)
        return function

    return register


@dataclass(frozen=True)
class ParamProblem:
    """A parameter at fault: ``field`` is ``kind``, ``grains`` or ``params.<name>``."""

    field: str
    code: str
    message: str


def check_params(spec: MetricSpec, catalogue: Mapping[str, MetricSpec]) -> list[ParamProblem]:
    """What is wrong with ``spec`` (empty when nothing): unknown kind or grain, missing or
    mistyped parameters, references to missing metrics, to derived metrics or to metrics
    lacking one of this metric's grains."""
    kind = KINDS.get(spec.kind)
    if kind is None:
        return [ParamProblem("kind", "unknown_kind", f"unknown metric kind {spec.kind!r}")]
    problems = [
        ParamProblem("grains", "unknown_grain", f"unknown grain {g!r}")
        for g in spec.grains
        if g not in GRAINS
    ]
    if not spec.grains:
        problems.append(ParamProblem("grains", "required", "choose at least one grain"))
    for name in spec.params:
        if name not in kind.params:
            problems.append(
                ParamProblem(f"params.{name}", "unknown_param", f"{spec.kind} has no {name!r}")
            )
    for name, param in kind.params.items():
        problem = _check_param(spec, name, param, catalogue)
        if problem is not None:
            problems.append(problem)
    return problems


def _check_param(
    spec: MetricSpec, name: str, param: Param, catalogue: Mapping[str, MetricSpec]
) -> ParamProblem | None:
    where = f"params.{name}"
    value = spec.params.get(name)
    if value is None or value == "" or value == []:
        if param.required:
            return ParamProblem(where, "required", f"{name} is required for {spec.kind}")
        return None
    if param.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return ParamProblem(where, "not_a_list", f"{name} must be a list of names")
    elif param.type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return ParamProblem(where, "int_parsing", f"{name} must be a whole number")
        if param.minimum is not None and value < param.minimum:
            return ParamProblem(where, "too_small", f"{name} must be at least {param.minimum}")
    elif not isinstance(value, str):
        return ParamProblem(where, "not_text", f"{name} must be text")
    elif param.type == "metric":
        return _check_reference(spec, where, value, catalogue)
    return None


def _check_reference(
    spec: MetricSpec, where: str, key: str, catalogue: Mapping[str, MetricSpec]
) -> ParamProblem | None:
    target = catalogue.get(key)
    if target is None or key == spec.key:
        return ParamProblem(where, "unknown_metric", f"no metric {key!r} in the catalogue")
    target_kind = KINDS.get(target.kind)
    if target_kind is None or target_kind.reads == "series":
        return ParamProblem(where, "derived_metric", f"{key!r} is itself derived; name a base one")
    missing = [g for g in spec.grains if g not in target.grains]
    if missing:
        return ParamProblem(where, "grain_missing", f"{key!r} is not computed per {missing[0]}")
    return None


def references(spec: MetricSpec) -> list[str]:
    """Keys of the metrics ``spec`` is derived from."""
    kind = KINDS.get(spec.kind)
    if kind is None:
        return []
    return [
        str(spec.params[name])
        for name, param in kind.params.items()
        if param.type == "metric" and spec.params.get(name)
    ]


def with_defaults(spec: MetricSpec) -> dict[str, Any]:
    """The spec's parameters with the kind's defaults filled in."""
    kind = KINDS[spec.kind]
    values = {name: p.default for name, p in kind.params.items() if p.default is not None}
    values.update({k: v for k, v in spec.params.items() if v not in (None, "", [])})
    return values


# Importing the kind modules registers them.
from kizuna.analytics.metrics import activity, derived  # noqa: E402

__all__ = [
    "KINDS",
    "MetricKind",
    "MetricSpec",
    "Param",
    "ParamProblem",
    "activity",
    "check_params",
    "derived",
    "metric_kind",
    "references",
    "with_defaults",
]
