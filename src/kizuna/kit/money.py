"""Money: integer minor units plus an ISO 4217 currency. Never a float.

JPY has no minor unit, so ¥1,234 is stored as 1234; USD 12.34 as 1234.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

DEFAULT_CURRENCY = "JPY"
# The largest amount accepted anywhere (10^15 minor units: ¥1,000兆, or $10 trillion);
# far below BIGINT's limit, so bad input is refused by validation, never by the database.
MAX_AMOUNT = 10**15


def minor_digits(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (JPY 0, USD 2)."""
    return int(get_currency_precision(currency.upper()))


def to_minor(amount: Decimal | int | str, currency: str = DEFAULT_CURRENCY) -> int:
    """Major units (as a Decimal-able value) to integer minor units, rounding half up."""
    scale = Decimal(10) ** minor_digits(currency)
    value = (Decimal(str(amount)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


def to_major(minor: int, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Integer minor units to a Decimal in major units."""
    return Decimal(minor) / (Decimal(10) ** minor_digits(currency))


def format_money(minor: int, currency: str = DEFAULT_CURRENCY, locale: str = "ja") -> str:
    """Locale-formatted amount, e.g. ``¥1,234,000``.

    CLDR gives Japanese the full-width ``￥``; Japanese business documents and our users
    write the half-width ``¥``, so it is normalised.
    """
    text = str(format_currency(to_major(minor, currency), currency.upper(), locale=locale))
    return text.replace("￥", "¥")
