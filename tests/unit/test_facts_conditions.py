"""The condition language (``facts/conditions.py``) on a hand-made facts table: parse errors
with their paths, every operator of every kind, missing values, explain, JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from kizuna.facts import conditions
from kizuna.facts.conditions import OPS, All, AnyOf, Not, Rule
from kizuna.facts.frame import Facts, FactSpec, Kind
from kizuna.kit.errors import Invalid

TODAY = date(2026, 6, 15)
SPECS = {
    s.key: s
    for s in [
        FactSpec("n", Kind.NUMBER, "数", "Number", "g"),
        FactSpec("t", Kind.TEXT, "文字", "Text", "g"),
        FactSpec("c", Kind.CHOICE, "選択", "Choice", "g", choices=("x", "y", "z")),
        FactSpec("f", Kind.FLAG, "フラグ", "Flag", "g"),
        FactSpec("d", Kind.DATE, "日付", "Date", "g"),
        FactSpec("g", Kind.TAGS, "タグ", "Tags", "g"),
    ]
}
NaT = np.datetime64("NaT")


def _objects(values: list[Any]) -> np.ndarray[Any, Any]:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def facts() -> Facts:
    """Rows 0–3; row 3 knows nothing (every value missing)."""
    return Facts(
        account_ids=np.array(["a0", "a1", "a2", "a3"], dtype=object),
        today=TODAY,
        specs=SPECS,
        columns={
            "n": np.array([1.0, 5.0, 10.0, np.nan]),
            "t": _objects(["Tokyo Bay", "osaka", "", None]),
            "c": _objects(["x", "y", "z", None]),
            "f": np.array([1.0, 0.0, 1.0, np.nan]),
            "d": np.array(
                [
                    np.datetime64("2026-06-10"),
                    np.datetime64("2026-06-20"),
                    np.datetime64("2025-01-01"),
                    NaT,
                ],
                dtype="datetime64[D]",
            ),
            "g": _objects(
                [frozenset({"vip", "risk"}), frozenset({"vip"}), frozenset(), frozenset()]
            ),
        },
    )


def rows(condition: dict[str, Any]) -> list[int]:
    parsed = conditions.parse(condition, SPECS)
    return [int(i) for i in np.flatnonzero(conditions.evaluate(parsed, facts()))]


def rule(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"fact": fact, "op": op}
    if value is not None:
        out["value"] = value
    return out


CASES: list[tuple[str, str, Any, list[int]]] = [
    # numbers: a comparison with a missing value is false, except ne
    ("n", "eq", 5, [1]),
    ("n", "ne", 5, [0, 2, 3]),
    ("n", "lt", 5, [0]),
    ("n", "lte", 5, [0, 1]),
    ("n", "gt", 5, [2]),
    ("n", "gte", 5, [1, 2]),
    ("n", "between", [2, 10], [1, 2]),
    ("n", "is_set", None, [0, 1, 2]),
    ("n", "is_not_set", None, [3]),
    # text: eq is exact, contains is case-insensitive; "" counts as missing
    ("t", "eq", "osaka", [1]),
    ("t", "ne", "osaka", [0, 2, 3]),
    ("t", "in", ["osaka", "Tokyo Bay"], [0, 1]),
    ("t", "not_in", ["osaka"], [0, 2, 3]),
    ("t", "contains", "TOKYO", [0]),
    ("t", "not_contains", "tokyo", [1, 2, 3]),
    ("t", "is_set", None, [0, 1]),
    ("t", "is_not_set", None, [2, 3]),
    # choices
    ("c", "eq", "x", [0]),
    ("c", "ne", "x", [1, 2, 3]),
    ("c", "in", ["x", "z"], [0, 2]),
    ("c", "not_in", ["x", "z"], [1, 3]),
    ("c", "is_set", None, [0, 1, 2]),
    ("c", "is_not_set", None, [3]),
    # flags: unknown is not true
    ("f", "is_true", None, [0, 2]),
    ("f", "is_false", None, [1, 3]),
    # dates
    ("d", "eq", "2026-06-10", [0]),
    ("d", "lt", "2026-06-10", [2]),
    ("d", "lte", "2026-06-10", [0, 2]),
    ("d", "gt", "2026-06-10", [1]),
    ("d", "gte", "2026-06-10", [0, 1]),
    ("d", "between", ["2026-01-01", "2026-12-31"], [0, 1]),
    ("d", "in_last_days", 5, [0]),  # 2026-06-10 … 2026-06-15
    ("d", "in_last_days", 4, []),
    ("d", "in_next_days", 5, [1]),  # 2026-06-15 … 2026-06-20
    ("d", "is_set", None, [0, 1, 2]),
    ("d", "is_not_set", None, [3]),
    # tags
    ("g", "has", "vip", [0, 1]),
    ("g", "has", ["vip", "risk"], [0]),  # a list: every one of them
    ("g", "has_any", ["risk", "nope"], [0]),
    ("g", "has_all", ["vip", "risk"], [0]),
    ("g", "has_none", ["risk"], [1, 2, 3]),
    ("g", "is_set", None, [0, 1]),
    ("g", "is_not_set", None, [2, 3]),
]


@pytest.mark.parametrize(("fact", "op", "value", "expected"), CASES)
def test_every_operator_of_every_kind(fact: str, op: str, value: Any, expected: list[int]) -> None:
    assert rows(rule(fact, op, value)) == expected


def test_the_cases_cover_every_operator() -> None:
    covered = {(f, op) for f, op, _v, _e in CASES}
    kinds = {s.key: s.kind for s in SPECS.values()}
    assert covered == {(f, op) for f, kind in kinds.items() for op in OPS[kind]}


def test_groups_and_negation() -> None:
    assert rows({"all": []}) == [0, 1, 2, 3]  # an empty "all" holds for everyone
    assert rows({"any": []}) == []  # an empty "any" for no one
    assert rows({}) == [0, 1, 2, 3]
    assert rows({"all": [rule("n", "gte", 5), rule("c", "ne", "z")]}) == [1]
    assert rows({"any": [rule("n", "lt", 2), rule("g", "has", "vip")]}) == [0, 1]
    # "not" negates everything, unknowns included: not (n ≥ 5) keeps the unknown row 3.
    assert rows({"not": rule("n", "gte", 5)}) == [0, 3]
    assert rows({"all": [{"not": {"any": [rule("f", "is_true")]}}, rule("n", "is_set")]}) == [1]


def problems(condition: Any) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as caught:
        conditions.parse(condition, SPECS)
    return [(str(p.loc[-1]), p.code) for p in caught.value.problems]


def test_parse_names_every_bad_part_by_its_path() -> None:
    condition = {
        "all": [
            rule("n", "gte", "many"),
            rule("nope", "eq", 1),
            rule("c", "eq", "w"),
            {"any": [rule("t", "gt", "a"), rule("d", "eq", "June")]},
            rule("g", "has_any", []),
            rule("n", "between", [5, 1]),
            rule("d", "in_last_days", -1),
            "text",
            {"all": [], "any": []},
            {"fact": "n", "op": "eq", "value": 1, "unit": "yen"},
        ]
    }
    assert problems(condition) == [
        ("conditions.all[0].value", "not_a_number"),
        ("conditions.all[1].fact", "unknown_fact"),
        ("conditions.all[2].value", "bad_choice"),
        ("conditions.all[3].any[0].op", "bad_op"),
        ("conditions.all[3].any[1].value", "not_a_date"),
        ("conditions.all[4].value", "empty_list"),
        ("conditions.all[5].value", "bad_range"),
        ("conditions.all[6].value", "bad_days"),
        ("conditions.all[7]", "not_an_object"),
        ("conditions.all[8]", "bad_shape"),
        ("conditions.all[9]", "bad_shape"),
    ]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"all": "x"}, [("conditions.all", "not_a_list")]),
        (rule("n", "eq", True), [("conditions.value", "not_a_number")]),
        (rule("t", "eq", ""), [("conditions.value", "not_text")]),
        (rule("c", "in", ["x", "q"]), [("conditions.value[1]", "bad_choice")]),
        (rule("n", "between", 3), [("conditions.value", "bad_range")]),
        (rule("d", "in_next_days", 1.5), [("conditions.value", "bad_days")]),
        (rule("f", "eq", 1), [("conditions.op", "bad_op")]),
    ],
)
def test_single_problems(condition: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(condition) == expected


def test_depth_and_size_limits() -> None:
    deep: dict[str, Any] = rule("n", "is_set")
    for _ in range(conditions.MAX_DEPTH + 1):
        deep = {"not": deep}
    assert "too_deep" in [code for _p, code in problems(deep)]
    many = {"any": [rule("n", "eq", k) for k in range(conditions.MAX_RULES + 1)]}
    assert problems(many) == [("conditions", "too_many_rules")]
    ok = {"any": [rule("n", "eq", k) for k in range(conditions.MAX_RULES)]}
    conditions.parse(ok, SPECS)


def test_parse_types_values_and_to_json_gives_them_back() -> None:
    stored = {
        "all": [
            rule("n", "between", [1.0, 2.5]),
            rule("d", "gte", "2026-01-31"),
            {"not": rule("g", "has", ["a", "b"])},
        ]
    }
    parsed = conditions.parse(stored, SPECS, field="definition")
    assert parsed == All(
        (
            Rule("n", "between", [1.0, 2.5]),
            Rule("d", "gte", date(2026, 1, 31)),
            Not(Rule("g", "has", ["a", "b"])),
        )
    )
    assert conditions.to_json(parsed) == {
        "all": [
            rule("n", "between", [1, 2.5]),
            rule("d", "gte", "2026-01-31"),
            {"not": rule("g", "has", ["a", "b"])},
        ]
    }
    assert conditions.facts_used(parsed) == {"n", "d", "g"}
    assert conditions.facts_used(AnyOf(())) == set()
    assert conditions.parse(None, SPECS) == conditions.EVERYONE


def test_a_custom_field_name_prefixes_the_paths() -> None:
    with pytest.raises(Invalid) as caught:
        conditions.parse(rule("n", "eq", "x"), SPECS, field="rules[2].condition")
    assert caught.value.problems[0].loc == ("body", "rules[2].condition.value")


def test_explain_lists_each_rule_with_the_actual_value() -> None:
    condition = conditions.parse(
        {"all": [rule("n", "gte", 5), rule("g", "has", "vip"), rule("d", "in_last_days", 30)]},
        SPECS,
    )
    checks = conditions.explain(condition, facts(), 1)
    assert [(c.fact, c.op, c.actual, c.passed) for c in checks] == [
        ("n", "gte", 5.0, True),
        ("g", "has", ["vip"], True),
        ("d", "in_last_days", date(2026, 6, 20), False),
    ]
    (unknown,) = conditions.explain(conditions.parse(rule("n", "ne", 5), SPECS), facts(), 3)
    assert (unknown.actual, unknown.passed) == (None, True)


def test_explain_under_not_reports_the_effect_on_the_whole() -> None:
    condition = conditions.parse({"not": {"not": rule("n", "gte", 5)}}, SPECS)
    (twice,) = conditions.explain(condition, facts(), 1)
    assert (twice.passed, twice.negated) == (True, False)
    (once,) = conditions.explain(conditions.parse({"not": rule("n", "gte", 5)}, SPECS), facts(), 1)
    assert (once.actual, once.passed, once.negated) == (5.0, False, True)
    mask = conditions.evaluate(conditions.parse({"not": rule("n", "gte", 5)}, SPECS), facts())
    assert bool(mask[1]) is once.passed


def test_checks_of_many_rows_match_explain_one_by_one() -> None:
    condition = conditions.parse(
        {"any": [rule("n", "gte", 3), {"not": rule("g", "has", "vip")}, rule("d", "is_set")]},
        SPECS,
    )
    table = facts()
    rows = np.arange(len(table))
    many = conditions.checks_json(conditions.outcomes(condition, table), table, rows)
    for row in rows.tolist():
        one = [conditions.check_json(c) for c in conditions.explain(condition, table, row)]
        assert many[row] == one
    assert [c["negated"] for c in many[0]] == [False, True, False]


def test_a_column_not_loaded_counts_as_unknown() -> None:
    empty = Facts(account_ids=np.array(["a"], dtype=object), today=TODAY, specs=SPECS)
    for condition, expected in (
        (rule("n", "is_not_set"), [True]),
        (rule("n", "ne", 1), [True]),
        (rule("g", "has_none", ["x"]), [True]),
        (rule("f", "is_true"), [False]),
        (rule("d", "in_last_days", 3), [False]),
    ):
        parsed = conditions.parse(condition, SPECS)
        assert list(conditions.evaluate(parsed, empty)) == expected
