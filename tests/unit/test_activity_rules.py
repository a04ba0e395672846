"""Inquiry rules and SLA timings on plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kizuna.activity.rules import minutes_between, settle_inquiry
from kizuna.models.enums import ActivityKind, InquiryStatus

T0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)


def inquiry(**fields: Any) -> dict[str, Any]:
    return {"kind": ActivityKind.INQUIRY, "occurred_at": T0, **fields}


def test_opened_defaults_to_occurred_and_status_to_open() -> None:
    fields, problems = settle_inquiry(inquiry(), NOW)
    assert problems == []
    assert fields["opened_at"] == T0
    assert fields["inquiry_status"] is InquiryStatus.OPEN
    assert fields["resolved_at"] is None


def test_resolved_without_time_is_resolved_now() -> None:
    fields, _ = settle_inquiry(inquiry(inquiry_status=InquiryStatus.RESOLVED), NOW)
    assert fields["resolved_at"] == NOW


def test_resolved_time_implies_resolved_status() -> None:
    fields, _ = settle_inquiry(inquiry(resolved_at=T0 + timedelta(hours=2)), NOW)
    assert fields["inquiry_status"] is InquiryStatus.RESOLVED


def test_times_before_opening_are_problems() -> None:
    early = T0 - timedelta(minutes=1)
    _, problems = settle_inquiry(inquiry(first_response_at=early, resolved_at=early), NOW)
    assert sorted(str(p.loc[-1]) for p in problems) == ["first_response_at", "resolved_at"]


def test_other_kinds_carry_no_inquiry_fields() -> None:
    values = {"kind": ActivityKind.MEETING, "occurred_at": T0, "opened_at": T0}
    _, problems = settle_inquiry(values, NOW)
    assert [(p.loc[-1], p.code) for p in problems] == [("opened_at", "inquiry_only")]
    plain, none = settle_inquiry({"kind": ActivityKind.CALL, "occurred_at": T0}, NOW)
    assert none == []
    assert set(plain.values()) == {None}


def test_minutes_between() -> None:
    assert minutes_between(T0, T0 + timedelta(minutes=90, seconds=59)) == 90
    assert minutes_between(T0, None) is None
    assert minutes_between(None, T0) is None
