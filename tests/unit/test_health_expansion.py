"""Expansion signals from planted signal values: thresholds, evidence, strength order."""

from __future__ import annotations

import math
import uuid
from datetime import date

from kizuna.health.expansion import Context, OptionRule, find, signal_key

TODAY = date(2026, 6, 30)
ACCOUNT = str(uuid.UUID(int=1))
API = OptionRule(
    code="OPT-API",
    name="API連携オプション",
    name_en="API option",
    signal="usage:exported_rows:month",
    metric_name="エクスポート行数",
    metric_name_en="Exported rows",
    threshold=100_000,
)
NAN = math.nan


def values(**given: float) -> dict[str, float]:
    base = {
        "seat_activation": NAN,
        "seats": NAN,
        "days_to_renewal": NAN,
        "usage:exported_rows:month": NAN,
    }
    return {**base, **given}


def context(
    held: set[str] | None = None, health: tuple[str, float | None] | None = None
) -> Context:
    return Context(
        today=TODAY,
        held={ACCOUNT: held or set()},
        plans={ACCOUNT: ("スタンダードプラン", "Standard Plan")},
        health={ACCOUNT: health} if health else {},
    )


def kinds(found: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(row["kind"]): row for row in found}


def test_seats_nearly_used_up_from_ninety_percent() -> None:
    found = kinds(find(ACCOUNT, values(seat_activation=0.95, seats=20), [], context()))
    seats = found["seats"]
    assert seats["evidence"] == {
        "active_users": 19,
        "seats": 20,
        "utilisation": 0.95,
        "threshold": 0.9,
        "product": "スタンダードプラン",
        "product_en": "Standard Plan",
    }
    assert seats["strength"] == 0.625  # 0.5 at 90 %, +0.25 per 10 points
    assert seats["account_id"] == uuid.UUID(ACCOUNT)
    assert seats["detected_on"] == TODAY
    assert find(ACCOUNT, values(seat_activation=0.89, seats=20), [], context()) == []
    assert find(ACCOUNT, values(seat_activation=1.0, seats=0), [], context()) == []
    assert find(ACCOUNT, values(seat_activation=NAN, seats=20), [], context()) == []


def test_option_usage_counts_only_without_the_option() -> None:
    usage = values(**{"usage:exported_rows:month": 200_000})
    found = kinds(find(ACCOUNT, usage, [API], context()))
    option = found["option"]
    assert option["subject"] == "OPT-API"
    assert option["evidence"]["value"] == 200_000  # type: ignore[index]
    assert option["evidence"]["threshold"] == 100_000  # type: ignore[index]
    assert option["evidence"]["metric_name_en"] == "Exported rows"  # type: ignore[index]
    assert option["strength"] == 0.6  # 0.4 at the threshold, +0.2 per doubling
    assert find(ACCOUNT, usage, [API], context(held={"OPT-API"})) == []
    below = values(**{"usage:exported_rows:month": 99_999})
    assert find(ACCOUNT, below, [API], context()) == []


def test_renewal_needs_green_health_and_a_renewal_within_ninety_days() -> None:
    soon = values(days_to_renewal=30)
    found = kinds(find(ACCOUNT, soon, [], context(health=("green", 80.0))))
    assert found["renewal"]["evidence"] == {"score": 80.0, "band": "green", "days_to_renewal": 30}
    assert math.isclose(
        float(found["renewal"]["strength"]), 0.8 * (1 - 0.5 * 30 / 90), abs_tol=1e-4
    )
    assert find(ACCOUNT, soon, [], context(health=("yellow", 65.0))) == []
    assert find(ACCOUNT, soon, [], context()) == []  # not scored
    later = values(days_to_renewal=91)
    assert find(ACCOUNT, later, [], context(health=("green", 80.0))) == []


def test_sooner_and_healthier_renewals_are_stronger() -> None:
    def strength(days: float, score: float) -> float:
        row = find(ACCOUNT, values(days_to_renewal=days), [], context(health=("green", score)))
        return float(row[0]["strength"])

    assert strength(10, 80) > strength(80, 80)
    assert strength(30, 95) > strength(30, 75)


def test_signal_key_accepts_a_bare_metric_or_a_full_key() -> None:
    assert signal_key("exported_rows") == "usage:exported_rows:month"
    assert signal_key(" usage:api_calls:week ") == "usage:api_calls:week"
