"""One source row → typed values for one object, or the problems that stop it.

A blank cell means "not given": on create the default applies, on update the stored value
stays (as Salesforce Data Loader does by default), so a partial file never wipes data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from kizuna.importing import coerce
from kizuna.importing.coerce import CellError
from kizuna.importing.fields import TARGETS, TargetField, target_field
from kizuna.importing.mapping import Mapping, map_value
from kizuna.importing.sources import Row
from kizuna.kit.csv_cells import unescape_cell

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

    Each column's reader is worked out once (its position, whether ``map_value`` can
    change its text), and the converted value of a repeated cell text (a date, a product
    code, an account reference, an enum word) is remembered per column, up to
    ``MEMO_LIMIT`` distinct texts: a million-row file mostly repeats a few thousand values.
    Conversions are pure functions of the text (and, for money, the row's currency), and
    their results are immutable, so a remembered value is exactly what converting again
    would give.

    ``unescape``: undo the export's formula-injection guard (``'=…``). Only CSV files carry
    it; text in a Parquet or XLSX cell is taken as it is.
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
            self._readers.append(_reader(mapping, target, spec, positions, label))
        self._currency_at = next(
            (r.positions for r in self._readers if r.target == "currency"), None
        )
        self._needs_currency = any(r.by_currency for r in self._readers)

    def prepare(self, row: Row) -> tuple[Prepared | None, list[Problem]]:
        number, cells = row.number, row.values
        prepared = Prepared(number, {})
        problems: list[Problem] = []
        if row.extra:
            problems.append(
                Problem(
                    number, "", "", "extra_cells", f"{row.extra} more cells than there are headers"
                )
            )
        currency = self._currency(cells) if self._needs_currency else "JPY"
        for reader in self._readers:
            if reader.single >= 0:
                raw = cells[reader.single] if reader.single < len(cells) else None
                if isinstance(raw, str) and (not raw or raw.isspace()):
                    raw = None
            else:
                raw = _cell(cells, reader.positions)
            if raw is None:
                if reader.required:
                    problems.append(Problem(number, reader.label, "", "required", "is required"))
                continue
            memo = reader.memo
            if memo is not None and isinstance(raw, str):  # the common case, inlined
                value = memo.get((currency, raw) if reader.by_currency else raw, _MISSING)
                if value is not _MISSING:
                    (prepared.refs if reader.is_ref else prepared.values)[reader.target] = value
                    continue
            try:
                self._put(prepared, reader, raw, currency)
            except CellError as exc:
                problems.append(Problem(number, reader.label, _show(raw), exc.code, exc.message))
        return (None if problems else prepared), problems

    def _put(self, prepared: Prepared, reader: _Reader, raw: object, currency: str) -> None:
        spec = reader.spec
        if spec is None:  # custom.<key>: validated against its definition later
            prepared.custom[reader.target[len(CUSTOM_PREFIX) :]] = self._plain(raw)
        elif spec.type == "list":
            prepared.values[reader.target] = self._list(spec, raw)
        elif spec.type == "ref":
            prepared.refs[reader.target] = self._remembered(reader, raw, currency)
        else:
            prepared.values[reader.target] = self._remembered(reader, raw, currency)

    def _remembered(self, reader: _Reader, raw: object, currency: str) -> Any:
        memo = reader.memo
        if memo is None or not isinstance(raw, str):
            return self._convert(reader, raw, currency)
        key = (currency, raw) if reader.by_currency else raw
        value = memo.get(key, _MISSING)
        if value is _MISSING:
            value = self._convert(reader, raw, currency)
            if len(memo) < MEMO_LIMIT:
                memo[key] = value
        return value

    def _convert(self, reader: _Reader, raw: object, currency: str) -> Any:
        spec = reader.spec
        if spec is None or spec.type == "ref":
            return coerce.text_of(map_value(self.mapping, reader.target, raw))
        plain = self._plain(raw)
        mapped = plain if reader.unmapped else map_value(self.mapping, reader.target, plain)
        return self._typed(spec, mapped, currency)

    def _typed(self, spec: TargetField, raw: object, currency: str) -> Any:
        kind, options = spec.type, self.options
        if spec.name == "id":
            return _uuid(raw)
        if kind == "text":
            text = coerce.to_text(raw, max_length=TEXT_LIMITS.get(spec.name))
            return _normalised(spec.name, text)
        if kind == "int":
            low, high = INT_BOUNDS.get(spec.name, (0, 2_000_000_000))
            return coerce.to_int(raw, minimum=low, maximum=high)
        if kind == "decimal":
            return coerce.to_decimal(raw)
        if kind == "money":
            return coerce.to_money(raw, currency, major_units=options.amounts_in_major_units)
        if kind == "date":
            return coerce.to_date(raw, fmt=options.date_format)
        if kind == "datetime":
            return coerce.to_datetime(raw, zone=options.timezone, fmt=options.date_format)
        if kind == "bool":
            return coerce.to_bool(raw)
        if spec.enum is None:
            raise CellError("unknown_type", f"cannot read a {kind} value")
        return coerce.to_enum(raw, spec.enum)

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
        """Text exactly as written, undoing the export's formula-injection guard (CSV)."""
        return unescape_cell(raw) if self.unescape and isinstance(raw, str) else raw


_MISSING: Any = object()
# Types whose conversion is worth remembering per distinct cell text.
_MEMO_TYPES = frozenset({"ref", "int", "decimal", "money", "date", "datetime", "bool", "enum"})


@dataclass(slots=True)
class _Reader:
    """How one target is read from a row, worked out once per import."""

    target: str
    spec: TargetField | None  # None: custom.<key>
    positions: list[int]
    label: str  # the source column(s), as the report names them
    single: int  # the one position, or -1 for a composed column (姓 + 名)
    required: bool
    is_ref: bool
    unmapped: bool  # a text target whose cells map_value never changes
    by_currency: bool  # money: the value depends on the row's currency too
    memo: dict[object, Any] | None  # cell text → converted value


def _reader(
    mapping: Mapping, target: str, spec: TargetField | None, positions: list[int], label: str
) -> _Reader:
    kind = "custom" if spec is None else spec.type
    return _Reader(
        target,
        spec,
        positions,
        label,
        single=positions[0] if len(positions) == 1 else -1,
        required=spec is not None and spec.required,
        is_ref=kind == "ref",
        unmapped=kind == "text" and not _maps_text(mapping, target),
        by_currency=kind == "money",
        memo={} if kind in _MEMO_TYPES else None,
    )


def _maps_text(mapping: Mapping, target: str) -> bool:
    """Whether :func:`map_value` can change a cell of the text target ``target``: the
    mapping's own ``values``, currency words, or ids under a Salesforce preset."""
    if mapping.values.get(target) or target == "currency":
        return True
    return target == "external_id" and (mapping.options.preset or "").startswith("salesforce-")


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
