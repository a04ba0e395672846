"""The only clock. Times are stored in UTC and shown in the user's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Tokyo"


def utc_now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def today(zone: str = DEFAULT_ZONE) -> date:
    """Today's date in the given zone (business dates follow the user's calendar)."""
    return utc_now().astimezone(ZoneInfo(zone)).date()


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; a naive value is taken to be UTC already.

    SQLite hands back naive datetimes even for ``timezone=True`` columns, so every
    value read from storage passes through here.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_zone(value: datetime, zone: str = DEFAULT_ZONE) -> datetime:
    """Convert a stored UTC time to the user's zone for display."""
    return ensure_utc(value).astimezone(ZoneInfo(zone))
