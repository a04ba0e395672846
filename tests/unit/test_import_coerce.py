"""Cell coercion for imports: every type, Japanese forms, clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kizuna.importing.coerce import (
    CellError,
    to_bool,
    to_date,
    to_datetime,
    to_decimal,
    to_enum,
    to_int,
    to_list,
    to_money,
)
from kizuna.models.enums import Tier


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,200", 1200), ("１２００", 1200), (7, 7), (7.0, 7), ("3.0", 3)],
)
def test_int(raw: object, expected: int) -> None:
    assert to_int(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("1.5", "not_integer"), ("abc", "not_number"), (True, "not_integer"), ("-1", "too_small")],
)
def test_int_errors(raw: object, code: str) -> None:
    with pytest.raises(CellError) as caught:
        to_int(raw, minimum=0)
    assert caught.value.code == code


def test_decimal_never_goes_through_float_arithmetic() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("12.5%") == Decimal("12.5")


@pytest.mark.parametrize(
    ("raw", "currency", "major", "minor"),
    [
        ("¥12,000", "JPY", True, 12000),
        ("12.50", "USD", True, 1250),
        ("1250", "USD", False, 1250),
        (99.99, "USD", True, 9999),
    ],
)
def test_money(raw: object, currency: str, major: bool, minor: int) -> None:
    assert to_money(raw, currency, major_units=major) == minor


def test_money_refuses_sub_yen_and_negative() -> None:
    with pytest.raises(CellError, match="decimals"):
        to_money("12.5", "JPY", major_units=True)
    with pytest.raises(CellError, match="range"):
        to_money("-1", "JPY", major_units=True)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-04-01",
        "2026/4/1",
        "2026/04/01",
        "2026年4月1日",
        "２０２６年４月１日",
        date(2026, 4, 1),
        datetime(2026, 4, 1, 9, 0),  # noqa: DTZ001 - an Excel cell has no zone
        46113,
        "2026-04-01T00:00:00Z",
    ],
)
def test_date_forms(raw: object) -> None:
    assert to_date(raw) == date(2026, 4, 1)


def test_date_errors_and_explicit_format() -> None:
    with pytest.raises(CellError):
        to_date("2026/02/30")
    with pytest.raises(CellError):
        to_date("yesterday")
    assert to_date("01.04.2026", fmt="%d.%m.%Y") == date(2026, 4, 1)


def test_datetime_zone_rules() -> None:
    assert to_datetime("2026-04-01 09:00", zone="Asia/Tokyo") == datetime(
        2026, 4, 1, 0, 0, tzinfo=UTC
    )
    assert to_datetime("2026/04/01 09:00", zone="Asia/Tokyo").hour == 0
    assert to_datetime("2026-04-01T09:00:00Z", zone="Asia/Tokyo").hour == 9
    assert to_datetime("2026-04-01", zone="UTC") == datetime(2026, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("はい", True), ("○", True), ("FALSE", False), ("いいえ", False), (1, True)],
)
def test_bool(raw: object, expected: bool) -> None:
    assert to_bool(raw) is expected


def test_enum_and_list() -> None:
    assert to_enum("TIER1", Tier) is Tier.TIER1
    with pytest.raises(CellError, match="tier1"):
        to_enum("gold", Tier)
    assert to_list("決裁者; 管理者;", separator=";") == ["決裁者", "管理者"]
