"""/api/v1/coverage — the coverage model (how each tier is covered, by which team), tier
rules, assignment rules, runs of both, books of business and re-balancing (C6).

Rule lists are replaced whole (``PUT``) so their order is explicit; send a rule's ``id``
back to keep it (an assignment rule keeps its round-robin pointer). ``POST /apply`` runs
the tier rules and then the assignment rules; ``dry_run`` (the default) writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from kizuna.api.deps import AccountReader, AccountWriter, DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.coverage import service
from kizuna.coverage.schemas import (
    ApplyIn,
    ApplyOut,
    AssignmentRuleOut,
    AssignmentRulesIn,
    BooksOut,
    RebalanceIn,
    RebalanceOut,
    TierCoverage,
    TierCoverageIn,
    TierPinIn,
    TierPinOut,
    TierRuleOut,
    TierRulesIn,
)
from kizuna.kit.clock import today
from kizuna.models.coverage import OwnerField
from kizuna.segment.evaluation import FactSource

router = APIRouter(prefix="/coverage", tags=["coverage"])
CoverageAdmin = Annotated[Actor, Depends(need(Permission.COVERAGE_ADMIN))]
TeamReader = Annotated[Actor, Depends(need(Permission.TEAM_READ))]


def _source(request: Request, session: Session, actor: Actor) -> FactSource:
    return FactSource(
        session,
        today=today(actor.timezone),
        zone=actor.timezone,
        data_dir=request.app.state.settings.data_dir,
    )


@router.get("/tiers", response_model=list[TierCoverage], summary="The coverage model")
def get_tiers(actor: AccountReader, session: DbSession) -> list[TierCoverage]:
    """Per tier: touch model, owning team, target accounts per person, touch cadence in
    days, description (seed 000's defaults until changed: ``stored`` false)."""
    with session.begin():
        return service.coverage_model(session, actor)


@router.put("/tiers", response_model=list[TierCoverage], summary="Change the coverage model")
def put_tiers(
    body: list[TierCoverageIn], actor: CoverageAdmin, session: DbSession
) -> list[TierCoverage]:
    """Tiers left out keep their current coverage."""
    with session.begin():
        return service.update_coverage_model(session, actor, body)


@router.get("/tier-rules", response_model=list[TierRuleOut], summary="List tier rules")
def get_tier_rules(actor: AccountReader, session: DbSession) -> list[TierRuleOut]:
    """In order: the first rule an account matches gives its tier; none → Tier 3."""
    with session.begin():
        return [TierRuleOut.model_validate(r) for r in service.tier_rules(session, actor)]


@router.put("/tier-rules", response_model=list[TierRuleOut], summary="Replace the tier rules")
def put_tier_rules(
    request: Request, body: TierRulesIn, actor: CoverageAdmin, session: DbSession
) -> list[TierRuleOut]:
    """``Invalid`` names a bad condition part as ``rules[n].condition.all[0].value``."""
    with session.begin():
        rules = service.set_tier_rules(
            session, actor, body.rules, source=_source(request, session, actor)
        )
        return [TierRuleOut.model_validate(r) for r in rules]


@router.get(
    "/assignment-rules", response_model=list[AssignmentRuleOut], summary="List assignment rules"
)
def get_assignment_rules(actor: AccountReader, session: DbSession) -> list[AssignmentRuleOut]:
    with session.begin():
        return [
            AssignmentRuleOut.model_validate(r) for r in service.assignment_rules(session, actor)
        ]


@router.put(
    "/assignment-rules",
    response_model=list[AssignmentRuleOut],
    summary="Replace the assignment rules",
)
def put_assignment_rules(
    request: Request, body: AssignmentRulesIn, actor: CoverageAdmin, session: DbSession
) -> list[AssignmentRuleOut]:
    with session.begin():
        rules = service.set_assignment_rules(
            session, actor, body.rules, source=_source(request, session, actor)
        )
        return [AssignmentRuleOut.model_validate(r) for r in rules]


@router.post("/apply", response_model=ApplyOut, summary="Run the tier and assignment rules")
def apply(request: Request, body: ApplyIn, actor: CoverageAdmin, session: DbSession) -> ApplyOut:
    """The changes a run makes (or, with ``dry_run``, would make): tiers with the rule that
    matched, owners with the rule that chose them, and accounts no one could take."""
    with session.begin():
        return service.apply(session, actor, body, source=_source(request, session, actor))


@router.get("/books", response_model=BooksOut, summary="Books of business and capacity")
def books(
    request: Request,
    actor: TeamReader,
    session: DbSession,
    field: OwnerField = OwnerField.CSM_OWNER,
) -> BooksOut:
    """Per person holding ``field``: accounts, by tier, MRR, health mix, capacity,
    utilisation; team totals; suggested re-balancing moves."""
    with session.begin():
        return service.books_of_business(
            session,
            actor,
            field=field,
            source=_source(request, session, actor),
            currency=request.app.state.settings.default_currency,
        )


@router.post("/rebalance", response_model=RebalanceOut, summary="Apply re-balancing moves")
def rebalance(body: RebalanceIn, actor: CoverageAdmin, session: DbSession) -> RebalanceOut:
    with session.begin():
        return service.apply_moves(session, actor, body)


@router.put(
    "/accounts/{account_id}/tier",
    response_model=TierPinOut,
    summary="Pin (or unpin) an account's tier",
)
def pin_tier(
    account_id: uuid.UUID, body: TierPinIn, actor: AccountWriter, session: DbSession
) -> TierPinOut:
    """A pinned tier is set by hand: tier rules never change it."""
    with session.begin():
        account = service.pin_tier(session, actor, account_id, pinned=body.pinned, tier=body.tier)
        return TierPinOut(account_id=account.id, tier=account.tier, tier_pinned=account.tier_pinned)
