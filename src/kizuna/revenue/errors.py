"""Errors of the revenue feature."""

from __future__ import annotations

from datetime import date

from kizuna.kit.errors import Conflict


class MissingRate(Conflict):
    """An amount in ``currency`` must be reported on ``on`` but no rate is valid that day."""

    code = "missing_rate"

    def __init__(self, currency: str, on: date, reporting: str) -> None:
        super().__init__(
            f"no exchange rate {currency}→{reporting} valid on {on.isoformat()}: "
            f"add one with `kizuna rates set {currency} RATE --from DATE` "
            "or on the exchange-rates page",
            currency=currency,
            on=on.isoformat(),
            reporting=reporting,
        )
