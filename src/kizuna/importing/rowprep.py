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

from kizuna.exporting.writers import unescape_cell
from kizuna.importing import coerce
from kizuna.importing.coerce import CellError
from kizuna.importing.fields import TARGETS, TargetField, target_field
from kizuna.importing.mapping import Mapping, map_value
from kizuna.importing.sources import Row

CUSTOM_PREFIX = "custom."

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
    """Built once per import: resolves which source column feeds which target."""

    def __init__(self, mapping: Mapping, headers: Sequence[str]) -> None:
        self.mapping = mapping
        self.options = mapping.options
        index = {h: i for i, h in enumerate(headers)}
        targets = [t.name for t in TARGETS[mapping.kind]]
        targets += [t for t in mapping.columns if t.startswith(CUSTOM_PREFIX)]
        self.columns: list[tuple[str, TargetField | None, list[int], str]] = []
        for target in targets:
            names = mapping.sources(target)
            positions = [index[n] for n in names if n in index]
            if not positions:
                continue
            spec = None if target.startswith(CUSTOM_PREFIX) else target_field(mapping.kind, target)
            self.columns.append((target, spec, positions, " + ".join(names)))

    def prepare(self, row: Row) -> tuple[Prepared | None, list[Problem]]:
        prepared = Prepared(row.number, {})
        problems: list[Problem] = []
        if row.extra:
            problems.append(
                Problem(
                    row.number,
                    "",
                    "",
                    "extra_cells",
                    f"{row.extra} more cells than there are headers",
                )
            )
        currency = self._currency(row)
        for target, spec, positions, column in self.columns:
            raw = _cell(row.values, positions)
            if raw is None:
                if spec is not None and spec.required:
                    problems.append(Problem(row.number, column, "", "required", "is required"))
                continue
            try:
                self._put(prepared, target, spec, raw, currency)
            except CellError as exc:
                problems.append(Problem(row.number, column, _show(raw), exc.code, exc.message))
        return (None if problems else prepared), problems

    def _put(
        self,
        prepared: Prepared,
        target: str,
        spec: TargetField | None,
        raw: object,
        currency: str,
    ) -> None:
        if spec is None:  # custom.<key>: validated against its definition later
            prepared.custom[target[len(CUSTOM_PREFIX) :]] = _plain(raw)
        elif spec.type == "ref":
            prepared.refs[target] = coerce.text_of(map_value(self.mapping, target, raw))
        elif spec.type == "list":
            prepared.values[target] = self._list(spec, raw)
        else:
            mapped = map_value(self.mapping, target, _plain(raw))
            prepared.values[target] = self._typed(spec, mapped, currency)

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

    def _currency(self, row: Row) -> str:
        for target, _spec, positions, _column in self.columns:
            if target == "currency":
                raw = _cell(row.values, positions)
                if raw is not None:
                    return coerce.text_of(raw).upper()[:3]
        return "JPY"


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


def _plain(raw: object) -> object:
    """Text exactly as written, undoing the export's formula-injection guard."""
    return unescape_cell(raw) if isinstance(raw, str) else raw


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
