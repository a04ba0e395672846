"""Exchange rates by validity date. Pure: plain values in and out.

A rate says how many units of the reporting currency one unit of ``currency`` is worth,
from ``valid_from`` until the next rate of the same currency. Amounts are converted with
the rate valid on the day being measured.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from kizuna.kit.money import minor_digits
from kizuna.revenue.errors import MissingRate

RATE_PLACES = 10  # rates are stored with at most ten decimal places (Numeric(20, 10))


@dataclass(frozen=True)
class RateTable:
    """``{currency: [(valid_from, rate), …]}`` sorted by date."""

    by_currency: dict[str, list[tuple[date, Decimal]]] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, date, Decimal]]) -> RateTable:
        table: dict[str, list[tuple[date, Decimal]]] = {}
        for currency, valid_from, rate in rows:
            table.setdefault(currency, []).append((valid_from, rate))
        for entries in table.values():
            entries.sort()
        return cls(table)

    def rate_on(self, currency: str, on: date, reporting: str) -> Decimal:
        """The rate valid on ``on``; 1 for the reporting currency; MissingRate if none."""
        if currency == reporting:
            return Decimal(1)
        entries = self.by_currency.get(currency, [])
        i = bisect.bisect_right(entries, on, key=lambda e: e[0])
        if i == 0:
            raise MissingRate(currency, on, reporting)
        return entries[i - 1][1]

    def common_scale(self, currencies: Iterable[str]) -> int:
        """A denominator every multiplier of these currencies shares:
        10^(decimal places of their rates + minor digits), as small as exactness allows."""
        codes = list(currencies)
        places = max(
            (_places(rate) for c in codes for _, rate in self.by_currency.get(c, [])), default=0
        )
        digits = max((minor_digits(c) for c in codes), default=0)
        return int(10 ** (places + digits))

    def multiplier(self, currency: str, on: date, reporting: str, scale: int) -> int:
        """Integer M with ``reporting minor = currency minor × M / scale``, exactly."""
        rate = self.rate_on(currency, on, reporting)
        with localcontext() as ctx:
            ctx.prec = 80  # wide enough that this product is always exact
            exponent = minor_digits(reporting) - minor_digits(currency)
            exact = rate * Decimal(scale) * Decimal(10) ** exponent
        if exact != exact.to_integral_value():
            raise ValueError(f"rate {rate} has more than {RATE_PLACES} decimal places")
        return int(exact)


def _places(rate: Decimal) -> int:
    """Decimal places ``rate`` needs (150.2500 → 2, 150 → 0)."""
    exponent = rate.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0
