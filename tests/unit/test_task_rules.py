"""Task rules and KAI periods on plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kizuna.kit.errors import Conflict, Invalid
from kizuna.models.task import TaskStatus
from kizuna.task import periods, rules
from kizuna.task.rules import Bucket
from kizuna.task.schemas import Period

TODAY = date(2026, 4, 15)  # a Wednesday


@pytest.mark.parametrize(
    ("due", "snoozed", "expected"),
    [
        (TODAY, None, Bucket.TODAY),
        (date(2026, 4, 1), None, Bucket.TODAY),  # overdue shows today too
        (date(2026, 4, 1), date(2026, 4, 20), Bucket.OVERDUE),  # snoozed: only overdue
        (TODAY, date(2026, 4, 16), Bucket.UPCOMING),
        (TODAY, TODAY, Bucket.TODAY),  # a snooze ending today is over
        (date(2026, 5, 1), None, Bucket.UPCOMING),
        (None, None, Bucket.NO_DATE),
        (None, date(2026, 4, 16), Bucket.UPCOMING),
    ],
)
def test_bucket(due: date | None, snoozed: date | None, expected: Bucket) -> None:
    assert rules.bucket(due, snoozed, TODAY) is expected


def test_transitions() -> None:
    rules.check_transition(TaskStatus.OPEN, "complete")
    rules.check_transition(TaskStatus.DONE, "reopen")
    for status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        for action in ("complete", "cancel", "snooze", "update", "reassign", "tick"):
            with pytest.raises(Conflict):
                rules.check_transition(status, action)
    with pytest.raises(Conflict):
        rules.check_transition(TaskStatus.OPEN, "reopen")


def test_snooze_choices() -> None:
    assert rules.snooze_choice("tomorrow", TODAY) == date(2026, 4, 16)
    assert rules.snooze_choice("next_week", TODAY) == date(2026, 4, 20)  # next Monday
    assert rules.snooze_choice("next_week", date(2026, 4, 20)) == date(2026, 4, 27)
    with pytest.raises(Invalid):
        rules.snooze_choice("someday", TODAY)
    with pytest.raises(Invalid):
        rules.check_snooze_date(TODAY, TODAY)


def test_steps() -> None:
    steps = rules.clean_steps([{"title": " 資料 "}, {"title": "日程", "done": True}])
    assert steps == [{"title": "資料", "done": False}, {"title": "日程", "done": True}]
    assert rules.tick(steps, 0, True)[0]["done"] is True
    assert steps[0]["done"] is False  # a copy
    assert rules.steps_progress(steps) == (1, 2)
    with pytest.raises(Invalid) as exc:
        rules.clean_steps([{"title": "ok"}, {"title": "  "}])
    assert exc.value.problems[0].loc == ("body", "steps", 1, "title")
    with pytest.raises(Invalid):
        rules.tick(steps, 2, True)
    assert rules.days_late(date(2026, 4, 10), TODAY) == 5
    assert rules.days_late(None, TODAY) == 0


def test_periods() -> None:
    assert periods.period_start(TODAY, Period.WEEK) == date(2026, 4, 13)
    assert periods.period_start(TODAY, Period.MONTH) == date(2026, 4, 1)
    assert periods.period_start(date(2026, 12, 31), Period.QUARTER) == date(2026, 10, 1)
    assert periods.next_start(date(2026, 10, 1), Period.QUARTER) == date(2027, 1, 1)
    assert periods.next_start(date(2026, 12, 1), Period.MONTH) == date(2027, 1, 1)
    spans = periods.periods(date(2026, 1, 15), date(2026, 3, 2), Period.MONTH)
    assert spans == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    assert periods.index_of(date(2026, 2, 28), spans) == 1
    assert periods.index_of(date(2026, 3, 31), spans) == 2
    assert periods.index_of(date(2025, 12, 31), spans) is None
    assert periods.index_of(date(2026, 4, 1), spans) is None
    assert periods.default_range(TODAY, Period.WEEK) == (date(2026, 3, 9), TODAY)
    with pytest.raises(Invalid):
        periods.periods(date(2026, 3, 1), date(2026, 2, 1), Period.MONTH)
    with pytest.raises(Invalid):
        periods.periods(date(2000, 1, 1), date(2026, 1, 1), Period.WEEK)


def test_zone_bounds_and_local_days() -> None:
    start, end = periods.utc_bounds(date(2026, 2, 1), date(2026, 2, 28), "Asia/Tokyo")
    assert start == datetime(2026, 1, 31, 15, tzinfo=UTC)
    assert end == datetime(2026, 2, 28, 15, tzinfo=UTC)
    naive = datetime(2026, 1, 31, 15, 30, tzinfo=UTC).replace(tzinfo=None)  # as SQLite gives
    assert periods.local_day(naive, "Asia/Tokyo") == date(2026, 2, 1)
    assert periods.local_day(datetime(2026, 1, 31, 15, 30, tzinfo=UTC), "UTC") == date(2026, 1, 31)
