"""The column mapping of an import: its shape, its JSON/YAML form and the checks on it.

``kizuna.importing.mapping`` is the public face (it re-exports :class:`Mapping` and
:class:`MappingOptions`); this module has no matching logic so that the presets can be
built from it without an import cycle.

Dictionary form (``to_dict`` / ``from_dict``; the YAML file is the same thing)::

    name: 営業部の月次エクスポート      # optional
    kind: contacts                      # an ImportKind value
    columns:                            # target field → source header
      external_id: 取引先責任者 ID
      account_ref: 取引先 ID
      name: [姓, 名]                    # composed: values joined with one space
      custom.nps_owner: NPS担当         # any custom.<key> is a custom field
    values:                             # target field → {source value → target value}
      roles: {キーマン: decision_maker}
    options:                            # every key optional, see MappingOptions
      list_separator: "、"

A composed column is a list of two or more headers (in YAML, JSON and
:attr:`Mapping.columns` alike): the engine joins the non-blank cells with one space, so
``name: [姓, 名]`` reads 山田 + 太郎 as 「山田 太郎」 (family name first, the Japanese order).
:meth:`Mapping.sources` gives the headers of a target either way.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping as AbcMapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from kizuna.importing.fields import TARGETS, TargetField, target_field
from kizuna.importing.value_synonyms import bool_value, enum_value, value_key
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.importing import ImportKind

Loc = tuple[str | int, ...]

# Allowed ``match_key`` per kind; the first is the default.
MATCH_KEYS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.ACCOUNTS: ("external_id", "domain", "name"),
    ImportKind.CONTACTS: ("external_id", "email"),
    ImportKind.PRODUCTS: ("code", "name"),
    ImportKind.SUBSCRIPTIONS: ("external_id",),
    ImportKind.ACTIVITIES: ("external_id",),
    ImportKind.SURVEY_RESPONSES: ("external_id",),
}


@dataclass(frozen=True)
class MappingOptions:
    """How to read values.

    ``amounts_in_major_units``: money columns hold ¥1,000 / $12.34 (True) or minor units.
    ``date_format``: a ``strptime`` format such as ``%Y/%m/%d``; None = ISO and the common
    Japanese forms (2024/4/1, 2024年4月1日, 令和6年4月1日) detected by the engine.
    ``timezone``: zone of naive date-times. ``list_separator``: between items of a list
    column (``roles``). ``match_key``: the field an existing record is found by (see
    :data:`MATCH_KEYS`; ``external_id`` on products means ``code``). ``preset``: the
    built-in preset this mapping came from (Salesforce presets normalise 15-character ids
    to 18). ``billing_period_months_from``: a header holding billing-interval words
    (Stripe ``Interval``: month / year), read for ``billing_period_months`` when that
    target has no column of its own.
    """

    amounts_in_major_units: bool = False
    date_format: str | None = None
    timezone: str = "Asia/Tokyo"
    list_separator: str = ";"
    match_key: str = "external_id"
    preset: str | None = None
    billing_period_months_from: str | None = None


@dataclass
class Mapping:
    """Which source header feeds which target field, plus value translations."""

    kind: ImportKind
    columns: dict[str, str | list[str]]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    options: MappingOptions = field(default_factory=MappingOptions)
    name: str | None = None

    def __post_init__(self) -> None:
        self.kind = ImportKind(self.kind)
        if self.options.match_key == "external_id" and "external_id" not in MATCH_KEYS[self.kind]:
            self.options = replace(self.options, match_key=MATCH_KEYS[self.kind][0])

    def sources(self, target: str) -> tuple[str, ...]:
        """The headers feeding ``target`` (two for a composed name, none when unmapped)."""
        header = self.columns.get(target)
        if header is None and target == "billing_period_months":
            header = self.options.billing_period_months_from
        if header is None:
            return ()
        return (header,) if isinstance(header, str) else tuple(header)

    def unmapped_required(self) -> list[str]:
        """Required targets with no source column, in field order."""
        return [f.name for f in TARGETS[self.kind] if f.required and not self.sources(f.name)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (stored on ``ImportRun.mapping`` and ``SavedMapping.definition``)."""
        columns = {t: h if isinstance(h, str) else list(h) for t, h in self.columns.items()}
        return {
            "name": self.name,
            "kind": self.kind.value,
            "columns": columns,
            "values": {target: dict(table) for target, table in self.values.items()},
            "options": asdict(self.options),
        }

    @classmethod
    def from_dict(cls, data: object, *, loc: Loc = ("mapping",)) -> Mapping:
        """Build and check a mapping; raise :class:`Invalid` naming every bad key."""
        problems: list[FieldProblem] = []
        if not isinstance(data, AbcMapping):
            raise Invalid(FieldProblem(loc, "not_a_mapping", "expected a mapping of keys"))
        for key in data:
            if key not in _TOP_KEYS:
                problems.append(FieldProblem((*loc, str(key)), "unknown_key", "unknown key"))
        kind = _kind(data.get("kind"), loc, problems)
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            problems.append(FieldProblem((*loc, "name"), "invalid", "name must be text"))
            name = None
        if kind is None:
            raise Invalid(problems)
        columns = _columns(kind, data.get("columns"), (*loc, "columns"), problems)
        values = _values(kind, data.get("values"), (*loc, "values"), problems)
        options = _options(kind, data.get("options"), (*loc, "options"), problems)
        if problems:
            raise Invalid(problems)
        return cls(kind=kind, columns=columns, values=values, options=options, name=name)


_TOP_KEYS = ("name", "kind", "columns", "values", "options")
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    f.name: (bool,) if f.name == "amounts_in_major_units" else (str,)
    for f in fields(MappingOptions)
}
_NULLABLE_OPTIONS = frozenset({"date_format", "preset", "billing_period_months_from"})


def _kind(raw: object, loc: Loc, problems: list[FieldProblem]) -> ImportKind | None:
    if raw is None:
        problems.append(FieldProblem((*loc, "kind"), "required", "kind is required"))
        return None
    try:
        return ImportKind(str(raw))
    except ValueError:
        known = ", ".join(k.value for k in ImportKind)
        problems.append(FieldProblem((*loc, "kind"), "unknown_kind", f"not one of {known}"))
        return None


def _header(raw: object) -> str | list[str] | None:
    """A header, or a list of two or more headers to compose; None when malformed."""
    if isinstance(raw, str) and raw.strip():
        return raw
    if isinstance(raw, list) and len(raw) >= 2 and all(isinstance(h, str) and h for h in raw):
        return [str(h) for h in raw]
    return None


def _columns(
    kind: ImportKind, raw: object, loc: Loc, problems: list[FieldProblem]
) -> dict[str, str | list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, AbcMapping):
        problems.append(FieldProblem(loc, "not_a_mapping", "expected target: header pairs"))
        return {}
    columns: dict[str, str | list[str]] = {}
    for target, source in raw.items():
        target = str(target)
        if target_field(kind, target) is None:
            problems.append(FieldProblem((*loc, target), "unknown_target", f"not a {kind} field"))
            continue
        header = _header(source)
        if header is None:
            message = "expected a header, or a list of two or more headers"
            problems.append(FieldProblem((*loc, target), "invalid_header", message))
            continue
        columns[target] = header
    return columns


def _values(
    kind: ImportKind, raw: object, loc: Loc, problems: list[FieldProblem]
) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, AbcMapping):
        problems.append(FieldProblem(loc, "not_a_mapping", "expected target: {value: value}"))
        return {}
    values: dict[str, dict[str, str]] = {}
    for target, table in raw.items():
        target = str(target)
        target_def = target_field(kind, target)
        if target_def is None:
            problems.append(FieldProblem((*loc, target), "unknown_target", f"not a {kind} field"))
            continue
        if not isinstance(table, AbcMapping):
            problems.append(FieldProblem((*loc, target), "not_a_mapping", "expected pairs"))
            continue
        checked: dict[str, str] = {}
        seen: dict[str, str] = {}
        for source, result in table.items():
            item_loc = (*loc, target, str(source))
            if isinstance(result, dict | list) or result is None:
                problems.append(FieldProblem(item_loc, "invalid_value", "expected one value"))
                continue
            text = _scalar_text(result)
            canonical = _canonical_result(target_def, text)
            if canonical is None:
                problems.append(FieldProblem(item_loc, "unknown_value", _allowed(target_def)))
                continue
            text = canonical
            key = value_key(_scalar_text(source))
            if key in seen and seen[key] != text:
                message = "the same source value (ignoring case and width) maps twice"
                problems.append(FieldProblem(item_loc, "duplicate_value", message))
                continue
            seen[key] = text
            checked[_scalar_text(source)] = text
        values[target] = checked
    return values


def _canonical_result(target: TargetField, text: str) -> str | None:
    """The canonical spelling of a ``values`` result, or None when it is not allowed."""
    if target.enum is not None:
        return enum_value(target.enum, text)
    if target.type == "bool":
        flag = bool_value(text)
        return None if flag is None else _scalar_text(flag)
    return text


def _allowed(target: TargetField) -> str:
    if target.enum is not None:
        return "expected one of " + ", ".join(m.value for m in target.enum)
    return "expected true or false"


def _scalar_text(value: object) -> str:
    """YAML scalars as text: ``true`` → "true", ``1`` → "1" (not "True")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _options(
    kind: ImportKind, raw: object, loc: Loc, problems: list[FieldProblem]
) -> MappingOptions:
    if raw is None:
        return MappingOptions()
    if not isinstance(raw, AbcMapping):
        problems.append(FieldProblem(loc, "not_a_mapping", "expected option: value pairs"))
        return MappingOptions()
    accepted: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        if key not in _OPTION_TYPES:
            problems.append(FieldProblem((*loc, key), "unknown_option", "unknown option"))
        elif value is None and key in _NULLABLE_OPTIONS:
            accepted[key] = None
        elif not isinstance(value, _OPTION_TYPES[key]):
            kind_name = _OPTION_TYPES[key][0].__name__
            problems.append(FieldProblem((*loc, key), "invalid_option", f"expected {kind_name}"))
        else:
            problem = _option_problem(kind, key, value)
            if problem:
                problems.append(FieldProblem((*loc, key), "invalid_option", problem))
            else:
                accepted[key] = value
    if "match_key" not in accepted:
        accepted["match_key"] = MATCH_KEYS[kind][0]
    return MappingOptions(**accepted)


def _option_problem(kind: ImportKind, key: str, value: Any) -> str | None:
    products_default = value == "external_id" and kind == ImportKind.PRODUCTS
    if key == "match_key" and value not in MATCH_KEYS[kind] and not products_default:
        return f"one of {', '.join(MATCH_KEYS[kind])}"
    if key == "timezone":
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return "not a known time zone (e.g. Asia/Tokyo)"
    if key == "date_format" and "%" not in value:
        return "a strptime format such as %Y/%m/%d"
    if key == "list_separator" and not value:
        return "must not be empty"
    return None
