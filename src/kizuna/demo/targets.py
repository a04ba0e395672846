"""Demo sales targets: the current fiscal year's four quarters, for the ``cs`` lead source
(created amount — the KPI, won amount — the check, and leads passed) and for
``marketing`` (created amount), split to the customer-sales and CSM teams and their
members (one CSM works half time: weight 0.5). Values follow the demo's own pipeline
when it has one (about 10 % above the average quarter of the last year), so attainment
looks like a real company's. Deterministic for a seed.

Call ``load_targets(session, seed)`` after the demo pipeline (opportunities and leads)
is loaded; it writes through ``target.service`` (audited as the demo loader).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.kit.clock import today as today_in
from kizuna.models.enums import LeadSource, TeamKind
from kizuna.models.target import SplitMode, TargetMetric
from kizuna.models.user import Team, User
from kizuna.target import periods, service
from kizuna.target.actuals import measure
from kizuna.target.schemas import MemberShareIn, TargetCreate, TeamShareIn

ZONE = "Asia/Tokyo"
CURRENCY = "JPY"
_ACTOR = Actor.system("demo")
# Fallbacks (monthly recurring yen per quarter) when the demo has no pipeline history.
_DEFAULTS = {
    (LeadSource.CS, TargetMetric.CREATED_AMOUNT): 1_800_000,
    (LeadSource.CS, TargetMetric.WON_AMOUNT): 900_000,
    (LeadSource.CS, TargetMetric.LEAD_COUNT): 24,
    (LeadSource.MARKETING, TargetMetric.CREATED_AMOUNT): 1_200_000,
}


@dataclass(frozen=True)
class DemoTargetsSummary:
    targets: int
    fiscal_year: str


def _team(session: Session, kind: TeamKind) -> Team | None:
    return session.scalars(select(Team).where(Team.kind == kind).order_by(Team.name)).first()


def _baseline(session: Session, today: date) -> dict[tuple[LeadSource, TargetMetric], int]:
    """Average per quarter over the last 12 months, or the defaults where that is 0."""
    first = today - timedelta(days=365)
    actuals = measure(session, first, today, zone=ZONE, reporting=CURRENCY)
    cs, mk = actuals.by_source[LeadSource.CS], actuals.by_source[LeadSource.MARKETING]
    seen = {
        (LeadSource.CS, TargetMetric.CREATED_AMOUNT): cs.created_amount,
        (LeadSource.CS, TargetMetric.WON_AMOUNT): cs.won_amount,
        (LeadSource.CS, TargetMetric.LEAD_COUNT): cs.lead_count,
        (LeadSource.MARKETING, TargetMetric.CREATED_AMOUNT): mk.created_amount,
    }
    return {key: (value // 4 if value else _DEFAULTS[key]) for key, value in seen.items()}


def load_targets(
    session: Session, seed: int = 42, *, today: date | None = None
) -> DemoTargetsSummary:
    rng = random.Random(seed * 104_729 + 17)
    day = today or today_in(ZONE)
    fiscal = service.fiscal_start(session)
    year = periods.fiscal_year_of(day, fiscal)
    sales_team, csm_team = _team(session, TeamKind.CUSTOMER_SALES), _team(session, TeamKind.CSM)
    teams = [t for t in (sales_team, csm_team) if t is not None]
    half_time = (
        session.scalars(
            select(User).where(User.team_id == csm_team.id, User.is_active).order_by(User.email)
        ).all()[-1:]
        if csm_team
        else []
    )
    base = _baseline(session, day)
    made = 0
    for quarter in periods.quarters_of_year(year, fiscal):
        growth = 1 + 0.05 * (quarter.starts_on.month % 12) / 12 + rng.uniform(0.05, 0.15)
        for (source, metric), per_quarter in base.items():
            if service.list_targets(
                session, _ACTOR, period=quarter, lead_source=source, metric=metric
            ):
                continue
            split_to: list[Team | None]
            if metric is TargetMetric.LEAD_COUNT:
                value, split_to = max(3, round(per_quarter * growth)), [csm_team]
            else:
                value = int(round(per_quarter * growth, -4))
                split_to = list(teams) if source is LeadSource.CS else [sales_team]
            shares = [
                TeamShareIn(
                    team_id=team.id,
                    member_split=SplitMode.WEIGHTED if team is csm_team else SplitMode.EVEN,
                    members=[MemberShareIn(user_id=u.id, weight=Decimal("0.5")) for u in half_time]
                    if team is csm_team
                    else None,
                )
                for team in split_to
                if team is not None
            ]
            service.create_target(
                session,
                _ACTOR,
                TargetCreate(
                    period=quarter.key,
                    lead_source=source,
                    metric=metric,
                    value=value,
                    team_split=SplitMode.HEADCOUNT,
                    note="デモ: 前年実績の四半期平均 +10% 前後",
                    teams=shares or None,
                ),
                reporting=CURRENCY,
                today=day,
            )
            made += 1
    return DemoTargetsSummary(targets=made, fiscal_year=f"{year}-FY")
