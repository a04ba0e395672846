"""Task rules: the status flow, the outcome vocabulary, where a task sits in the cockpit
(today / overdue / upcoming / no date) and the checklist. Pure: no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from kizuna.kit.errors import Conflict, FieldProblem, Invalid
from kizuna.models.task import TaskStatus

SOURCES = ("manual", "playbook")
MAX_STEPS = 50
MAX_STEP_TITLE = 300


class Outcome(StrEnum):
    """How a completed task ended (stored in ``task.outcome``)."""

    DONE_SUCCESS = "done_success"
    DONE_NO_RESPONSE = "done_no_response"
    DONE_RESCHEDULED = "done_rescheduled"
    NOT_NEEDED = "not_needed"


class Bucket(StrEnum):
    """Where an open task shows in the cockpit, as of the viewer's today."""

    TODAY = "today"  # due today or earlier, not snoozed
    OVERDUE = "overdue"  # due before today (snoozed or not)
    UPCOMING = "upcoming"  # due later, or snoozed past today
    NO_DATE = "no_date"  # no due date and not snoozed


# Which action may leave which status. Anything else is a Conflict.
_ALLOWED: dict[str, frozenset[TaskStatus]] = {
    "update": frozenset({TaskStatus.OPEN}),
    "complete": frozenset({TaskStatus.OPEN}),
    "cancel": frozenset({TaskStatus.OPEN}),
    "snooze": frozenset({TaskStatus.OPEN}),
    "reassign": frozenset({TaskStatus.OPEN}),
    "tick": frozenset({TaskStatus.OPEN}),
    "reopen": frozenset({TaskStatus.DONE, TaskStatus.CANCELLED}),
}


def check_transition(status: TaskStatus, action: str) -> None:
    """Raise Conflict when ``action`` is not allowed on a task in ``status``."""
    if status not in _ALLOWED[action]:
        raise Conflict(
            f"cannot {action} a task that is {status.value}",
            code="task_state",
            status=status.value,
            action=action,
        )


def is_snoozed(snoozed_until: date | None, today: date) -> bool:
    return snoozed_until is not None and snoozed_until > today


def bucket(due_on: date | None, snoozed_until: date | None, today: date) -> Bucket:
    """The cockpit tab an open task belongs to first (Today wins over Overdue)."""
    snoozed = is_snoozed(snoozed_until, today)
    if due_on is not None and due_on <= today and not snoozed:
        return Bucket.TODAY
    if due_on is not None and due_on < today:
        return Bucket.OVERDUE
    if snoozed or (due_on is not None and due_on > today):
        return Bucket.UPCOMING
    return Bucket.NO_DATE


def days_late(due_on: date | None, today: date) -> int:
    """Days past the due date (0 when not late or undated)."""
    if due_on is None or due_on >= today:
        return 0
    return (today - due_on).days


def snooze_choice(choice: str, today: date) -> date:
    """The date behind a quick snooze button: ``tomorrow`` or ``next_week`` (next Monday)."""
    if choice == "tomorrow":
        return today + timedelta(days=1)
    if choice == "next_week":
        return today + timedelta(days=7 - today.weekday())
    raise Invalid.field("choice", "must be tomorrow or next_week", code="invalid_choice")


def check_snooze_date(until: date, today: date) -> None:
    if until <= today:
        raise Invalid.field("until", "must be after today", code="not_in_future")


def clean_steps(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate a checklist: ``[{"title": str, "done": bool}, ...]``, titles required."""
    if len(steps) > MAX_STEPS:
        raise Invalid.field("steps", f"at most {MAX_STEPS} steps", code="too_many")
    out: list[dict[str, Any]] = []
    problems: list[FieldProblem] = []
    for i, step in enumerate(steps):
        title = str(step.get("title") or "").strip()
        if not title or len(title) > MAX_STEP_TITLE:
            problems.append(
                FieldProblem(
                    ("body", "steps", i, "title"),
                    "invalid_step",
                    f"a step needs a title of 1–{MAX_STEP_TITLE} characters",
                )
            )
            continue
        out.append({"title": title, "done": bool(step.get("done"))})
    if problems:
        raise Invalid(problems)
    return out


def tick(steps: Sequence[dict[str, Any]], index: int, done: bool) -> list[dict[str, Any]]:
    """A copy of ``steps`` with step ``index`` marked done or not."""
    if not 0 <= index < len(steps):
        raise Invalid(FieldProblem(("path", "index"), "no_such_step", "no such step"))
    out = [dict(s) for s in steps]
    out[index]["done"] = bool(done)
    return out


def steps_progress(steps: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(done, total) of a checklist."""
    return sum(1 for s in steps if s.get("done")), len(steps)
