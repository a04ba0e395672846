"""One source row → typed values for one object, or the problems that stop it.

A blank cell means "not given": on create the default applies, on update the stored value
stays (as Salesforce Data Loader does by default), so a partial file never wipes data.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from kizuna.importing import coerce
from kizuna.importing.coerce import CellError
from kizuna.importing.fields import TARGETS, TargetField, target_field
from kizuna.importing.mapping import Mapping, MappingOptions, map_value
from kizuna.importing.sources import Row
from kizuna.kit.csv_cells import QUOTE, unescape_cell

CUSTOM_PREFIX = "custom."
MEMO_LIMIT = 16_384  # distinct cell texts whose converted value is remembered, per column

# Bounds the database and common sense impose on whole numbers.
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "employee_count": (0, 10_000_000),
    "quantity": (0, 100_000_000),
    "duration_minutes": (0, 100_000),
    "score": (0, 10),
    "term_months": (1, 120),
    "billing_period_months": (1, 36),
}
TEXT_LIMITS: dict[str, int] = {
    "external_id": 100,
    "name": 200,
    "name_kana": 200,
    "domain": 253,
    "industry": 100,
    "region": 100,
    "email": 254,
    "phone": 50,
    "title": 200,
    "department": 200,
    "code": 64,
    "name_en": 200,
    "contract_ref": 100,
    "subject": 300,
    "currency": 3,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason one row cannot be imported, as the validation report shows it."""

    row: int
    column: str
    value: str
    code: str
    message: str


@dataclass(slots=True)
class Prepared:
    number: int
    values: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)


class RowPreparer:
    """Built once per import: resolves which source column feeds which target.

    Each target's reader is worked out once: its position, and a converter specialised to
    its type and options (``map_value`` is skipped for targets whose cells it never
    changes). The converted value of a repeated cell text (a date, a product code, an
    account reference, an enum word) is remembered per target, up to ``MEMO_LIMIT``
    distinct texts: a million-row file mostly repeats a few thousand values. Conversions
    are pure functions of the text (and, for money, the row's currency) and their results
    are immutable, so a remembered value is exactly what converting again would give.

    ``unescape``: undo the export's formula-injection guard (``'=…``), which CSV exports
    carry (and a spreadsheet made from one); Parquet holds text exactly, so a Parquet
    value starting with ``'=`` is taken as it is.
    """

    def __init__(self, mapping: Mapping, headers: Sequence[str], *, unescape: bool = True) -> None:
        self.mapping = mapping
        self.options = mapping.options
        self.unescape = unescape
        index = {h: i for i, h in enumerate(headers)}
        targets = [t.name for t in TARGETS[mapping.kind]]
        targets += [t for t in mapping.columns if t.startswith(CUSTOM_PREFIX)]
        self.columns: list[tuple[str, TargetField | None, list[int], str]] = []
        self._readers: list[_Reader] = []
        for target in targets:
            names = mapping.sources(target)
            positions = [index[n] for n in names if n in index]
            if not positions:
                continue
            spec = None if target.startswith(CUSTOM_PREFIX) else target_field(mapping.kind, target)
            label = " + ".join(names)
            self.columns.append((target, spec, positions, label))
            self._readers.append(self._reader(target, spec, positions, label))
        self._currency_at = next((p for t, _s, p, _l in self.columns if t == "currency"), None)
        self._needs_currency = any(r.by_currency for r in self._readers)

    def prepare(self, row: Row) -> tuple[Prepared | None, list[Problem]]:
        number, cells = row.number, row.values
        values: dict[str, Any] = {}
        refs: dict[str, str] = {}
        custom: dict[str, Any] = {}
        sinks = (values, refs, custom)
        problems: list[Problem] = []
        if row.extra:
            message = f"{row.extra} more cells than there are headers"
            problems.append(Problem(number, "", "", "extra_cells", message))
        currency = self._currency(cells) if self._needs_currency else "JPY"
        for (
            key,
            sink,
            single,
            positions,
            required,
            label,
            memo,
            by_currency,
            text_limit,
            convert,
        ) in self._readers:
            if single >= 0:
                raw = cells[single] if single < len(cells) else None
                if isinstance(raw, str) and (not raw or raw.isspace()):
                    raw = None
            else:
                raw = _cell(cells, positions)
            if raw is None:
                if required:
                    problems.append(Problem(number, label, "", "required", "is required"))
                continue
            if text_limit and isinstance(raw, str) and not raw.startswith(QUOTE):
                value = raw.strip()  # plain text, inlined: what coerce.to_text does
                if len(value) <= text_limit:
                    sinks[sink][key] = value
                    continue
            try:
                if memo is None or not isinstance(raw, str):
                    value = convert(raw, currency)
                else:
                    text_key = (currency, raw) if by_currency else raw
                    value = memo.get(text_key, _MISSING)
                    if value is _MISSING:
                        value = convert(raw, currency)
                        if len(memo) < MEMO_LIMIT:
                            memo[text_key] = value
            except CellError as exc:
                problems.append(Problem(number, label, _show(raw), exc.code, exc.message))
                continue
            sinks[sink][key] = value
        if problems:
            return None, problems
        return Prepared(number, values, refs, custom), problems

    def _reader(
        self, target: str, spec: TargetField | None, positions: list[int], label: str
    ) -> _Reader:
        if spec is None:  # custom.<key>: validated against its definition later
            key, sink, kind = target[len(CUSTOM_PREFIX) :], _CUSTOM, "custom"
        else:
            key, sink, kind = target, _REFS if spec.type == "ref" else _VALUES, spec.type
        return _Reader(
            key,
            sink,
            positions[0] if len(positions) == 1 else -1,
            positions,
            spec is not None and spec.required,
            label,
            {} if kind in _MEMO_TYPES else None,
            kind == "money",
            _plain_text_limit(self.mapping, spec),
            self._converter(target, spec),
        )

    def _converter(self, target: str, spec: TargetField | None) -> Convert:
        mapping, plain = self.mapping, self._plain
        if spec is None:
            return lambda raw, _currency: plain(raw)
        if spec.type == "ref":
            return lambda raw, _currency: coerce.text_of(map_value(mapping, target, raw))
        if spec.type == "list":
            return lambda raw, _currency: self._list(spec, raw)
        typed = _typed(spec, self.options)
        if _maps_values(mapping, spec):
            return lambda raw, currency: typed(map_value(mapping, target, plain(raw)), currency)
        if self.unescape:
            return lambda raw, currency: typed(plain(raw), currency)
        return typed

    def _list(self, spec: TargetField, raw: object) -> list[Any]:
        items = coerce.to_list(raw, separator=self.options.list_separator)
        mapped = [map_value(self.mapping, spec.name, i) for i in items]
        if spec.enum is None:
            return [str(i) for i in mapped]
        return _enum_list(mapped, spec.enum)

    def _currency(self, cells: Sequence[object]) -> str:
        if self._currency_at is not None:
            raw = _cell(cells, self._currency_at)
            if raw is not None:
                return coerce.text_of(raw).upper()[:3]
        return "JPY"

    def _plain(self, raw: object) -> object:
        """Text exactly as written, undoing the export's formula-injection guard. Only text
        starting with ``'`` can carry the guard."""
        if self.unescape and isinstance(raw, str) and raw.startswith(QUOTE):
            return unescape_cell(raw)
        return raw


Convert = Callable[[object, str], Any]  # (cell, the row's currency) → value, or CellError
_MISSING: Any = object()
_VALUES, _REFS, _CUSTOM = 0, 1, 2  # where a reader puts its value in Prepared
# Types whose conversion is worth remembering per distinct cell text.
_MEMO_TYPES = frozenset({"ref", "int", "decimal", "money", "date", "datetime", "bool", "enum"})


class _Reader(NamedTuple):
    """How one target is read from a row (a tuple: unpacked once per cell)."""

    key: str  # the target, or the key of a custom field
    sink: int  # _VALUES, _REFS or _CUSTOM
    single: int  # the one position, or -1 for a composed column (姓 + 名)
    positions: list[int]
    required: bool
    label: str  # the source column(s), as the report names them
    memo: dict[object, Any] | None  # cell text → converted value
    by_currency: bool  # money: the value depends on the row's currency too
    text_limit: int  # text kept as written, stripped (its maximum length), else 0
    convert: Convert


def _plain_text_limit(mapping: Mapping, spec: TargetField | None) -> int:
    """For a text target whose value is the stripped cell itself (no value map, no
    normalisation, not an id), its maximum length; else 0. Such cells skip the converter
    unless they are too long (the converter then reports it) or start with ``'``."""
    if spec is None or spec.type != "text" or spec.name in ("id", "email", "domain"):
        return 0
    if _maps_values(mapping, spec):
        return 0
    return TEXT_LIMITS.get(spec.name, sys.maxsize)


def _typed(spec: TargetField, options: MappingOptions) -> Convert:
    """The converter of a (mapped) cell to the type of ``spec``."""
    name, kind = spec.name, spec.type
    if name == "id":
        return lambda raw, _currency: _uuid(raw)
    if kind == "text":
        limit = TEXT_LIMITS.get(name)
        if name in ("email", "domain"):
            return lambda raw, _c: _normalised(name, coerce.to_text(raw, max_length=limit))
        return lambda raw, _currency: coerce.to_text(raw, max_length=limit)
    if kind == "int":
        low, high = INT_BOUNDS.get(name, (0, 2_000_000_000))
        return lambda raw, _currency: coerce.to_int(raw, minimum=low, maximum=high)
    if kind == "decimal":
        return lambda raw, _currency: coerce.to_decimal(raw)
    if kind == "money":
        major = options.amounts_in_major_units
        return lambda raw, currency: coerce.to_money(raw, currency, major_units=major)
    if kind == "date":
        fmt = options.date_format
        return lambda raw, _currency: coerce.to_date(raw, fmt=fmt)
    if kind == "datetime":
        zone, fmt = options.timezone, options.date_format
        return lambda raw, _currency: coerce.to_datetime(raw, zone=zone, fmt=fmt)
    if kind == "bool":
        return lambda raw, _currency: coerce.to_bool(raw)
    enum = spec.enum
    if enum is None:
        return lambda raw, _currency: _cannot_read(kind)
    return lambda raw, _currency: coerce.to_enum(raw, enum)


def _cannot_read(kind: str) -> Any:
    raise CellError("unknown_type", f"cannot read a {kind} value")


def _maps_values(mapping: Mapping, spec: TargetField) -> bool:
    """Whether :func:`map_value` can change a cell of ``spec``: the mapping's own ``values``,
    the built-in words of enums, booleans, billing intervals and currencies, and ids under
    a Salesforce preset. Other cells skip the call."""
    if mapping.values.get(spec.name) or spec.enum is not None:
        return True
    if spec.type in ("bool", "ref", "list") or spec.name in ("currency", "billing_period_months"):
        return True
    return spec.name == "external_id" and (mapping.options.preset or "").startswith("salesforce-")


def _uuid(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(coerce.text_of(raw))
    except ValueError:
        raise CellError("not_id", "not a Kizuna id (a UUID)") from None


def _normalised(name: str, text: str) -> str:
    """E-mail addresses compare lower-case; a domain may arrive as a website URL."""
    if name == "email":
        return text.lower()
    if name == "domain":
        host = urlsplit(text if "//" in text else f"//{text}").hostname or text
        return host.lower().removeprefix("www.")
    return text


def _cell(values: Sequence[object], positions: list[int]) -> object | None:
    """The cell (or the cells joined with a space, e.g. 姓 + 名); None when blank."""
    parts = [values[i] for i in positions if i < len(values)]
    parts = [p for p in parts if p is not None and not (isinstance(p, str) and not p.strip())]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " ".join(str(p).strip() for p in parts)


def _enum_list(items: list[object], enum: type[StrEnum]) -> list[StrEnum]:
    result: list[StrEnum] = []
    for item in items:
        member = coerce.to_enum(item, enum)
        if member not in result:
            result.append(member)
    return result


def _show(raw: object) -> str:
    text = str(raw)
    return text if len(text) <= 200 else text[:197] + "…"
