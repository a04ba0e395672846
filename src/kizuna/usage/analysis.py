"""Small pure helpers for presenting usage periods."""

from __future__ import annotations

from datetime import date, timedelta

from kizuna.analytics.sources import Grain, period_start


def trend_start(today: date, grain: Grain, periods: int) -> date:
    """The start of the period ``periods - 1`` periods before today's."""
    current = period_start(today, grain)
    if grain == "day":
        return current - timedelta(days=periods - 1)
    if grain == "week":
        return current - timedelta(weeks=periods - 1)
    index = current.year * 12 + current.month - 1 - (periods - 1)
    return date(index // 12, index % 12 + 1, 1)
