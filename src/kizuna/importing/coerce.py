"""Turn one raw cell (text from CSV, a typed value from XLSX/Parquet) into a typed value.

Pure functions on plain values. Each raises ``CellError`` with a code and an English
message that the validation report shows next to the row, column and value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from kizuna.kit.money import MAX_AMOUNT, minor_digits, to_minor

_JP_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_SLASH_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_TRUE = {"true", "1", "yes", "y", "t", "on", "はい", "○", "◯", "有", "あり"}
_FALSE = {"false", "0", "no", "n", "f", "off", "いいえ", "×", "無", "なし"}
EXCEL_EPOCH = date(1899, 12, 30)


class CellError(ValueError):
    """A value that cannot become what its column needs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def text_of(raw: object) -> str:
    """Raw cell as normalised text (NFKC folds full-width digits and letters)."""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def to_text(raw: object, *, max_length: int | None = None) -> str:
    value = str(raw).strip() if not isinstance(raw, str) else raw.strip()
    if max_length is not None and len(value) > max_length:
        raise CellError("too_long", f"longer than {max_length} characters")
    return value


def to_int(raw: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(raw, bool):
        raise CellError("not_integer", "not a whole number")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and len(raw) < 19 and raw.isascii() and raw.isdigit():
        value = int(raw)  # fast path for plain digits ("1200"): same result, no Decimal
    else:
        number = to_decimal(raw)
        if number != number.to_integral_value():
            raise CellError("not_integer", "not a whole number")
        value = int(number)
    if minimum is not None and value < minimum:
        raise CellError("too_small", f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise CellError("too_large", f"must be at most {maximum}")
    return value


def to_decimal(raw: object) -> Decimal:
    """A number from text like "1,200", "１２００", "12.5%", or a numeric cell (never float
    arithmetic: floats from XLSX go through their shortest repr)."""
    if isinstance(raw, bool):
        raise CellError("not_number", "not a number")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit():
        value = Decimal(raw)  # fast path for plain digits ("1200"): nothing to clean
    elif isinstance(raw, int | float):
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        cleaned = text_of(raw).replace(",", "").replace("%", "").replace(" ", "")
        cleaned = cleaned.lstrip("¥$€£")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise CellError("not_number", "not a number") from None
    if not value.is_finite():
        raise CellError("not_number", "not a number")
    return value


def to_money(raw: object, currency: str, *, major_units: bool) -> int:
    """Integer minor units; ``major_units`` says the file gives e.g. 12.50 for $12.50."""
    value = to_decimal(raw)
    if major_units:
        scaled = value * (Decimal(10) ** minor_digits(currency))
        if scaled != scaled.to_integral_value():
            raise CellError(
                "too_many_decimals", f"{currency} has {minor_digits(currency)} decimals"
            )
        minor = to_minor(value, currency)
    else:
        if value != value.to_integral_value():
            raise CellError("not_integer", "amount in minor units must be whole")
        minor = int(value)
    if not 0 <= minor <= MAX_AMOUNT:
        raise CellError("out_of_range", "amount out of range")
    return minor


def to_date(raw: object, *, fmt: str | None = None) -> date:
    """ISO ``2026-04-01``, ``2026/4/1``, ``2026年4月1日``, an Excel date cell or serial."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return date.fromordinal(EXCEL_EPOCH.toordinal() + int(raw))
    text = text_of(raw)
    if fmt:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise CellError("not_date", f"not a date in the format {fmt}") from None
    for pattern in (_JP_DATE, _SLASH_DATE):
        match = pattern.match(text)
        if match:
            return _ymd(*match.groups())
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise CellError("not_date", "not a date (YYYY-MM-DD)") from None


def to_datetime(raw: object, *, zone: str, fmt: str | None = None) -> datetime:
    """Aware UTC; a value without a zone is read in ``zone`` (the file's, Asia/Tokyo)."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time())
    else:
        text = text_of(raw).replace("Z", "+00:00")
        try:
            value = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)  # noqa: DTZ007
        except ValueError:
            try:
                value = datetime.combine(to_date(text), time())
            except CellError:
                value = _slash_datetime(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def to_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = text_of(raw).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("not_boolean", "not true/false (はい/いいえ)")


def to_enum(raw: object, enum: type[StrEnum]) -> StrEnum:
    text = text_of(raw).casefold()
    for member in enum:
        if member.value == text:
            return member
    allowed = ", ".join(m.value for m in enum)
    raise CellError("unknown_value", f"not one of: {allowed}")


def to_list(raw: object, *, separator: str) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(v).strip() for v in raw if str(v).strip()]
    return [part.strip() for part in str(raw).split(separator) if part.strip()]


def _ymd(year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise CellError("not_date", "not a real calendar date") from None


def _slash_datetime(text: str) -> datetime:
    """``2026/04/01 10:30`` (Excel's Japanese default) and ``2026/4/1 9:05:00``."""
    for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied by the caller
        except ValueError:
            continue
    raise CellError("not_datetime", "not a date and time (YYYY-MM-DD HH:MM)")
