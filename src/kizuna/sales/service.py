"""The customer-sales dashboard: one read model over leads, opportunities, targets,
renewals and the accounts each customer-sales person owns.

Each block reuses the query of the page it links to, so the numbers agree: lead counts
and the CSM KPI view from ``pipeline.service``, stage totals from the pipeline board,
renewal forecast from ``renewal.service``, and created / won amounts by lead source from
``target.actuals`` (the figures targets are measured on). Period bounds are local days in
the company's zone; amounts are in the reporting currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.models.account import Account
from kizuna.models.enums import LeadSource, Role, Tier
from kizuna.models.pipeline import Opportunity, OpportunityStage
from kizuna.models.target import PeriodKind, SalesTarget, TargetMetric
from kizuna.models.user import Team, User
from kizuna.pipeline import service as pipeline
from kizuna.renewal import service as renewals
from kizuna.sales.schemas import (
    LeadBlock,
    OwnerRow,
    PipelineBlock,
    RenewalBlock,
    SalesDashboard,
    SourceRow,
    StageRow,
)
from kizuna.target import periods
from kizuna.target import service as targets
from kizuna.target.actuals import measure
from kizuna.target.periods import Span
from kizuna.task.periods import utc_bounds

TOP_CSMS = 10
RENEWAL_DAYS = 90
OPEN_STAGES = (
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)
# When no target covers the period exactly, the finest whole periods inside it are summed
# in this order of preference (a fiscal year shows its year target, else its halves,
# quarters or months; a month inside a quarter target shows none).
_KIND_PREFERENCE = (PeriodKind.YEAR, PeriodKind.HALF, PeriodKind.QUARTER, PeriodKind.MONTH)
_PLACES = Decimal("0.0001")


def _ratio(part: int, whole: int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def target_for(rows: Sequence[SalesTarget], metric: TargetMetric) -> int | None:
    """The target of ``metric`` for a period from the targets lying inside it: the sum of
    those of the first period kind (year, half, quarter, month) that has any."""
    mine = [t for t in rows if t.metric is metric]
    for kind in _KIND_PREFERENCE:
        found = [t.value for t in mine if t.period_kind is kind]
        if found:
            return sum(found)
    return None


def _sources(session: Session, period: Span, *, zone: str, reporting: str) -> list[SourceRow]:
    actuals = measure(session, period.starts_on, period.ends_on, zone=zone, reporting=reporting)
    inside = targets.targets_within(session, period.starts_on, period.ends_on)
    out = []
    for source in LeadSource:
        tally = actuals.by_source[source]
        mine = [t for t in inside if t.lead_source is source]
        created_t = target_for(mine, TargetMetric.CREATED_AMOUNT)
        won_t = target_for(mine, TargetMetric.WON_AMOUNT)
        lead_t = target_for(mine, TargetMetric.LEAD_COUNT)
        out.append(
            SourceRow(
                lead_source=source,
                created_amount=tally.created_amount,
                won_amount=tally.won_amount,
                lead_count=tally.lead_count,
                created_target=created_t,
                won_target=won_t,
                lead_target=lead_t,
                created_percent=_ratio(tally.created_amount, created_t),
                won_percent=_ratio(tally.won_amount, won_t),
                lead_percent=_ratio(tally.lead_count, lead_t),
            )
        )
    return out


def _owners(session: Session, period: Span, *, zone: str, reporting: str) -> list[OwnerRow]:
    """Every active customer-sales person, and anyone else who owns accounts as the
    customer-sales owner."""
    tiers = session.execute(
        select(Account.sales_owner_id, Account.tier, func.count(Account.id))
        .where(Account.sales_owner_id.is_not(None))
        .group_by(Account.sales_owner_id, Account.tier)
    ).all()
    counts: dict[uuid.UUID, dict[Tier | None, int]] = {}
    for owner_id, tier, n in tiers:
        if owner_id is not None:
            counts.setdefault(owner_id, {})[tier] = int(n)
    is_open = Opportunity.stage.in_(OPEN_STAGES)
    in_currency = Opportunity.currency == reporting
    start, end = utc_bounds(period.starts_on, period.ends_on, zone)
    won_now = and_(
        Opportunity.stage == OpportunityStage.WON,
        Opportunity.won_at >= start,
        Opportunity.won_at < end,
        in_currency,
    )
    money = session.execute(
        select(
            Account.sales_owner_id,
            func.coalesce(func.sum(case((is_open, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((and_(is_open, in_currency), Opportunity.amount), else_=0)), 0
            ),
            func.coalesce(func.sum(case((won_now, Opportunity.amount), else_=0)), 0),
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(Account.sales_owner_id.is_not(None))
        .group_by(Account.sales_owner_id)
    ).all()
    pipe = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in money}
    people = session.execute(
        select(User.id, User.name, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(
            (User.role == Role.CUSTOMER_SALES) & User.is_active
            | User.id.in_(list(counts) or [uuid.UUID(int=0)])
        )
    ).all()
    out = []
    for user_id, name, team in people:
        by_tier = counts.get(user_id, {})
        pipeline_count, pipeline_amount, won = pipe.get(user_id, (0, 0, 0))
        out.append(
            OwnerRow(
                user_id=user_id,
                name=name,
                team=team or "",
                accounts=sum(by_tier.values()),
                tier1=by_tier.get(Tier.TIER1, 0),
                tier2=by_tier.get(Tier.TIER2, 0),
                tier3=by_tier.get(Tier.TIER3, 0),
                untiered=by_tier.get(None, 0),
                pipeline_count=pipeline_count,
                pipeline_amount=pipeline_amount,
                won_amount=won,
            )
        )
    out.sort(key=lambda r: (-(r.tier1 + r.tier2), -r.accounts, r.name))
    return out


def _renewals(session: Session, *, today: date, reporting: str, fiscal: int) -> RenewalBlock:
    current = periods.period_of(today, PeriodKind.QUARTER, fiscal)
    last = periods.period_of(current.starts_on - timedelta(days=1), PeriodKind.QUARTER, fiscal)
    actual = renewals.forecast_vs_actual(
        session,
        last.starts_on,
        last.ends_on + timedelta(days=1),
        grain="quarter",
        reporting=reporting,
    )
    return RenewalBlock(
        upcoming=renewals.forecast_summary(
            session, today=today, days=RENEWAL_DAYS, reporting=reporting
        ),
        last_quarter=last.key,
        last_quarter_starts_on=last.starts_on,
        last_quarter_ends_on=last.ends_on,
        last_quarter_actual=actual.total,
    )


def dashboard(
    session: Session,
    actor: Actor,
    period: Span,
    *,
    zone: str,
    reporting: str,
    today: date,
) -> SalesDashboard:
    """Every block of the customer-sales dashboard for ``period`` (SALES_READ)."""
    actor.require(Permission.SALES_READ)
    counts = pipeline.lead_counts(session, period.starts_on, period.ends_on, zone=zone)[None]
    leads = LeadBlock(
        counts=counts,
        acceptance_rate=_ratio(counts.accepted, counts.passed),
        conversion_rate=_ratio(counts.converted, counts.passed),
        win_rate=_ratio(counts.converted, counts.accepted),
    )
    columns = pipeline.pipeline_by_stage(session, currency=reporting)
    stages = [
        StageRow(stage=c.stage, count=c.count, amount=c.amount)
        for c in columns
        if c.stage in OPEN_STAGES
    ]
    kpis = pipeline.csm_kpis(
        session, actor, period.starts_on, period.ends_on, zone=zone, currency=reporting
    )
    share = periods.elapsed(period, today)
    return SalesDashboard(
        period=period.key,
        period_kind=period.kind,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        today=today,
        elapsed=(Decimal(share.numerator) / Decimal(share.denominator)).quantize(_PLACES),
        currency=reporting,
        cs_measure=kpis.measure,
        leads=leads,
        sources=_sources(session, period, zone=zone, reporting=reporting),
        pipeline=PipelineBlock(
            stages=stages, count=sum(s.count for s in stages), amount=sum(s.amount for s in stages)
        ),
        top_csms=[k for k in kpis.rows if k.user_id is not None][:TOP_CSMS],
        owners=_owners(session, period, zone=zone, reporting=reporting),
        renewals=_renewals(
            session, today=today, reporting=reporting, fiscal=targets.fiscal_start(session)
        ),
    )
