"""When schedules are due: daily/weekly local times (with and without DST) and intervals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kizuna.kit.errors import Invalid
from kizuna.models.schedule import CadenceKind
from kizuna.scheduler.cadence import Cadence, checked, describe, next_after

TOKYO = "Asia/Tokyo"
NEW_YORK = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_daily_in_tokyo_is_the_next_five_oclock_local() -> None:
    five = Cadence.daily(time(5, 0))
    assert next_after(five, TOKYO, utc(2026, 11, 23, 19, 0)) == utc(2026, 11, 23, 20, 0)
    assert next_after(five, TOKYO, utc(2026, 11, 23, 21, 0)) == utc(2026, 11, 24, 20, 0)


def test_daily_is_strictly_after_so_a_run_at_the_slot_moves_on() -> None:
    five = Cadence.daily(time(5, 0))
    assert next_after(five, TOKYO, utc(2026, 11, 23, 20, 0)) == utc(2026, 11, 24, 20, 0)


def test_tokyo_has_no_dst_so_the_utc_time_never_changes() -> None:
    five = Cadence.daily(time(5, 0))
    moment = utc(2026, 1, 1, 0, 0)
    for _ in range(400):
        moment = next_after(five, TOKYO, moment)
        assert (moment.hour, moment.minute) == (20, 0)


def test_a_zone_with_dst_keeps_the_local_time_across_both_changes() -> None:
    nine = Cadence.daily(time(9, 0))
    # New York: EST (UTC−5) until 8 March 2026, EDT (UTC−4) until 1 November 2026
    assert next_after(nine, NEW_YORK, utc(2026, 3, 7, 15, 0)) == utc(2026, 3, 8, 13, 0)
    assert next_after(nine, NEW_YORK, utc(2026, 3, 6, 15, 0)) == utc(2026, 3, 7, 14, 0)
    assert next_after(nine, NEW_YORK, utc(2026, 10, 31, 14, 0)) == utc(2026, 11, 1, 14, 0)
    moment = utc(2026, 1, 1)
    for _ in range(400):
        moment = next_after(nine, NEW_YORK, moment)
        assert moment.astimezone(ZoneInfo(NEW_YORK)).time() == time(9, 0)


def test_a_time_in_the_skipped_hour_runs_once_just_after_the_jump() -> None:
    half_past_two = Cadence.daily(time(2, 30))
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day
    run = next_after(half_past_two, NEW_YORK, utc(2026, 3, 8, 5, 0))
    assert run == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert next_after(half_past_two, NEW_YORK, run) == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


def test_a_time_in_the_repeated_hour_runs_once_at_its_first_occurrence() -> None:
    half_past_one = Cadence.daily(time(1, 30))
    # 1 November 2026: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice
    run = next_after(half_past_one, NEW_YORK, utc(2026, 11, 1, 4, 0))
    assert run == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first one
    assert next_after(half_past_one, NEW_YORK, run) == utc(2026, 11, 2, 6, 30)  # next day EST


def test_weekly_is_the_next_such_weekday_at_the_local_time() -> None:
    monday_four = Cadence.weekly(0, time(4, 0))
    # Monday 23 November 2026, 04:00 in Tokyo = Sunday 22nd 19:00 UTC
    assert next_after(monday_four, TOKYO, utc(2026, 11, 20, 0, 0)) == utc(2026, 11, 22, 19, 0)
    assert next_after(monday_four, TOKYO, utc(2026, 11, 22, 19, 0)) == utc(2026, 11, 29, 19, 0)
    # later on the Monday itself: next week
    assert next_after(monday_four, TOKYO, utc(2026, 11, 23, 1, 0)) == utc(2026, 11, 29, 19, 0)


def test_weekly_across_a_dst_change_keeps_the_local_time() -> None:
    sunday_ten = Cadence.weekly(6, time(10, 0))
    first = next_after(sunday_ten, NEW_YORK, utc(2026, 3, 2))
    second = next_after(sunday_ten, NEW_YORK, first)
    assert first == utc(2026, 3, 8, 14, 0)  # the change happened that night: already EDT
    assert second == utc(2026, 3, 15, 14, 0)
    assert next_after(sunday_ten, NEW_YORK, utc(2026, 2, 27)) == utc(2026, 3, 1, 15, 0)


def test_every_n_minutes_is_a_fixed_utc_grid() -> None:
    hourly = Cadence.every(60)
    assert next_after(hourly, TOKYO, utc(2026, 11, 23, 10, 0)) == utc(2026, 11, 23, 11, 0)
    assert next_after(hourly, TOKYO, utc(2026, 11, 23, 10, 59, 59)) == utc(2026, 11, 23, 11, 0)
    quarter = Cadence.every(15)
    assert next_after(quarter, "UTC", utc(2026, 11, 23, 10, 7)) == utc(2026, 11, 23, 10, 15)
    assert next_after(quarter, NEW_YORK, utc(2026, 11, 23, 10, 15)) == utc(2026, 11, 23, 10, 30)


def test_a_long_outage_gives_one_next_run_not_a_backlog() -> None:
    five = Cadence.daily(time(5, 0))
    week_late = utc(2026, 11, 30, 22, 0)  # a week of missed runs
    assert next_after(five, TOKYO, week_late) == utc(2026, 12, 1, 20, 0)
    assert next_after(Cadence.every(5), TOKYO, week_late) == week_late + timedelta(minutes=5)


def test_the_result_is_aware_utc_whatever_zone_the_input_is_in() -> None:
    local = datetime(2026, 11, 24, 4, 0, tzinfo=ZoneInfo(TOKYO))
    run = next_after(Cadence.daily(time(5, 0)), TOKYO, local)
    assert run.tzinfo == UTC
    assert run == utc(2026, 11, 23, 20, 0)
    with pytest.raises(ValueError, match="aware"):
        next_after(Cadence.daily(time(5, 0)), TOKYO, datetime(2026, 11, 24, 4, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("cadence", "field"),
    [
        (Cadence(CadenceKind.WEEKLY, at=time(4, 0), weekday=7), "weekday"),
        (Cadence(CadenceKind.WEEKLY, at=time(4, 0)), "weekday"),
        (Cadence(CadenceKind.INTERVAL, every_minutes=0), "every_minutes"),
        (Cadence(CadenceKind.INTERVAL, every_minutes=7 * 24 * 60 + 1), "every_minutes"),
        (Cadence(CadenceKind.DAILY), "at"),
        (Cadence(CadenceKind.DAILY, at=time(5, 0, tzinfo=UTC)), "at"),
    ],
)
def test_bad_cadences_are_refused_naming_the_field(cadence: Cadence, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        checked(cadence)
    assert [p.loc[-1] for p in caught.value.problems] == [field]


def test_the_constructors_check_what_they_build() -> None:
    with pytest.raises(Invalid):
        Cadence.every(0)
    with pytest.raises(Invalid):
        Cadence.weekly(-1, time(4, 0))
    assert checked(Cadence.every(7 * 24 * 60)).every_minutes == 7 * 24 * 60


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        next_after(Cadence.daily(time(5, 0)), "Mars/Olympus", utc(2026, 1, 1))
    assert caught.value.problems[0].loc[-1] == "zone"


def test_describe_in_words() -> None:
    assert describe(Cadence.daily(time(5, 0))) == "daily at 05:00"
    assert describe(Cadence.weekly(0, time(4, 0))) == "every Monday at 04:00"
    assert describe(Cadence.every(60)) == "every hour"
    assert describe(Cadence.every(120)) == "every 2 hours"
    assert describe(Cadence.every(15)) == "every 15 minutes"
