"""The hand-off status flow. Pure.

    draft ──submit──▶ submitted ──accept──▶ accepted (final)
                        │  ▲
                  return│  │submit
                        ▼  │
                      returned   (sales edits, then submits again)

Sales edits while draft or returned. Returning needs a reason. The person who submitted
cannot accept (nor return) their own hand-off.
"""

from __future__ import annotations

from enum import StrEnum

from kizuna.models.handoff import HandoffStatus


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"


ALLOWED: dict[Action, frozenset[HandoffStatus]] = {
    Action.EDIT: frozenset({HandoffStatus.DRAFT, HandoffStatus.RETURNED}),
    Action.SUBMIT: frozenset({HandoffStatus.DRAFT, HandoffStatus.RETURNED}),
    Action.ACCEPT: frozenset({HandoffStatus.SUBMITTED}),
    Action.RETURN: frozenset({HandoffStatus.SUBMITTED}),
}
TARGET: dict[Action, HandoffStatus] = {
    Action.SUBMIT: HandoffStatus.SUBMITTED,
    Action.ACCEPT: HandoffStatus.ACCEPTED,
    Action.RETURN: HandoffStatus.RETURNED,
}


def allowed(status: HandoffStatus, action: Action) -> bool:
    return status in ALLOWED[action]


def actions_for(status: HandoffStatus) -> list[Action]:
    """What can be done next to a hand-off in ``status`` (for pages and the API)."""
    return [a for a in Action if status in ALLOWED[a]]
