"""Status flows of leads and opportunities, and the term of a won line. Pure.

Leads: ``passed`` → ``accepted`` (sales takes it; an opportunity is created) |
``rejected`` (sales declines, with a reason) | ``withdrawn`` (the CSM takes it back).
Only a passed lead can move; the other three are final.

Opportunities: the open stages (qualification, proposal, negotiation) move freely among
each other; ``won`` and ``lost`` are reached through their own use cases (winning writes a
subscription line, losing needs a reason) and are final: reopening is refused.
"""

from __future__ import annotations

from datetime import date

from kizuna.kit.errors import Conflict, Invalid
from kizuna.models.pipeline import LeadStatus, OpportunityStage
from kizuna.subscription.terms import add_months

LEAD_ACTIONS = ("accept", "reject", "withdraw")
OPEN_STAGES = (
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)
CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)
DEFAULT_TERM_MONTHS = 12
MAX_TERM_MONTHS = 120


def check_lead_action(status: LeadStatus, action: str) -> None:
    """Raise Conflict unless ``action`` may be done to a lead in ``status``."""
    if action not in LEAD_ACTIONS:
        raise ValueError(f"unknown lead action {action!r}")
    if status is not LeadStatus.PASSED:
        raise Conflict(
            f"cannot {action} a lead that is {status.value}; only passed leads can be decided",
            code="lead_state",
            status=status.value,
            action=action,
        )


def is_open(stage: OpportunityStage) -> bool:
    return stage in OPEN_STAGES


def check_open(stage: OpportunityStage, action: str) -> None:
    """Raise Conflict when the opportunity is already won or lost (final)."""
    if not is_open(stage):
        raise Conflict(
            f"cannot {action} an opportunity that is {stage.value}; won and lost are final",
            code="opportunity_closed",
            stage=stage.value,
            action=action,
        )


def check_stage_move(current: OpportunityStage, target: OpportunityStage) -> None:
    """A stage move between open stages; won and lost have their own use cases."""
    check_open(current, "move")
    if target is OpportunityStage.WON:
        raise Invalid.field("stage", "use win: it asks for the start date and quantity", "use_win")
    if target is OpportunityStage.LOST:
        raise Invalid.field("stage", "use lose: a lost opportunity needs a reason", "use_lose")


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``, rounded up (at least 1)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) < end:
        months += 1
    while months > 1 and add_months(start, months - 1) >= end:
        months -= 1
    return max(1, months)


def won_line_term(start_on: date, current_ends: list[date]) -> tuple[date, int]:
    """(end_on, term_months) of the line a won opportunity writes.

    Co-terminous with the account's current contract, i.e. the latest end of its lines
    active on ``start_on`` (``current_ends``), when that is after ``start_on``; otherwise a
    12-month term from ``start_on``.
    """
    later = [end for end in current_ends if end > start_on]
    if later:
        end_on = max(later)
        return end_on, min(MAX_TERM_MONTHS, months_between(start_on, end_on))
    return add_months(start_on, DEFAULT_TERM_MONTHS), DEFAULT_TERM_MONTHS


def opportunity_name(product_name: str | None, account_name: str) -> str:
    """Default name: product and account ("Yappli CRM — 株式会社サンプル")."""
    name = f"{product_name} — {account_name}" if product_name else account_name
    return name[:300]
