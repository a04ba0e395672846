"""Custom-field value validation (customfield/values.py) on plain values."""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.customfield.values import FieldSpec, validate_values
from kizuna.models.enums import CustomFieldType as T


def check(spec: FieldSpec, raw: Any) -> tuple[dict[str, Any], list[str]]:
    merged, problems = validate_values([spec], {spec.key: raw})
    return merged, [p.code for p in problems]


@pytest.mark.parametrize(
    ("spec", "raw", "stored"),
    [
        (FieldSpec("memo", T.TEXT), "こんにちは", "こんにちは"),
        (FieldSpec("memo", T.TEXT), 12, "12"),
        (FieldSpec("notes", T.LONG_TEXT), "a\nb", "a\nb"),
        (FieldSpec("seats", T.INTEGER), "1,200", 1200),
        (FieldSpec("seats", T.INTEGER), 7, 7),
        (FieldSpec("seats", T.INTEGER), 7.0, 7),
        (FieldSpec("rate", T.DECIMAL), "12.50", "12.50"),
        (FieldSpec("rate", T.DECIMAL), 3, "3"),
        (FieldSpec("budget", T.MONEY), "1,000,000", "1000000"),
        (FieldSpec("kickoff", T.DATE), "2024-04-01", "2024-04-01"),
        (FieldSpec("vip", T.BOOLEAN), True, True),
        (FieldSpec("vip", T.BOOLEAN), "はい", True),
        (FieldSpec("vip", T.BOOLEAN), "off", False),
        (FieldSpec("plan", T.SELECT, choices=("a", "b")), "b", "b"),
        (FieldSpec("tags", T.MULTI_SELECT, choices=("x", "y", "z")), ["z", "x", "z"], ["x", "z"]),
        (FieldSpec("tags", T.MULTI_SELECT, choices=("x", "y")), "y, x", ["x", "y"]),
        (FieldSpec("site", T.URL), "https://example.jp/a", "https://example.jp/a"),
        (FieldSpec("mail", T.EMAIL), "Taro@Example.JP", "taro@example.jp"),
    ],
)
def test_every_type_accepts_and_normalises(spec: FieldSpec, raw: Any, stored: Any) -> None:
    merged, problems = check(spec, raw)
    assert problems == []
    assert merged == {spec.key: stored}


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (FieldSpec("memo", T.TEXT, max_length=3), "abcd"),
        (FieldSpec("seats", T.INTEGER), "12a"),
        (FieldSpec("seats", T.INTEGER), 1.5),
        (FieldSpec("seats", T.INTEGER), True),
        (FieldSpec("rate", T.DECIMAL), "abc"),
        (FieldSpec("rate", T.DECIMAL), "NaN"),
        (FieldSpec("rate", T.DECIMAL), False),
        (FieldSpec("budget", T.MONEY), "¥100"),
        (FieldSpec("kickoff", T.DATE), "2024-02-30"),
        (FieldSpec("vip", T.BOOLEAN), "maybe"),
        (FieldSpec("plan", T.SELECT, choices=("a", "b")), "c"),
        (FieldSpec("tags", T.MULTI_SELECT, choices=("x",)), ["x", "q"]),
        (FieldSpec("site", T.URL), "ftp://example.jp"),
        (FieldSpec("mail", T.EMAIL), "not-an-address"),
    ],
)
def test_every_type_rejects_bad_values(spec: FieldSpec, raw: Any) -> None:
    merged, problems = check(spec, raw)
    assert problems == ["invalid"]
    assert spec.key not in merged


@pytest.mark.parametrize(
    ("spec", "raw", "ok"),
    [
        (FieldSpec("seats", T.INTEGER, min_value="1", max_value="100"), 1, True),
        (FieldSpec("seats", T.INTEGER, min_value="1", max_value="100"), 100, True),
        (FieldSpec("seats", T.INTEGER, min_value="1", max_value="100"), 0, False),
        (FieldSpec("seats", T.INTEGER, min_value="1", max_value="100"), 101, False),
        (FieldSpec("rate", T.DECIMAL, min_value="0.5"), "0.49", False),
        (FieldSpec("rate", T.DECIMAL, max_value="9.99"), "9.99", True),
        (FieldSpec("budget", T.MONEY, max_value="1000"), "1000.01", False),
    ],
)
def test_ranges_are_inclusive(spec: FieldSpec, raw: Any, ok: bool) -> None:
    _, problems = check(spec, raw)
    assert (problems == []) is ok


def test_problems_name_the_field_under_custom_fields() -> None:
    _, problems = validate_values([FieldSpec("seats", T.INTEGER)], {"seats": "x"})
    assert problems[0].loc == ("body", "custom_fields", "seats")


def test_unknown_key_is_a_problem() -> None:
    merged, problems = validate_values([FieldSpec("seats", T.INTEGER)], {"colour": "red"})
    assert [(p.loc[-1], p.code) for p in problems] == [("colour", "unknown_field")]
    assert merged == {}


def test_required_field_missing_or_blank() -> None:
    spec = FieldSpec("owner", T.TEXT, required=True)
    assert [p.code for p in validate_values([spec], {})[1]] == ["required"]
    assert [p.code for p in validate_values([spec], {"owner": ""})[1]] == ["required"]
    assert validate_values([spec], {"owner": "佐藤"})[1] == []


def test_required_satisfied_by_existing_value() -> None:
    spec = FieldSpec("owner", T.TEXT, required=True)
    merged, problems = validate_values([spec], {}, existing={"owner": "佐藤"})
    assert problems == []
    assert merged == {"owner": "佐藤"}


@pytest.mark.parametrize("blank", [None, "", []])
def test_blank_clears_an_existing_value(blank: Any) -> None:
    spec = FieldSpec("memo", T.TEXT)
    merged, problems = validate_values([spec], {"memo": blank}, existing={"memo": "old"})
    assert problems == []
    assert merged == {}


def test_update_merges_over_existing_values() -> None:
    specs = [FieldSpec("a", T.TEXT), FieldSpec("b", T.INTEGER)]
    merged, problems = validate_values(specs, {"b": "2"}, existing={"a": "x", "b": 1})
    assert problems == []
    assert merged == {"a": "x", "b": 2}


def test_several_problems_are_reported_together() -> None:
    specs = [FieldSpec("a", T.INTEGER), FieldSpec("b", T.DATE, required=True)]
    _, problems = validate_values(specs, {"a": "x", "zzz": 1})
    assert sorted((str(p.loc[-1]), p.code) for p in problems) == [
        ("a", "invalid"),
        ("b", "required"),
        ("zzz", "unknown_field"),
    ]
