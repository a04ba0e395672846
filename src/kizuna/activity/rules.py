"""Inquiry (問い合わせ) rules and SLA timings. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kizuna.kit.errors import FieldProblem
from kizuna.models.enums import ActivityKind, InquiryStatus

INQUIRY_FIELDS = ("inquiry_status", "opened_at", "first_response_at", "resolved_at")


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole minutes from ``start`` to ``end`` (None when either is missing)."""
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


def settle_inquiry(
    values: Mapping[str, Any], now: datetime
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Complete and check the inquiry fields of an activity as it will be stored.

    ``values`` holds ``kind``, ``occurred_at`` and the four inquiry fields. Returns the
    inquiry fields to store and the problems. For an inquiry: ``opened_at`` defaults to
    ``occurred_at``; the status defaults to resolved when ``resolved_at`` is given, else
    open; status resolved without ``resolved_at`` is resolved ``now``; first response and
    resolution cannot precede the opening. Other kinds carry no inquiry fields.
    """
    fields: dict[str, Any] = {name: values.get(name) for name in INQUIRY_FIELDS}
    if values["kind"] != ActivityKind.INQUIRY:
        return fields, [
            FieldProblem(("body", name), "inquiry_only", "only inquiries have this field")
            for name, value in fields.items()
            if value is not None
        ]
    if fields["opened_at"] is None:
        fields["opened_at"] = values["occurred_at"]
    if fields["inquiry_status"] is None:
        resolved = fields["resolved_at"] is not None
        fields["inquiry_status"] = InquiryStatus.RESOLVED if resolved else InquiryStatus.OPEN
    if fields["inquiry_status"] == InquiryStatus.RESOLVED and fields["resolved_at"] is None:
        fields["resolved_at"] = now
    problems = [
        FieldProblem(("body", name), "before_opened", f"{name} must not be before opened_at")
        for name in ("first_response_at", "resolved_at")
        if fields[name] is not None and fields[name] < fields["opened_at"]
    ]
    return fields, problems
