"""Validate custom-field values against their definitions. Pure: no database.

Values are stored as JSON: numbers as JSON numbers (decimals and money as strings so no
float ever touches them), dates as ISO strings, multi-selects as lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kizuna.kit.errors import FieldProblem
from kizuna.models.enums import CustomFieldType

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s]+$")


@dataclass(frozen=True)
class FieldSpec:
    """What validation needs of a definition (decoupled from the ORM row)."""

    key: str
    field_type: CustomFieldType
    required: bool = False
    choices: Sequence[str] = ()
    min_value: str | None = None
    max_value: str | None = None
    max_length: int | None = None


def validate_values(
    specs: Sequence[FieldSpec],
    values: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    loc_prefix: tuple[str | int, ...] = ("body", "custom_fields"),
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Merge ``values`` over ``existing`` and check every field.

    Returns the normalised values and the problems (each naming ``custom_fields.<key>``).
    Unknown keys are problems; ``None`` clears a value.
    """
    by_key = {spec.key: spec for spec in specs}
    merged: dict[str, Any] = dict(existing or {})
    problems: list[FieldProblem] = []
    for key, raw in values.items():
        spec = by_key.get(key)
        if spec is None:
            problems.append(FieldProblem((*loc_prefix, key), "unknown_field", "unknown field"))
            continue
        if raw is None or raw == "" or raw == []:
            merged.pop(key, None)
            continue
        try:
            merged[key] = _coerce(spec, raw)
        except ValueError as exc:
            problems.append(FieldProblem((*loc_prefix, key), "invalid", str(exc)))
    for spec in specs:
        if spec.required and merged.get(spec.key) in (None, "", []):
            problems.append(FieldProblem((*loc_prefix, spec.key), "required", "is required"))
    return merged, problems


def _coerce(spec: FieldSpec, raw: Any) -> Any:
    kind = spec.field_type
    if kind in (CustomFieldType.TEXT, CustomFieldType.LONG_TEXT):
        text = str(raw)
        if spec.max_length is not None and len(text) > spec.max_length:
            raise ValueError(f"must be at most {spec.max_length} characters")
        return text
    if kind is CustomFieldType.INTEGER:
        number = _integer(raw)
        _check_range(spec, Decimal(number))
        return number
    if kind in (CustomFieldType.DECIMAL, CustomFieldType.MONEY):
        decimal = _decimal(raw)
        _check_range(spec, decimal)
        return str(decimal)
    if kind is CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if kind is CustomFieldType.BOOLEAN:
        return _boolean(raw)
    if kind is CustomFieldType.SELECT:
        if str(raw) not in spec.choices:
            raise ValueError(f"must be one of {list(spec.choices)}")
        return str(raw)
    if kind is CustomFieldType.MULTI_SELECT:
        items = raw if isinstance(raw, list) else [s.strip() for s in str(raw).split(",")]
        bad = [str(i) for i in items if str(i) not in spec.choices]
        if bad:
            raise ValueError(f"{bad} not among {list(spec.choices)}")
        return sorted({str(i) for i in items})
    if kind is CustomFieldType.URL:
        if not _URL.match(str(raw)):
            raise ValueError("must be an http(s) URL")
        return str(raw)
    if not _EMAIL.match(str(raw)):
        raise ValueError("must be an e-mail address")
    return str(raw).lower()


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError("must be a whole number")
    if isinstance(raw, float):
        return int(raw)  # 7.0 from a JSON client; int("7.0") would refuse it
    try:
        return int(str(raw).replace(",", ""))
    except ValueError:
        raise ValueError("must be a whole number") from None


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    try:
        value = Decimal(str(raw).replace(",", ""))
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not value.is_finite():
        raise ValueError("must be a number")
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes", "y", "on", "はい"}:
        return True
    if text in {"false", "0", "no", "n", "off", "いいえ"}:
        return False
    raise ValueError("must be true or false")


def _check_range(spec: FieldSpec, value: Decimal) -> None:
    if spec.min_value is not None and value < Decimal(spec.min_value):
        raise ValueError(f"must be ≥ {spec.min_value}")
    if spec.max_value is not None and value > Decimal(spec.max_value):
        raise ValueError(f"must be ≤ {spec.max_value}")
