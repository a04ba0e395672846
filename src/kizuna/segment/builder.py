"""The condition builder: HTML form fields ⇄ an editable state ⇄ a condition's JSON.

Pure (no database). The builder edits what most people write: a top-level "all" or "any"
of rows, where a row is a rule (fact, operator, value) or a group (one level deep: its own
"all"/"any" of rules). Anything else (``not``, deeper nesting) stays editable in the raw
JSON/YAML view; :func:`from_definition` says so by returning ``None``.

Form fields (``p`` is the prefix, so one page can hold several builders)::

    p.match           all | any
    p.<i>.kind        rule | group
    p.<i>.fact        p.<i>.op   p.<i>.value   p.<i>.value2 (between)   p.<i>.values (lists)
    p.<i>.match       a group's all | any
    p.<i>.<k>.fact …  rule k of group i

Values are typed loosely here (numbers parsed, lists split on commas) and validated by
``facts.conditions.parse``, whose problem paths (``definition.all[2].all[0].value``) map
back to form rows with :func:`row_of_path`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kizuna.facts.conditions import OPS
from kizuna.facts.frame import FactSpec, Kind
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.i18n import N_

NO_VALUE_OPS = frozenset({"is_set", "is_not_set", "is_true", "is_false"})
LIST_OPS = frozenset({"in", "not_in", "has_any", "has_all", "has_none"})
DAY_OPS = frozenset({"in_last_days", "in_next_days"})
MAX_ROWS = 50

# Operator wording; some read differently by kind (a date is "before", a number "<").
OP_LABELS: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "between": N_("between"),
    "in": N_("is one of"),
    "not_in": N_("is none of"),
    "contains": N_("contains"),
    "not_contains": N_("does not contain"),
    "is_set": N_("is known"),
    "is_not_set": N_("is unknown"),
    "is_true": N_("is yes"),
    "is_false": N_("is no"),
    "has": N_("has"),
    "has_any": N_("has any of"),
    "has_all": N_("has all of"),
    "has_none": N_("has none of"),
    "in_last_days": N_("in the last N days"),
    "in_next_days": N_("in the next N days"),
}
KIND_OP_LABELS: dict[tuple[Kind, str], str] = {
    (Kind.TEXT, "eq"): N_("is"),
    (Kind.TEXT, "ne"): N_("is not"),
    (Kind.CHOICE, "eq"): N_("is"),
    (Kind.CHOICE, "ne"): N_("is not"),
    (Kind.DATE, "eq"): N_("is on"),
    (Kind.DATE, "lt"): N_("is before"),
    (Kind.DATE, "lte"): N_("is on or before"),
    (Kind.DATE, "gt"): N_("is after"),
    (Kind.DATE, "gte"): N_("is on or after"),
}
GROUP_LABELS: dict[str, str] = {
    "account": N_("Account"),
    "custom": N_("Custom fields"),
    "health": N_("Health"),
    "activity": N_("Activities"),
    "contact": N_("Contacts"),
    "revenue": N_("Revenue"),
    "journey": N_("Journey"),
    "deployment": N_("Deployment"),
    "engagement": N_("Engagement"),
    "adoption": N_("Adoption"),
    "roi": N_("ROI"),
    "support": N_("Support"),
}
# The condition language's problem codes, as sentences for the builder.
PROBLEM_MESSAGES: dict[str, str] = {
    "unknown_fact": N_("Choose a field."),
    "bad_op": N_("Choose a condition that fits this field."),
    "not_a_number": N_("Enter a number."),
    "not_a_date": N_("Enter a date."),
    "not_text": N_("Enter a value."),
    "bad_choice": N_("Choose one of the listed values."),
    "bad_range": N_("Enter both bounds, the low one first."),
    "empty_list": N_("Enter at least one value."),
    "bad_days": N_("Enter a whole number of days."),
    "too_many_rules": N_("Too many conditions."),
    "too_deep": N_("Nested too deeply."),
    "bad_shape": N_("This part is not a condition."),
    "not_an_object": N_("This part is not a condition."),
    "not_a_list": N_("This part is not a condition."),
}


def op_label(kind: Kind, op: str) -> str:
    """The English msgid naming ``op`` for a fact of ``kind``."""
    return KIND_OP_LABELS.get((kind, op), OP_LABELS.get(op, op))


@dataclass
class RuleRow:
    fact: str = ""
    op: str = ""
    value: str = ""
    value2: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class GroupRow:
    match: str = "all"
    rules: list[RuleRow] = field(default_factory=list)


Row = RuleRow | GroupRow


@dataclass
class BuilderState:
    match: str = "all"
    rows: list[Row] = field(default_factory=list)


# --------------------------------------------------------------------------- form → state


def _get(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _getlist(form: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    raw = getlist(key) if getlist is not None else form.get(key, [])
    if isinstance(raw, str):
        raw = [raw]
    return [str(v).strip() for v in raw if str(v).strip()]


def _indices(form: Mapping[str, Any], prefix: str) -> list[int]:
    """Row numbers present under ``prefix`` (``p.3.fact`` → 3), in order."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.")
    found = {int(m.group(1)) for k in form if (m := pattern.match(k))}
    return sorted(found)[:MAX_ROWS]


def _rule_from_form(form: Mapping[str, Any], key: str) -> RuleRow:
    return RuleRow(
        fact=_get(form, f"{key}.fact"),
        op=_get(form, f"{key}.op"),
        value=_get(form, f"{key}.value"),
        value2=_get(form, f"{key}.value2"),
        values=_getlist(form, f"{key}.values"),
    )


def parse_form(form: Mapping[str, Any], prefix: str = "c") -> BuilderState:
    """The builder's state as the form holds it (tolerant: half-filled rows are kept)."""
    state = BuilderState(match="any" if _get(form, f"{prefix}.match") == "any" else "all")
    for i in _indices(form, prefix):
        key = f"{prefix}.{i}"
        if _get(form, f"{key}.kind") == "group":
            group = GroupRow(match="any" if _get(form, f"{key}.match") == "any" else "all")
            group.rules = [_rule_from_form(form, f"{key}.{k}") for k in _indices(form, key)]
            state.rows.append(group)
        else:
            state.rows.append(_rule_from_form(form, key))
    return state


def fit_to_specs(state: BuilderState, specs: Mapping[str, FactSpec]) -> BuilderState:
    """Make each rule's operator fit its fact (after the fact was changed): an operator the
    new fact's kind does not have becomes that kind's first."""

    def fit(rule: RuleRow) -> RuleRow:
        spec = specs.get(rule.fact)
        if spec is not None and rule.op not in OPS[spec.kind]:
            rule.op = OPS[spec.kind][0]
        return rule

    for row in state.rows:
        if isinstance(row, GroupRow):
            row.rules = [fit(r) for r in row.rules]
        else:
            fit(row)
    return state


def apply_action(state: BuilderState, action: str) -> BuilderState:
    """Edit the state: ``add`` (a rule), ``add-group``, ``add:<i>`` (a rule into group i),
    ``remove:<i>`` or ``remove:<i>.<k>``. Unknown actions change nothing."""
    if action == "add" and len(state.rows) < MAX_ROWS:
        state.rows.append(RuleRow())
    elif action == "add-group" and len(state.rows) < MAX_ROWS:
        state.rows.append(GroupRow(rules=[RuleRow()]))
    elif action.startswith("add:"):
        row = _row(state, action[4:])
        if isinstance(row, GroupRow) and len(row.rules) < MAX_ROWS:
            row.rules.append(RuleRow())
    elif action.startswith("remove:"):
        where = action[7:].split(".")
        if len(where) == 1 and where[0].isdigit() and int(where[0]) < len(state.rows):
            del state.rows[int(where[0])]
        elif len(where) == 2 and all(w.isdigit() for w in where):
            group = _row(state, where[0])
            if isinstance(group, GroupRow) and int(where[1]) < len(group.rules):
                del group.rules[int(where[1])]
                if not group.rules:
                    state.rows.remove(group)
    return state


def _row(state: BuilderState, index: str) -> Row | None:
    if index.isdigit() and int(index) < len(state.rows):
        return state.rows[int(index)]
    return None


# --------------------------------------------------------------------------- state → JSON


def _number(text: str) -> Any:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        return text  # the language reports "needs a number" at this path
    return int(value) if value.is_integer() else value


def _days(text: str) -> Any:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    return int(cleaned) if cleaned.isdigit() else text


def _split(text: str) -> list[str]:
    return [part.strip() for part in unicodedata.normalize("NFKC", text).split(",") if part.strip()]


def _scalar(kind: Kind | None, text: str) -> Any:
    if kind is Kind.NUMBER:
        return _number(text) if text else None
    return text or None


def rule_json(rule: RuleRow, specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    spec = specs.get(rule.fact)
    kind = spec.kind if spec else None
    out: dict[str, Any] = {"fact": rule.fact, "op": rule.op}
    if rule.op in NO_VALUE_OPS:
        return out
    if rule.op in DAY_OPS:
        out["value"] = _days(rule.value)
    elif rule.op == "between":
        out["value"] = [_scalar(kind, rule.value), _scalar(kind, rule.value2)]
    elif rule.op in LIST_OPS:
        items = rule.values or _split(rule.value)
        out["value"] = [_scalar(kind, v) for v in items]
    else:
        out["value"] = _scalar(kind, rule.values[0] if rule.values else rule.value)
    return out


def to_definition(state: BuilderState, specs: Mapping[str, FactSpec]) -> dict[str, Any]:
    """The condition JSON the state stands for (not yet validated)."""
    parts: list[dict[str, Any]] = []
    for row in state.rows:
        if isinstance(row, GroupRow):
            inner = [rule_json(r, specs) for r in row.rules]
            parts.append({row.match: inner})
        else:
            parts.append(rule_json(row, specs))
    return {state.match: parts}


# --------------------------------------------------------------------------- JSON → state


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rule_from_json(data: Mapping[str, Any], specs: Mapping[str, FactSpec]) -> RuleRow | None:
    if set(data) - {"fact", "op", "value"} or "fact" not in data:
        return None
    rule = RuleRow(fact=str(data.get("fact", "")), op=str(data.get("op", "")))
    value = data.get("value")
    spec = specs.get(rule.fact)
    if rule.op == "between" and isinstance(value, list) and len(value) == 2:
        rule.value, rule.value2 = _text(value[0]), _text(value[1])
    elif isinstance(value, list):
        if spec is not None and spec.choices:
            rule.values = [_text(v) for v in value]
        else:
            rule.value = ", ".join(_text(v) for v in value)
    elif spec is not None and spec.kind is Kind.CHOICE and value is not None:
        rule.values = [_text(value)]
        rule.value = _text(value)
    else:
        rule.value = _text(value)
    return rule


def from_definition(
    definition: Mapping[str, Any] | None, specs: Mapping[str, FactSpec]
) -> BuilderState | None:
    """The builder state of a stored condition, or ``None`` when the builder cannot show
    it (a ``not``, or groups nested deeper than one level): use the raw view then."""
    if not definition:
        return BuilderState()
    if "fact" in definition:
        rule = _rule_from_json(definition, specs)
        return BuilderState(rows=[rule]) if rule else None
    if len(definition) != 1 or next(iter(definition)) not in ("all", "any"):
        return None
    match = next(iter(definition))
    items = definition[match]
    if not isinstance(items, list):
        return None
    state = BuilderState(match=match)
    for item in items:
        if not isinstance(item, Mapping):
            return None
        if "fact" in item:
            rule = _rule_from_json(item, specs)
            if rule is None:
                return None
            state.rows.append(rule)
            continue
        if len(item) != 1 or next(iter(item)) not in ("all", "any"):
            return None
        inner_match = next(iter(item))
        inner = item[inner_match]
        if not isinstance(inner, list):
            return None
        group = GroupRow(match=inner_match)
        for sub in inner:
            rule = _rule_from_json(sub, specs) if isinstance(sub, Mapping) else None
            if rule is None:
                return None
            group.rules.append(rule)
        state.rows.append(group)
    return state


# --------------------------------------------------------------------------- problems → rows

_STEP = re.compile(r"\.(?:all|any)\[(\d+)\]")


def row_of_path(path: str) -> str:
    """The builder row a problem path points at: ``definition.all[2].all[0].value`` → ``2.0``;
    ``""`` for the condition as a whole."""
    return ".".join(_STEP.findall(path))


def problems_by_row(exc: Invalid) -> dict[str, str]:
    """``{row: msgid}`` (first problem per row) for showing next to the builder's rows."""
    out: dict[str, str] = {}
    for problem in exc.problems:
        path = str(problem.loc[-1]) if problem.loc else ""
        row = row_of_path(path)
        out.setdefault(row, PROBLEM_MESSAGES.get(problem.code, problem.message))
    return out


def invalid_at(field_name: str, problems: Sequence[FieldProblem]) -> Invalid:
    return Invalid([FieldProblem(("body", field_name), p.code, p.message) for p in problems])


# --------------------------------------------------------------------------- the fact picker


@dataclass(frozen=True)
class FactChoice:
    key: str
    title: str
    kind: str
    unit: str
    choices: tuple[str, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class FactGroup:
    key: str
    label: str  # English msgid (or the group key when unknown)
    facts: tuple[FactChoice, ...]


def catalogue_groups(specs: Mapping[str, FactSpec], locale: str) -> list[FactGroup]:
    """The facts grouped as the picker shows them (catalogue order within a group)."""
    groups: dict[str, list[FactChoice]] = {}
    for spec in specs.values():
        groups.setdefault(spec.group, []).append(
            FactChoice(
                key=spec.key,
                title=spec.title(locale),
                kind=spec.kind.value,
                unit=spec.unit,
                choices=spec.choices,
                ops=OPS[spec.kind],
            )
        )
    return [FactGroup(k, GROUP_LABELS.get(k, k), tuple(v)) for k, v in groups.items()]


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RuleView:
    key: str  # "3" (top level) or "3.1" (rule 1 of group 3)
    rule: RuleRow
    fact: FactChoice | None
    ops: tuple[tuple[str, str], ...]  # (op, msgid)
    input: str  # none number number2 days date date2 text list choice choices
    error: str | None


@dataclass(frozen=True)
class GroupView:
    key: str
    match: str
    rules: tuple[RuleView, ...]
    error: str | None


@dataclass(frozen=True)
class BuilderView:
    """What ``segments/_builder.html`` renders. ``prefix`` names the form fields and the
    element ids (``<prefix>-builder``, ``<prefix>-preview``)."""

    prefix: str
    match: str
    rows: tuple[RuleView | GroupView, ...]
    groups: tuple[FactGroup, ...]
    error: str | None = None
    tags: tuple[str, ...] = ()  # known tags, offered while typing


def input_kind(fact: FactChoice | None, op: str) -> str:
    if fact is None or not op or op in NO_VALUE_OPS:
        return "none"
    if op in DAY_OPS:
        return "days"
    kind = Kind(fact.kind)
    if kind in (Kind.NUMBER, Kind.DATE):
        base = "number" if kind is Kind.NUMBER else "date"
        return f"{base}2" if op == "between" else base
    if kind is Kind.CHOICE or (kind is Kind.TAGS and fact.choices):
        return "choices" if op in LIST_OPS else "choice"
    return "list" if op in LIST_OPS else "text"


def view(
    state: BuilderState,
    specs: Mapping[str, FactSpec],
    *,
    locale: str,
    prefix: str = "c",
    errors: Mapping[str, str] | None = None,
    tags: Sequence[str] = (),
) -> BuilderView:
    groups = catalogue_groups(specs, locale)
    facts = {f.key: f for g in groups for f in g.facts}
    errors = errors or {}

    def rule_view(key: str, rule: RuleRow) -> RuleView:
        fact = facts.get(rule.fact)
        ops = tuple((op, op_label(Kind(fact.kind), op)) for op in fact.ops) if fact else ()
        return RuleView(key, rule, fact, ops, input_kind(fact, rule.op), errors.get(key))

    rows: list[RuleView | GroupView] = []
    for i, row in enumerate(state.rows):
        if isinstance(row, GroupRow):
            rules = tuple(rule_view(f"{i}.{k}", r) for k, r in enumerate(row.rules))
            rows.append(GroupView(str(i), row.match, rules, errors.get(str(i))))
        else:
            rows.append(rule_view(str(i), row))
    return BuilderView(
        prefix=prefix,
        match=state.match,
        rows=tuple(rows),
        groups=tuple(groups),
        error=errors.get(""),
        tags=tuple(tags),
    )


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class SummaryRule:
    title: str
    op: str  # msgid
    values: tuple[Any, ...]  # JSON values; choices shown through ``label`` when ``coded``
    coded: bool
    kind: str = "text"
    unit: str = ""


@dataclass(frozen=True)
class SummaryGroup:
    match: str  # all / any / not
    parts: tuple[SummaryRule | SummaryGroup, ...]


def summarise(
    definition: Mapping[str, Any] | None, specs: Mapping[str, FactSpec], locale: str
) -> SummaryGroup:
    """A stored condition as readable parts (``segments/_condition.html`` renders them)."""

    def node(data: Any) -> SummaryRule | SummaryGroup:
        if not isinstance(data, Mapping) or not data:
            return SummaryGroup("all", ())
        if "fact" in data:
            spec = specs.get(str(data["fact"]))
            kind = spec.kind if spec else Kind.TEXT
            value = data.get("value")
            raw = value if isinstance(value, list) else ([] if value is None else [value])
            return SummaryRule(
                title=spec.title(locale) if spec else str(data["fact"]),
                op=op_label(kind, str(data.get("op", ""))),
                values=tuple(raw),
                coded=kind is Kind.CHOICE,
                kind=kind.value,
                unit=spec.unit if spec else "",
            )
        if "not" in data:
            return SummaryGroup("not", (node(data["not"]),))
        key = "any" if "any" in data else "all"
        items = data.get(key)
        return SummaryGroup(key, tuple(node(i) for i in items) if isinstance(items, list) else ())

    top = node(definition)
    return top if isinstance(top, SummaryGroup) else SummaryGroup("all", (top,))
