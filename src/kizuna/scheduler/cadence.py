"""When a schedule is due: daily or weekly at a local wall-clock time, or every N minutes.

Pure functions of plain values (unit-tested without a database).

- **Daily / weekly** times are wall-clock times in the schedule's IANA zone, so "05:00 in
  Asia/Tokyo" stays 05:00 all year, and a zone with daylight-saving time keeps its local
  time across the change. On the day clocks go forward, a time inside the skipped hour runs
  at the same distance after the jump (02:30 in New York runs at 03:30 EDT); on the day they
  go back, a time inside the repeated hour runs once, at its first occurrence.
- **Every N minutes** is a fixed grid counted from the Unix epoch in UTC (every 60 minutes
  runs on the hour, every 15 at :00, :15, :30, :45), so runs do not drift with how long a
  tick took, and zone changes do not matter.

:func:`next_after` always returns an instant strictly after the one it is given, which is
what makes a scheduler that was down for a week run a missed job once, not seven times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.schedule import CadenceKind

MAX_EVERY_MINUTES = 7 * 24 * 60  # a week; longer intervals are a weekly schedule
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cadence:
    """How often a schedule runs. Build with :meth:`daily`, :meth:`weekly` or :meth:`every`."""

    kind: CadenceKind
    at: time | None = None  # daily, weekly: local wall-clock time (seconds ignored)
    weekday: int | None = None  # weekly: 0 = Monday … 6 = Sunday
    every_minutes: int | None = None  # interval

    @classmethod
    def daily(cls, at: time) -> Cadence:
        return checked(cls(CadenceKind.DAILY, at=at))

    @classmethod
    def weekly(cls, weekday: int, at: time) -> Cadence:
        return checked(cls(CadenceKind.WEEKLY, at=at, weekday=weekday))

    @classmethod
    def every(cls, minutes: int) -> Cadence:
        return checked(cls(CadenceKind.INTERVAL, every_minutes=minutes))


def checked(cadence: Cadence) -> Cadence:
    """``cadence`` if it is complete and in range; Invalid naming each bad field otherwise."""
    problems: list[FieldProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(FieldProblem(("body", name), "invalid", message))

    if cadence.kind in (CadenceKind.DAILY, CadenceKind.WEEKLY):
        if cadence.at is None:
            bad("at", "a daily or weekly schedule needs a time of day")
        elif cadence.at.tzinfo is not None:
            bad("at", "the time of day is local to the schedule's zone: give it without a zone")
    if cadence.kind == CadenceKind.WEEKLY and (
        cadence.weekday is None or not 0 <= cadence.weekday <= 6
    ):
        bad("weekday", "the weekday must be 0 (Monday) to 6 (Sunday)")
    if cadence.kind == CadenceKind.INTERVAL and (
        cadence.every_minutes is None or not 1 <= cadence.every_minutes <= MAX_EVERY_MINUTES
    ):
        bad("every_minutes", f"the interval must be 1 to {MAX_EVERY_MINUTES} minutes")
    if problems:
        raise Invalid(problems)
    return cadence


def check_zone(zone: str) -> ZoneInfo:
    """The zone named ``zone``; Invalid (field ``zone``) when there is no such IANA zone."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("zone", f"unknown time zone {zone!r}") from None


def next_after(cadence: Cadence, zone: str, after: datetime) -> datetime:
    """The first instant the cadence is due strictly after ``after`` (aware), as aware UTC."""
    if after.tzinfo is None:
        raise ValueError("next_after needs an aware datetime")
    after_utc = after.astimezone(UTC)
    if cadence.kind == CadenceKind.INTERVAL:
        assert cadence.every_minutes is not None
        step = timedelta(minutes=cadence.every_minutes)
        return _EPOCH + ((after_utc - _EPOCH) // step + 1) * step
    assert cadence.at is not None
    tz = check_zone(zone)
    at = cadence.at.replace(second=0, microsecond=0, tzinfo=None)
    day = after_utc.astimezone(tz).date()
    if cadence.kind == CadenceKind.WEEKLY:
        assert cadence.weekday is not None
        day += timedelta(days=(cadence.weekday - day.weekday()) % 7)
    step_days = 7 if cadence.kind == CadenceKind.WEEKLY else 1
    while True:
        # fold=0: a repeated local time means its first occurrence; a skipped one is
        # read with the offset before the jump (so it lands just after it).
        candidate = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        if candidate > after_utc:  # compared in UTC: same-zone comparisons ignore fold
            return candidate
        day += timedelta(days=step_days)


def describe(cadence: Cadence) -> str:
    """The cadence in English words, for the CLI and logs (pages translate their own)."""
    if cadence.kind == CadenceKind.INTERVAL:
        minutes = cadence.every_minutes or 0
        if minutes % 60 == 0:
            hours = minutes // 60
            return "every hour" if hours == 1 else f"every {hours} hours"
        return "every minute" if minutes == 1 else f"every {minutes} minutes"
    at = cadence.at.strftime("%H:%M") if cadence.at else "?"
    if cadence.kind == CadenceKind.WEEKLY:
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return f"every {names[cadence.weekday or 0]} at {at}"
    return f"daily at {at}"
