"""The domain-free toolkit: money, ids, clock, cursors, locales."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from kizuna.kit.clock import ensure_utc, to_zone
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import normalise_locale
from kizuna.kit.ids import uuid7
from kizuna.kit.money import format_money, to_major, to_minor
from kizuna.kit.pagination import Cursor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("1234", "JPY", 1234), ("1234.5", "JPY", 1235), ("12.34", "USD", 1234), ("0.005", "USD", 1)],
)
def test_to_minor_rounds_half_up(amount: str, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor


def test_to_major_is_decimal() -> None:
    assert to_major(1234, "USD") == Decimal("12.34")
    assert to_major(1234, "JPY") == Decimal(1234)


def test_format_money_per_locale() -> None:
    assert format_money(1_234_000, "JPY", "ja") == "¥1,234,000"
    assert format_money(1_234_000, "JPY", "en") == "¥1,234,000"
    assert format_money(123_456, "USD", "en") == "$1,234.56"


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(50)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    millis = [i.int >> 80 for i in ids]
    assert millis == sorted(millis)
    assert len(set(ids)) == 50


def test_ensure_utc_and_zone_conversion() -> None:
    naive = datetime(2026, 4, 1, 3, 0)  # noqa: DTZ001 - SQLite hands back naive UTC
    assert ensure_utc(naive) == datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    jst = timezone(timedelta(hours=9))
    assert ensure_utc(datetime(2026, 4, 1, 12, 0, tzinfo=jst)).hour == 3
    assert (
        to_zone(datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
        .isoformat()
        .startswith("2026-04-01T00:30")
    )


def test_cursor_round_trip_and_tampering() -> None:
    cursor = Cursor("2026-01-01", "0190a0a0-0000-7000-8000-000000000000")
    assert Cursor.decode(cursor.encode()) == cursor
    with pytest.raises(Invalid) as caught:
        Cursor.decode("not-a-cursor!!")
    assert caught.value.problems[0].loc == ("query", "cursor")


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "ja"), ("en-US", "en"), ("JA", "ja"), ("fr", "ja")]
)
def test_normalise_locale(value: str | None, expected: str) -> None:
    assert normalise_locale(value) == expected
