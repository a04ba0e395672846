"""The condition builder: form fields ⇄ state ⇄ condition JSON, edits, and problem paths."""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.facts import conditions
from kizuna.facts.frame import FactSpec, Kind
from kizuna.kit.errors import Invalid
from kizuna.segment import builder
from kizuna.segment.builder import BuilderState, GroupRow, RuleRow

SPECS = {
    s.key: s
    for s in [
        FactSpec("account.tier", Kind.CHOICE, "ティア", "Tier", "account",
                 choices=("tier1", "tier2", "tier3")),
        FactSpec("account.region", Kind.TEXT, "地域", "Region", "account"),
        FactSpec("signal.mrr", Kind.NUMBER, "MRR", "MRR", "revenue", unit="yen"),
        FactSpec("account.created_on", Kind.DATE, "登録日", "Created on", "account"),
        FactSpec("tags", Kind.TAGS, "タグ", "Tags", "account"),
        FactSpec("products", Kind.TAGS, "製品", "Products", "revenue", choices=("A", "B")),
        FactSpec("account.tier_pinned", Kind.FLAG, "ティア固定", "Tier pinned", "account"),
    ]
}  # fmt: skip


class MultiDict(dict[str, list[str]]):
    """The subset of Starlette's FormData the builder uses."""

    def get(self, key: str, default: Any = None) -> Any:
        values = super().get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(super().get(key, []))


def form(**fields: str | list[str]) -> MultiDict:
    return MultiDict({k: v if isinstance(v, list) else [v] for k, v in fields.items()})


DEFINITION = {
    "any": [
        {"fact": "signal.mrr", "op": "between", "value": [100000, 1500000.5]},
        {
            "all": [
                {"fact": "account.tier", "op": "in", "value": ["tier1", "tier2"]},
                {"fact": "tags", "op": "has_any", "value": ["VIP", "case-study"]},
                {"fact": "account.created_on", "op": "in_last_days", "value": 30},
                {"fact": "account.tier_pinned", "op": "is_false"},
            ]
        },
        {"fact": "account.region", "op": "eq", "value": "関東"},
        {"fact": "products", "op": "has", "value": "A"},
    ]
}


def test_definition_to_form_and_back_is_the_same_condition() -> None:
    state = builder.from_definition(DEFINITION, SPECS)
    assert state is not None
    fields = _as_form(state)
    again = builder.to_definition(builder.parse_form(fields, "c"), SPECS)
    assert again == DEFINITION
    parsed = conditions.parse(again, SPECS)  # and the language accepts it as it stands
    assert conditions.to_json(parsed) == DEFINITION


def _as_form(state: BuilderState, prefix: str = "c") -> MultiDict:
    """The fields a browser would send for ``state`` (what _builder.html renders)."""
    out = form(**{f"{prefix}.match": state.match})
    for i, row in enumerate(state.rows):
        if isinstance(row, GroupRow):
            out[f"{prefix}.{i}.kind"] = ["group"]
            out[f"{prefix}.{i}.match"] = [row.match]
            for k, rule in enumerate(row.rules):
                _rule_fields(out, f"{prefix}.{i}.{k}", rule)
        else:
            out[f"{prefix}.{i}.kind"] = ["rule"]
            _rule_fields(out, f"{prefix}.{i}", row)
    return out


def _rule_fields(out: MultiDict, key: str, rule: RuleRow) -> None:
    out[f"{key}.fact"] = [rule.fact]
    out[f"{key}.op"] = [rule.op]
    if rule.values:
        out[f"{key}.values"] = list(rule.values)
    elif rule.value:
        out[f"{key}.value"] = [rule.value]
    if rule.value2:
        out[f"{key}.value2"] = [rule.value2]


def test_typed_values_are_read_loosely() -> None:
    fields = form(**{
        "c.0.kind": "rule", "c.0.fact": "signal.mrr", "c.0.op": "gte", "c.0.value": "１２，０００",
        "c.1.kind": "rule", "c.1.fact": "account.region", "c.1.op": "in",
        "c.1.value": "関東, 関西 ,",
        "c.2.kind": "rule", "c.2.fact": "account.tier", "c.2.op": "eq", "c.2.values": "tier2",
        "c.3.kind": "rule", "c.3.fact": "signal.mrr", "c.3.op": "lt", "c.3.value": "lots",
    })  # fmt: skip
    definition = builder.to_definition(builder.parse_form(fields, "c"), SPECS)
    assert definition["all"][:3] == [
        {"fact": "signal.mrr", "op": "gte", "value": 12000},
        {"fact": "account.region", "op": "in", "value": ["関東", "関西"]},
        {"fact": "account.tier", "op": "eq", "value": "tier2"},
    ]
    with pytest.raises(Invalid) as caught:  # text where a number belongs: named by its row
        conditions.parse(definition, SPECS, field="definition")
    assert builder.problems_by_row(caught.value) == {"3": "Enter a number."}


def test_rows_are_read_in_numeric_order_and_other_prefixes_ignored() -> None:
    fields = form(**{
        "c.10.kind": "rule", "c.10.fact": "tags", "c.10.op": "is_set",
        "c.2.kind": "rule", "c.2.fact": "account.tier_pinned", "c.2.op": "is_true",
        "x.0.kind": "rule", "x.0.fact": "signal.mrr", "x.0.op": "is_set",
    })  # fmt: skip
    state = builder.parse_form(fields, "c")
    assert [r.fact for r in state.rows if isinstance(r, RuleRow)] == [
        "account.tier_pinned",
        "tags",
    ]


def test_actions_add_and_remove_rows_and_groups() -> None:
    state = BuilderState(rows=[RuleRow(fact="tags", op="is_set")])
    builder.apply_action(state, "add-group")
    builder.apply_action(state, "add:1")
    assert isinstance(state.rows[1], GroupRow)
    assert len(state.rows[1].rules) == 2
    builder.apply_action(state, "remove:1.0")
    builder.apply_action(state, "remove:1.0")  # the last rule: the group goes too
    assert len(state.rows) == 1
    builder.apply_action(state, "remove:0")
    builder.apply_action(state, "remove:7")  # out of range: nothing happens
    builder.apply_action(state, "bogus")
    assert state.rows == []
    assert builder.to_definition(state, SPECS) == {"all": []}  # everyone


def test_changing_the_field_fits_the_operator() -> None:
    state = BuilderState(rows=[RuleRow(fact="signal.mrr", op="contains", value="x")])
    builder.fit_to_specs(state, SPECS)
    assert state.rows[0].op == "eq"  # type: ignore[union-attr]
    kept = BuilderState(rows=[RuleRow(fact="signal.mrr", op="between")])
    builder.fit_to_specs(kept, SPECS)
    assert kept.rows[0].op == "between"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "definition",
    [
        {"not": {"fact": "tags", "op": "is_set"}},
        {"all": [{"any": [{"all": [{"fact": "tags", "op": "is_set"}]}]}]},
        {"all": [{"fact": "tags", "op": "is_set", "extra": 1}]},
        {"all": "nope"},
    ],
)
def test_what_the_builder_cannot_show_goes_to_the_raw_view(definition: dict[str, Any]) -> None:
    assert builder.from_definition(definition, SPECS) is None


def test_a_single_rule_and_nothing_open_in_the_builder() -> None:
    single = builder.from_definition({"fact": "tags", "op": "is_set"}, SPECS)
    assert single is not None
    assert builder.to_definition(single, SPECS) == {"all": [{"fact": "tags", "op": "is_set"}]}
    assert builder.from_definition({}, SPECS) == BuilderState()


@pytest.mark.parametrize(
    ("path", "row"),
    [
        ("definition.all[2].all[0].value", "2.0"),
        ("definition.any[1].op", "1"),
        ("rules[3].condition.all[0].value[1]", "0"),
        ("definition", ""),
    ],
)
def test_problem_paths_point_at_rows(path: str, row: str) -> None:
    assert builder.row_of_path(path) == row


@pytest.mark.parametrize(
    ("fact", "op", "expected"),
    [
        ("signal.mrr", "gte", "number"),
        ("signal.mrr", "between", "number2"),
        ("signal.mrr", "is_set", "none"),
        ("account.created_on", "in_next_days", "days"),
        ("account.created_on", "between", "date2"),
        ("account.tier", "eq", "choice"),
        ("account.tier", "not_in", "choices"),
        ("products", "has", "choice"),
        ("products", "has_all", "choices"),
        ("tags", "has", "text"),
        ("tags", "has_none", "list"),
        ("account.region", "in", "list"),
        ("account.tier_pinned", "is_true", "none"),
    ],
)
def test_each_kind_and_operator_gets_its_input(fact: str, op: str, expected: str) -> None:
    view = builder.view(BuilderState(rows=[RuleRow(fact=fact, op=op)]), SPECS, locale="ja")
    rule = view.rows[0]
    assert isinstance(rule, builder.RuleView)
    assert rule.input == expected


def test_the_picker_groups_facts_and_names_them_in_the_readers_language() -> None:
    groups = builder.catalogue_groups(SPECS, "en")
    assert [g.key for g in groups] == ["account", "revenue"]
    assert groups[0].facts[0].title == "Tier"
    assert builder.catalogue_groups(SPECS, "ja")[0].facts[0].title == "ティア"


def test_summary_reads_a_condition() -> None:
    summary = builder.summarise(DEFINITION, SPECS, "en")
    assert summary.match == "any"
    first = summary.parts[0]
    assert isinstance(first, builder.SummaryRule)
    assert (first.title, first.op, first.values) == ("MRR", "between", (100000, 1500000.5))
    assert (first.kind, first.unit) == ("number", "yen")
