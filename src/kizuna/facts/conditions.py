"""The condition language shared by segments, tier and assignment rules, journey step
criteria and playbook triggers, evaluated over a whole :class:`~kizuna.facts.frame.Facts`
table at once (numpy), and explained for one account.

A condition is JSON::

    {"all": [c, ...]}    every part holds (an empty list holds for everyone)
    {"any": [c, ...]}    at least one part holds (an empty list holds for no one)
    {"not": c}
    {"fact": "signal.nps_latest", "op": "lte", "value": 6}

Missing values: a comparison with a missing value is false, except the negative operators
(``ne``, ``not_in``, ``not_contains``, ``has_none``) which are true — "tier is not Tier 1"
includes accounts without a tier — and ``is_not_set``. Pure: no database.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from kizuna.facts.frame import Facts, FactSpec, Kind
from kizuna.kit.errors import FieldProblem, Invalid

Mask = npt.NDArray[np.bool_]

OPS: dict[Kind, tuple[str, ...]] = {
    Kind.NUMBER: ("eq", "ne", "lt", "lte", "gt", "gte", "between", "is_set", "is_not_set"),
    Kind.TEXT: ("eq", "ne", "in", "not_in", "contains", "not_contains", "is_set", "is_not_set"),
    Kind.CHOICE: ("eq", "ne", "in", "not_in", "is_set", "is_not_set"),
    Kind.FLAG: ("is_true", "is_false"),
    Kind.DATE: (
        "eq", "lt", "lte", "gt", "gte", "between",
        "in_last_days", "in_next_days", "is_set", "is_not_set",
    ),
    Kind.TAGS: ("has", "has_any", "has_all", "has_none", "is_set", "is_not_set"),
}  # fmt: skip
NEGATIVE = frozenset({"ne", "not_in", "not_contains", "has_none", "is_not_set", "is_false"})
_NO_VALUE = frozenset({"is_set", "is_not_set", "is_true", "is_false"})
_LIST_VALUE = frozenset({"in", "not_in", "has_any", "has_all", "has_none"})
_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
MAX_DEPTH = 8
MAX_RULES = 200


@dataclass(frozen=True)
class Rule:
    fact: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Union[Rule, All, AnyOf, Not]  # noqa: UP007 (a recursive alias needs Union)


@dataclass(frozen=True)
class Check:
    """One rule's outcome for one account, for "why did this fire" and criteria lists."""

    fact: str
    op: str
    value: Any
    actual: Any
    passed: bool
    negated: bool = False


EVERYONE: Condition = All(())


def parse(data: Any, specs: Mapping[str, FactSpec], *, field: str = "conditions") -> Condition:
    """Validate JSON into a condition; ``Invalid`` names every bad part by its path
    (``conditions.all[1].value``). ``None`` or ``{}`` is everyone."""
    problems: list[FieldProblem] = []
    count = [0]
    condition = _parse(data, specs, field, 0, problems, count)
    if count[0] > MAX_RULES:
        problems.append(_fp(field, f"at most {MAX_RULES} rules", "too_many_rules"))
    if problems:
        raise Invalid(problems)
    return condition


def _fp(path: str, message: str, code: str) -> FieldProblem:
    return FieldProblem(("body", path), code, message)


def _problem(path: str, message: str, code: str, problems: list[FieldProblem]) -> Condition:
    problems.append(_fp(path, message, code))
    return EVERYONE


def _parse(
    data: Any,
    specs: Mapping[str, FactSpec],
    path: str,
    depth: int,
    problems: list[FieldProblem],
    count: list[int],
) -> Condition:
    if data is None or data == {}:
        return EVERYONE
    if not isinstance(data, dict):
        return _problem(path, "must be an object", "not_an_object", problems)
    if depth > MAX_DEPTH:
        return _problem(path, f"nested more than {MAX_DEPTH} levels", "too_deep", problems)
    groups = [k for k in ("all", "any", "not") if k in data]
    if len(groups) + ("fact" in data) != 1:
        return _problem(
            path, 'needs exactly one of "all", "any", "not" or "fact"', "bad_shape", problems
        )
    if "not" in data:
        return Not(_parse(data["not"], specs, f"{path}.not", depth + 1, problems, count))
    if groups:
        key = groups[0]
        items = data[key]
        if not isinstance(items, list):
            return _problem(f"{path}.{key}", "must be a list", "not_a_list", problems)
        parts = tuple(
            _parse(item, specs, f"{path}.{key}[{n}]", depth + 1, problems, count)
            for n, item in enumerate(items)
        )
        return All(parts) if key == "all" else AnyOf(parts)
    count[0] += 1
    return _parse_rule(data, specs, path, problems)


def _parse_rule(
    data: dict[str, Any], specs: Mapping[str, FactSpec], path: str, problems: list[FieldProblem]
) -> Condition:
    extra = set(data) - {"fact", "op", "value"}
    if extra:
        return _problem(path, f"unknown keys: {', '.join(sorted(extra))}", "bad_shape", problems)
    key, op = data.get("fact"), data.get("op")
    spec = specs.get(key) if isinstance(key, str) else None
    if spec is None:
        return _problem(f"{path}.fact", f"unknown fact {key!r}", "unknown_fact", problems)
    if op not in OPS[spec.kind]:
        allowed = ", ".join(OPS[spec.kind])
        return _problem(
            f"{path}.op", f"{op!r} does not apply to {key} (use {allowed})", "bad_op", problems
        )
    value = _parse_value(spec, op, data.get("value"), f"{path}.value", problems)
    return Rule(fact=spec.key, op=str(op), value=value)


def _parse_value(spec: FactSpec, op: str, raw: Any, path: str, problems: list[FieldProblem]) -> Any:
    if op in _NO_VALUE:
        return None
    if op in ("in_last_days", "in_next_days"):
        if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 36_500:
            problems.append(_fp(path, "a whole number of days (0–36500)", "bad_days"))
        return raw
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            problems.append(_fp(path, "a list of two bounds [low, high]", "bad_range"))
            return None
        low, high = (_scalar(spec, v, f"{path}[{n}]", problems) for n, v in enumerate(raw))
        if low is not None and high is not None and low > high:
            problems.append(_fp(path, "the low bound is above the high", "bad_range"))
        return [low, high]
    if op in _LIST_VALUE or (op == "has" and isinstance(raw, list)):
        items = raw if isinstance(raw, list) else None
        if not items:
            problems.append(_fp(path, "a non-empty list", "empty_list"))
            return []
        return [_scalar(spec, v, f"{path}[{n}]", problems) for n, v in enumerate(items)]
    return _scalar(spec, raw, path, problems)


def _scalar(spec: FactSpec, raw: Any, path: str, problems: list[FieldProblem]) -> Any:
    if spec.kind is Kind.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            problems.append(_fp(path, f"{spec.key} needs a number", "not_a_number"))
            return None
        return float(raw)
    if spec.kind is Kind.DATE:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            problems.append(_fp(path, "a date like 2026-04-01", "not_a_date"))
            return None
    if not isinstance(raw, str) or not raw:
        problems.append(_fp(path, f"{spec.key} needs a text value", "not_text"))
        return None
    if spec.kind is Kind.CHOICE and spec.choices and raw not in spec.choices:
        problems.append(_fp(path, f"{raw!r} is not one of {', '.join(spec.choices)}", "bad_choice"))
    return raw


def to_json(condition: Condition) -> dict[str, Any]:
    """The stored form (values as JSON: dates in ISO)."""
    if isinstance(condition, All):
        return {"all": [to_json(p) for p in condition.parts]}
    if isinstance(condition, AnyOf):
        return {"any": [to_json(p) for p in condition.parts]}
    if isinstance(condition, Not):
        return {"not": to_json(condition.part)}
    out: dict[str, Any] = {"fact": condition.fact, "op": condition.op}
    if condition.value is not None:
        out["value"] = json_value(condition.value)
    return out


def json_value(value: Any, digits: int | None = None) -> Any:
    """A rule's value or a fact's value as JSON: dates in ISO, whole floats as integers,
    NaN as null, sets and tuples as lists; other floats rounded to ``digits`` if given."""
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v, digits) for v in value]
    if isinstance(value, np.generic):
        return json_value(value.item(), digits)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return int(value)
        return value if digits is None else round(value, digits)
    return value


def facts_used(condition: Condition) -> set[str]:
    """Every fact key the condition reads (what the loader must compute)."""
    if isinstance(condition, Rule):
        return {condition.fact}
    if isinstance(condition, Not):
        return facts_used(condition.part)
    return set().union(*(facts_used(p) for p in condition.parts)) if condition.parts else set()


def evaluate(condition: Condition, facts: Facts) -> Mask:
    """One boolean per account of ``facts``."""
    n = len(facts)
    if isinstance(condition, All):
        mask = np.ones(n, dtype=bool)
        for part in condition.parts:
            mask &= evaluate(part, facts)
        return mask
    if isinstance(condition, AnyOf):
        mask = np.zeros(n, dtype=bool)
        for part in condition.parts:
            mask |= evaluate(part, facts)
        return mask
    if isinstance(condition, Not):
        return ~evaluate(condition.part, facts)
    return _rule(condition, facts)


@dataclass(frozen=True)
class RuleOutcome:
    """One rule over every account: ``passed`` is its effect on the whole condition (the
    rule's own result, inverted when it sits under an odd number of ``not``)."""

    rule: Rule
    negated: bool
    passed: Mask


def outcomes(condition: Condition, facts: Facts, *, negated: bool = False) -> list[RuleOutcome]:
    """Every rule of the condition in reading order, evaluated for all accounts at once."""
    if isinstance(condition, Rule):
        holds = _rule(condition, facts)
        return [RuleOutcome(condition, negated, ~holds if negated else holds)]
    if isinstance(condition, Not):
        return outcomes(condition.part, facts, negated=not negated)
    return [o for part in condition.parts for o in outcomes(part, facts, negated=negated)]


def checks(found: list[RuleOutcome], facts: Facts, row: int) -> list[Check]:
    """The checks of account ``row`` from :func:`outcomes` (for many rows of one
    condition: evaluate once, then read each row)."""
    return [
        Check(
            o.rule.fact,
            o.rule.op,
            o.rule.value,
            facts.value(o.rule.fact, row),
            bool(o.passed[row]),
            o.negated,
        )
        for o in found
    ]


def explain(condition: Condition, facts: Facts, row: int) -> list[Check]:
    """Each rule's outcome for account ``row`` (in reading order)."""
    single = facts.take([row])
    return checks(outcomes(condition, single), single, 0)


def checks_json(
    found: list[RuleOutcome], facts: Facts, rows: npt.NDArray[np.int64]
) -> list[list[dict[str, Any]]]:
    """The checks of many accounts at once as stored JSON (one list per row of ``rows``;
    column by column, not account by account: thousands of firings are cheap)."""
    per_rule = [
        (
            o.rule.fact,
            o.rule.op,
            json_value(o.rule.value),
            _actuals(facts, o.rule.fact, rows),
            o.passed[rows].tolist(),
            o.negated,
        )
        for o in found
    ]
    return [
        [
            {"fact": f, "op": op, "value": v, "actual": a[k], "passed": p[k], "negated": n}
            for f, op, v, a, p, n in per_rule
        ]
        for k in range(len(rows))
    ]


def _actuals(facts: Facts, key: str, rows: npt.NDArray[np.int64]) -> list[Any]:
    column = facts.column(key)[rows]
    kind = facts.specs[key].kind
    if kind in (Kind.NUMBER, Kind.FLAG):
        return [json_value(v, 4) for v in column.astype(float).tolist()]
    if kind is Kind.DATE:
        return [None if np.isnat(v) else str(v) for v in column]
    if kind is Kind.TAGS:
        return [sorted(v) for v in column]
    return list(column.tolist())


def check_json(check: Check) -> dict[str, Any]:
    """A check as stored JSON (evidence of a journey step, the why of a task)."""
    return {
        "fact": check.fact,
        "op": check.op,
        "value": json_value(check.value),
        "actual": json_value(check.actual, 4),
        "passed": check.passed,
        "negated": check.negated,
    }


def _rule(rule: Rule, facts: Facts) -> Mask:
    spec = facts.specs[rule.fact]
    column = facts.column(rule.fact)
    if spec.kind is Kind.TAGS:
        return _tags(rule, column)
    if spec.kind is Kind.FLAG:
        values = column.astype(float)
        true: Mask = values == 1.0
        return true if rule.op == "is_true" else ~true
    present = _present(spec.kind, column)
    if rule.op == "is_set":
        return present
    if rule.op == "is_not_set":
        return ~present
    if spec.kind is Kind.NUMBER:
        return _compare(column.astype(float), rule, present)
    if spec.kind is Kind.DATE:
        return _dates(column.astype("datetime64[D]"), rule, present, facts.today)
    return _text(column, rule, present)


def _present(kind: Kind, column: npt.NDArray[Any]) -> Mask:
    present: Mask
    if kind is Kind.NUMBER:
        present = ~np.isnan(column.astype(float))
    elif kind is Kind.DATE:
        present = ~np.isnat(column.astype("datetime64[D]"))
    else:
        present = np.array([v is not None and v != "" for v in column], dtype=bool)
    return present


def _compare(values: npt.NDArray[Any], rule: Rule, present: Mask) -> Mask:
    with np.errstate(invalid="ignore"):
        if rule.op == "between":
            low, high = rule.value
            inside: Mask = present & (values >= low) & (values <= high)
            return inside
        result = np.asarray(_CMP[rule.op](values, rule.value), dtype=bool)
    return result | ~present if rule.op == "ne" else result & present


def _dates(values: npt.NDArray[Any], rule: Rule, present: Mask, today: date) -> Mask:
    if rule.op in ("in_last_days", "in_next_days"):
        days = timedelta(days=int(rule.value))
        low, high = (today - days, today) if rule.op == "in_last_days" else (today, today + days)
    elif rule.op == "between":
        low, high = rule.value
    else:
        v = np.datetime64(rule.value, "D")
        return np.asarray(_CMP[rule.op](values, v), dtype=bool) & present
    inside: Mask = (
        present & (values >= np.datetime64(low, "D")) & (values <= np.datetime64(high, "D"))
    )
    return inside


def _text(column: npt.NDArray[Any], rule: Rule, present: Mask) -> Mask:
    op, v = rule.op, rule.value
    if op in ("eq", "ne"):
        hit = np.array([x == v for x in column], dtype=bool)
    elif op in ("in", "not_in"):
        wanted = set(v)
        hit = np.array([x in wanted for x in column], dtype=bool)
    else:  # contains / not_contains: case-insensitive substring
        needle = str(v).casefold()
        hit = np.array([x is not None and needle in str(x).casefold() for x in column], dtype=bool)
    return ~hit if op in NEGATIVE else hit & present


def _tags(rule: Rule, column: npt.NDArray[Any]) -> Mask:
    if rule.op in ("is_set", "is_not_set"):
        present: Mask = np.array([bool(x) for x in column], dtype=bool)
        return present if rule.op == "is_set" else ~present
    wanted = set(rule.value) if isinstance(rule.value, list) else {rule.value}
    if rule.op == "has_all" or (rule.op == "has" and isinstance(rule.value, list)):
        return np.array([wanted <= (x or frozenset()) for x in column], dtype=bool)
    hit = np.array([bool(wanted & (x or frozenset())) for x in column], dtype=bool)
    return ~hit if rule.op == "has_none" else hit
