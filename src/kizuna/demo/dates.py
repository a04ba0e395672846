"""Calendar helpers for the demo: month arithmetic and business hours in Japan."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """First day of the month ``months`` after the month holding ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def jst_midnight_utc(day: date) -> datetime:
    """The instant a JST calendar day begins, as aware UTC."""
    return datetime.combine(day, time(0), JST).astimezone(UTC)


def business_days(first: date, until: date) -> list[date]:
    """Weekdays in ``[first, until)``."""
    days = []
    day = first
    while day < until:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def business_time(rng: random.Random, first: date, until: date) -> datetime | None:
    """A random weekday moment between 9:00 and 18:00 JST in ``[first, until)``, as UTC.

    None when the range holds no weekday (e.g. the current month on its first days).
    """
    days = business_days(first, until)
    if not days:
        return None
    day = rng.choice(days)
    minute = rng.randrange(9 * 60, 18 * 60)
    local = datetime.combine(day, time(minute // 60, minute % 60), JST)
    return local.astimezone(UTC)


def jst_date(moment: datetime) -> date:
    """The JST calendar date of an aware instant."""
    return moment.astimezone(JST).date()
