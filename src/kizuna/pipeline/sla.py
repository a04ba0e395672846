"""The lead SLA clock. Pure: plain values only, unit-tested.

A lead passed at ``passed_at`` is due ``hours`` later. With ``business_days_only`` the
clock only runs on weekdays (Monday–Friday, in the company's zone): time on Saturdays
and Sundays does not count, so a lead passed on Friday at 18:00 with a 24-hour SLA is due
on Monday at 18:00, and one passed on Saturday starts its clock on Monday at 00:00.
Public holidays are not skipped (no holiday calendar is installed).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kizuna.kit.clock import ensure_utc

_SATURDAY = 5


def sla_due_at(
    passed_at: datetime, hours: int, *, business_days_only: bool, zone: str = "Asia/Tokyo"
) -> datetime:
    """When a lead passed at ``passed_at`` must be decided (aware UTC)."""
    if hours < 0:
        raise ValueError("hours must not be negative")
    start = ensure_utc(passed_at)
    if not business_days_only:
        return start + timedelta(hours=hours)
    tz = ZoneInfo(zone)
    # Walk on the zone's wall clock (naive), a day at a time; convert back at the end.
    cursor = start.astimezone(tz).replace(tzinfo=None)
    remaining = timedelta(hours=hours)
    while True:
        if cursor.weekday() >= _SATURDAY:
            cursor = datetime.combine(cursor.date() + timedelta(days=7 - cursor.weekday()), time(0))
            continue
        if remaining <= timedelta(0):
            break
        day_left = datetime.combine(cursor.date() + timedelta(days=1), time(0)) - cursor
        step = min(day_left, remaining)
        cursor += step
        remaining -= step
    return cursor.replace(tzinfo=tz).astimezone(UTC)


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """Still undecided after its due time."""
    return ensure_utc(now) > ensure_utc(due_at)


def late_by(due_at: datetime, now: datetime) -> timedelta:
    """How late an undecided lead is (zero when not yet due)."""
    late = ensure_utc(now) - ensure_utc(due_at)
    return max(late, timedelta(0))


def within_sla(due_at: datetime, decided_at: datetime | None) -> bool:
    """Decided (accepted or rejected) no later than its due time."""
    return decided_at is not None and ensure_utc(decided_at) <= ensure_utc(due_at)


def late_text(late: timedelta) -> tuple[int, int]:
    """(days, hours) of a lateness, for display ("2 d 5 h")."""
    hours = int(late.total_seconds() // 3600)
    return divmod(hours, 24)
