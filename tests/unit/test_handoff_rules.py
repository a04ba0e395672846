"""Hand-off completeness, required fields, the status flow and the measures, on plain values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kizuna.handoff import fields, metrics, rules
from kizuna.handoff.rules import Action
from kizuna.models.handoff import HandoffStatus

EMPTY: dict[str, object] = {
    "mrr_amount": 0,
    "purpose": "",
    "success_criteria": "",
    "promises": "",
    "decision_maker_contact_id": None,
    "decision_maker_name": "",
    "decision_maker_title": "",
    "key_people": [],
    "expansion_departments": "",
    "expansion_headcount": None,
    "expansion_products": [],
    "risks": "",
    "sales_history": "",
}


def test_completeness_counts_each_field_once_and_rounds_half_up() -> None:
    assert fields.completeness(EMPTY) == 0
    one = {**EMPTY, "purpose": "勤怠の電子化"}
    assert fields.completeness(one) == 11  # 1/9 = 11.1 %
    # Several attributes of one field count once: decision maker name + title.
    two = {**one, "decision_maker_name": "山田", "decision_maker_title": "部長"}
    assert fields.completeness(two) == 22
    assert fields.completeness({**two, "risks": "予算"}) == 33  # 3/9 = 33.3
    full = {
        **EMPTY,
        "mrr_amount": 120_000,
        "purpose": "a",
        "success_criteria": "b",
        "promises": "c",
        "decision_maker_contact_id": uuid.uuid4(),
        "key_people": [{"name": "佐藤"}],
        "expansion_headcount": 300,
        "risks": "d",
        "sales_history": "e",
    }
    assert fields.completeness(full) == 100
    # 5/9 = 55.56 → 56; 4/9 = 44.4 → 44 (half up, whole numbers)
    five = {**EMPTY, "purpose": "a", "success_criteria": "b", "promises": "c", "risks": "d"}
    assert fields.completeness({**five, "sales_history": "e"}) == 56
    assert fields.completeness(five) == 44


@pytest.mark.parametrize(
    ("values", "field", "filled"),
    [
        ({"purpose": "   \n"}, "purpose", False),  # white space is empty
        ({"key_people": [{"name": " "}]}, "key_people", False),
        ({"key_people": [{"name": "佐藤", "title": ""}]}, "key_people", True),
        ({"expansion_headcount": 0}, "expansion_room", False),
        ({"expansion_products": ["HR-ANALYTICS"]}, "expansion_room", True),
        ({"expansion_departments": "営業部"}, "expansion_room", True),
        ({"decision_maker_title": "部長"}, "decision_maker", False),  # a title alone is not
        ({"mrr_amount": 1}, "mrr", True),
    ],
)
def test_what_counts_as_filled(values: dict[str, object], field: str, filled: bool) -> None:
    assert fields.is_filled(field, {**EMPTY, **values}) is filled


def test_missing_names_every_required_field_in_order() -> None:
    values = {**EMPTY, "promises": "導入支援3回"}
    assert fields.missing(values, fields.DEFAULT_REQUIRED) == [
        "purpose",
        "success_criteria",
        "decision_maker",
        "expansion_room",
    ]
    assert fields.missing(values, ["risks", "promises"]) == ["risks"]
    assert fields.missing(values, []) == []


def test_normalise_required_orders_and_refuses_unknown_keys() -> None:
    assert fields.normalise_required(["risks", "purpose"]) == ["purpose", "risks"]
    with pytest.raises(ValueError, match="budget"):
        fields.normalise_required(["budget"])


def test_status_flow() -> None:
    s = HandoffStatus
    assert rules.actions_for(s.DRAFT) == [Action.EDIT, Action.SUBMIT]
    assert rules.actions_for(s.RETURNED) == [Action.EDIT, Action.SUBMIT]
    assert rules.actions_for(s.SUBMITTED) == [Action.ACCEPT, Action.RETURN]
    assert rules.actions_for(s.ACCEPTED) == []  # final
    assert not rules.allowed(s.DRAFT, Action.ACCEPT)
    assert not rules.allowed(s.SUBMITTED, Action.EDIT)


T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def row(owner: uuid.UUID | None, status: str, **kw: object) -> metrics.Row:
    base: dict[str, object] = {
        "sales_owner_id": owner,
        "status": status,
        "completeness_at_submission": None,
        "first_submitted_at": None,
        "submitted_at": None,
        "accepted_at": None,
        "returns_count": 0,
    }
    return metrics.Row(**{**base, **kw})  # type: ignore[arg-type]


def test_measures() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    rows = [
        row(a, "draft"),
        # accepted after 24 h, never returned
        row(a, "accepted", completeness_at_submission=80, first_submitted_at=T0,
            submitted_at=T0, accepted_at=T0 + timedelta(hours=24)),
        # returned once, resubmitted after 2 days, accepted 12 h later: first 60 h, last 12 h
        row(b, "accepted", completeness_at_submission=100, first_submitted_at=T0,
            submitted_at=T0 + timedelta(hours=48), accepted_at=T0 + timedelta(hours=60),
            returns_count=1),
        row(b, "submitted", completeness_at_submission=60, first_submitted_at=T0,
            submitted_at=T0),
    ]  # fmt: skip
    total = metrics.figures(rows)
    assert (total.count, total.submitted, total.accepted, total.waiting) == (4, 3, 2, 1)
    assert total.median_hours_to_accept == 42.0  # median of 24 and 60
    assert total.median_hours_to_accept_last == 18.0  # median of 24 and 12
    assert total.average_completeness == 80.0  # (80 + 100 + 60) / 3
    assert total.share_returned == pytest.approx(1 / 3)
    owners = metrics.by_owner(rows)
    assert owners[a].median_hours_to_accept == 24.0
    assert owners[a].share_returned == 0.0
    assert owners[b].share_returned == 0.5
    assert metrics.figures([row(a, "draft")]).average_completeness is None
    assert metrics.figures([]).median_hours_to_accept is None


def test_naive_times_are_utc_and_zero_hours_count() -> None:
    naive = T0.replace(tzinfo=None)
    assert metrics.hours_between(naive, T0 + timedelta(hours=2)) == 2.0
    same = row(None, "accepted", first_submitted_at=T0, submitted_at=T0, accepted_at=T0)
    assert metrics.figures([same]).median_hours_to_accept == 0.0
