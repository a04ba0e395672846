"""Planning use cases: the calculators (REVENUE_READ) and their prefill from actual data.

The calculators are pure (``pilot_roi``, ``impact_model``, ``unit_economics``); this module
checks the permission and, for prefill, measures the inputs on the company's own revenue
through ``kizuna.revenue.service``.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import Invalid
from kizuna.kit.money import DEFAULT_CURRENCY
from kizuna.models.account import Account
from kizuna.models.user import Team, User
from kizuna.planning import inputs
from kizuna.planning.impact_model import impact_model
from kizuna.planning.pilot_roi import pilot_roi
from kizuna.planning.schemas import (
    ImpactModelInput,
    ImpactModelResult,
    PilotPrefill,
    PilotRoiInput,
    PilotRoiResult,
    UnitEconomicsInput,
    UnitEconomicsPrefill,
    UnitEconomicsResult,
)
from kizuna.planning.unit_economics import unit_economics
from kizuna.revenue import service as revenue
from kizuna.subscription.terms import add_months

MAX_PREFILL_MONTHS = 36


def calculate_pilot_roi(actor: Actor, data: PilotRoiInput) -> PilotRoiResult:
    actor.require(Permission.REVENUE_READ)
    return pilot_roi(**data.model_dump())


def calculate_impact_model(actor: Actor, data: ImpactModelInput) -> ImpactModelResult:
    actor.require(Permission.REVENUE_READ)
    return impact_model(**data.model_dump())


def calculate_unit_economics(actor: Actor, data: UnitEconomicsInput) -> UnitEconomicsResult:
    actor.require(Permission.REVENUE_READ)
    return unit_economics(**data.model_dump())


class TeamChoice(BaseModel):
    id: uuid.UUID
    name: str


def team_choices(session: Session, actor: Actor) -> list[TeamChoice]:
    """Teams to measure a pilot on, by name."""
    actor.require(Permission.REVENUE_READ)
    rows = session.execute(select(Team.id, Team.name).order_by(Team.name))
    return [TeamChoice(id=team_id, name=name) for team_id, name in rows]


def pilot_prefill(
    session: Session,
    actor: Actor,
    team_id: uuid.UUID,
    *,
    start: date | None = None,
    end: date | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> PilotPrefill:
    """Pilot inputs measured on ``team_id`` over [start, end) (whole calendar months).

    New MRR per person per month = the expansion MRR (upsell and cross-sell: seed 000's
    customer sales works existing customers) of every month of the period on the accounts
    whose sales owner or AE owner is an active member of the team, ÷ the active members ÷
    the months. New logos are the field sales' work and are not counted. Churn = the
    company's average monthly MRR churn over the months of the period (months with no MRR
    at their start are skipped).
    """
    actor.require(Permission.REVENUE_READ)
    start, end = _period(actor, start, end)
    team = session.get(Team, team_id)
    if team is None:
        raise Invalid.field("team_id", "no such team", code="unknown_team")
    members = list(
        session.scalars(select(User.id).where(User.team_id == team.id, User.is_active.is_(True)))
    )
    owned = set(
        session.scalars(
            select(Account.id).where(
                or_(Account.sales_owner_id.in_(members), Account.ae_owner_id.in_(members))
            )
        )
    )
    months = _months(start, end)
    created = 0
    if owned:
        team_series = revenue.monthly_series(
            session, actor, months[0], months[-1], currency=currency, accounts=owned
        )
        created = sum(m.expansion_mrr for m in team_series.months)
    series = revenue.monthly_series(session, actor, months[0], months[-1], currency=currency)
    per_person = inputs.to_minor(Decimal(created) / len(members) / len(months)) if members else None
    return PilotPrefill(
        team_id=team.id,
        team_name=team.name,
        start=start,
        end=end,
        months=len(months),
        members=len(members),
        currency=series.currency,
        new_mrr_amount=created,
        new_mrr_per_person_amount=per_person,
        monthly_churn_rate=_average([m.mrr_churn_rate for m in series.months]),
        accounts=len(owned),
    )


def unit_economics_prefill(
    session: Session,
    actor: Actor,
    *,
    start: date | None = None,
    end: date | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> UnitEconomicsPrefill:
    """ARPA = MRR ÷ active accounts on ``end``; churn = average monthly logo churn over
    the months of [start, end) (months with no active account at their start are skipped)."""
    actor.require(Permission.REVENUE_READ)
    start, end = _period(actor, start, end)
    months = _months(start, end)
    series = revenue.monthly_series(session, actor, months[0], months[-1], currency=currency)
    last = series.months[-1]
    arpa = (
        inputs.to_minor(Decimal(last.closing_mrr) / last.closing_accounts)
        if last.closing_accounts
        else None
    )
    return UnitEconomicsPrefill(
        start=start,
        end=end,
        currency=series.currency,
        arpa_amount=arpa,
        monthly_churn_rate=_average([m.logo_churn_rate for m in series.months]),
        active_accounts=last.closing_accounts,
        mrr_amount=last.closing_mrr,
    )


def _period(actor: Actor, start: date | None, end: date | None) -> tuple[date, date]:
    # Default: the last 12 complete months in the actor's calendar.
    end = end or today(actor.timezone).replace(day=1)
    start = start or add_months(end, -12)
    for name, value in (("from", start), ("to", end)):
        if value.day != 1:
            raise Invalid.field(name, f"{name} must be the first day of a month", "not_a_month")
    if start >= end:
        raise Invalid.field("to", "to must be after from", code="before_start")
    if len(_months(start, end)) > MAX_PREFILL_MONTHS:
        raise Invalid.field(
            "from", f"the period may span at most {MAX_PREFILL_MONTHS} months", "period_too_long"
        )
    return start, end


def _months(start: date, end: date) -> list[date]:
    months, month = [], start
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _average(rates: list[Decimal | None]) -> Decimal | None:
    known = [r for r in rates if r is not None]
    if not known:
        return None
    return (sum(known, Decimal(0)) / len(known)).quantize(Decimal("0.000001"))
