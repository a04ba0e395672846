"""Renewals centre: the daily sync from subscription lines, forecasts, and the read models
of the renewals page, Account 360 and the customer-sales dashboard.

``sync`` is the daily job (``renewals.sync``, 04:45), the page's button and ``kizuna
renewals sync``: one renewal per account × term end date within ``HORIZON_DAYS``; a
suggested forecast from health unless a person has set one; the outcome settled from the
lines once the date has come. ``forecast_summary`` and ``forecast_vs_actual`` take no actor:
the entrypoint checks SALES_READ (the dashboard helper calls them too).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import views as health_views
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, NotFound
from kizuna.kit.money import DEFAULT_CURRENCY, to_major, to_minor
from kizuna.models.account import Account
from kizuna.models.enums import Tier
from kizuna.models.health import (
    ChurnRisk,
    HealthScore,
    HealthScorecardVersion,
)
from kizuna.models.renewal import (
    ClosingPlan,
    ClosingPlanStep,
    Renewal,
    RenewalForecast,
    RenewalOutcome,
)
from kizuna.models.subscription import Subscription
from kizuna.models.user import User
from kizuna.outbox import service as outbox
from kizuna.renewal import rules
from kizuna.renewal.schemas import (
    AccuracyOut,
    CategoryActual,
    CategoryTotal,
    ForecastSet,
    ForecastSummary,
    ForecastVsActual,
    PeriodActual,
    PlanBrief,
    RenewalFilters,
    RenewalOut,
    RiskReasonOut,
    SyncResult,
)
from kizuna.revenue.rates_table import RateTable
from kizuna.revenue.repository import load_rates
from kizuna.scheduler import service as scheduler

SYNC_JOB = "renewals.sync"
AT_RISK_EVENT = "renewal.at_risk"
PLAYBOOK_JOB = "playbooks.evaluate"
PAGE_SIZE = 100
MAX_REASONS = 3


# ------------------------------------------------------------------------------ sync


@dataclass
class _Group:
    """The lines of one account ending on one day."""

    account_id: uuid.UUID
    renews_on: date
    lines: list[tuple[uuid.UUID, int, str, str]] = field(default_factory=list)  # id, mrr, cur, ref


@dataclass(frozen=True)
class _AccountInfo:
    tier: Tier | None
    csm_owner_id: uuid.UUID | None
    sales_owner_id: uuid.UUID | None
    band: str | None
    probability: float | None


def owner_for(
    tier: Tier | None, csm_owner_id: uuid.UUID | None, sales_owner_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Who owns a renewal: the customer-sales owner for Tier 1 accounts (the growth team
    closes their renewals), the CSM for the others; each falls back on the other."""
    if tier is Tier.TIER1:
        return sales_owner_id or csm_owner_id
    return csm_owner_id or sales_owner_id


def _convert(
    amount: int, source: str, target: str, on: date, rates: RateTable, reporting: str
) -> int:
    """``amount`` (minor units of ``source``) in ``target`` with the rates valid ``on``;
    MissingRate when one is missing."""
    if source == target:
        return amount
    major = to_major(amount, source) * rates.rate_on(source, on, reporting)
    return to_minor(major / rates.rate_on(target, on, reporting), target)


def sync(
    session: Session,
    today: date,
    *,
    actor: Actor | None = None,
    reporting: str = DEFAULT_CURRENCY,
    publish: bool = True,
) -> SyncResult:
    """Create / update / settle renewals from the subscription lines (idempotent).

    ``publish=False`` records no ``renewal.at_risk`` events (the demo's back-fill of past
    days, whose events would be news of long ago)."""
    actor = actor or Actor.system("renewals")
    result = SyncResult(today=today)
    rates = load_rates(session)
    horizon = today + timedelta(days=rules.HORIZON_DAYS)
    groups, infos = _upcoming_groups(session, today, horizon)
    existing = {
        (r.account_id, r.renews_on): r
        for r in session.scalars(
            select(Renewal).where(
                or_(
                    Renewal.renews_on >= today - timedelta(days=rules.SETTLE_DAYS),
                    Renewal.outcome == RenewalOutcome.PENDING,
                )
            )
        )
    }
    events: list[tuple[Renewal, RenewalForecast | None]] = []
    for key, group in groups.items():
        info = infos[group.account_id]
        try:
            currency, mrr = _at_stake(group, today, rates, reporting)
        except Conflict as exc:
            result.skipped.append(f"{group.account_id}/{group.renews_on}: {exc.message}")
            continue
        renewal = existing.get(key)
        if renewal is None:
            renewal = Renewal(account_id=group.account_id, renews_on=group.renews_on, line_ids=[])
            session.add(renewal)
            existing[key] = renewal
            before: RenewalForecast | None = None
            result.created += 1
        elif renewal.outcome is not RenewalOutcome.PENDING or renewal.renews_on <= today:
            continue  # being settled below: what was at stake is fixed
        else:
            before = renewal.forecast
        changed = _refresh(renewal, group, info, currency, mrr)
        if before is not None and changed:
            result.updated += 1
        if renewal.forecast in rules.RISKY and renewal.forecast != before:
            events.append((renewal, before))
    result.removed = _remove_vanished(session, existing, groups, today)
    session.flush()
    result.settled = _settle(session, existing, today, rates, reporting, result)
    if not publish:
        events = []
    for renewal, before in events:
        _publish_at_risk(session, renewal, before, by=None)
    result.events = len(events)
    if events:
        scheduler.request_run(session, PLAYBOOK_JOB, delay=timedelta(seconds=30))
    if result.created or result.updated or result.removed or result.settled:
        audit.record(
            session,
            actor,
            "renewal.sync",
            "renewal",
            "sync",
            summary=(
                f"renewals sync {today}: {result.created} new, {result.updated} updated, "
                f"{result.removed} removed, {result.settled} settled"
            ),
            changes={"result": result.model_dump(mode="json")},
        )
    session.flush()
    return result


def _upcoming_groups(
    session: Session, today: date, horizon: date
) -> tuple[dict[tuple[uuid.UUID, date], _Group], dict[uuid.UUID, _AccountInfo]]:
    rows = session.execute(
        select(
            Subscription.id,
            Subscription.account_id,
            Subscription.end_on,
            Subscription.mrr_amount,
            Subscription.currency,
            Subscription.contract_ref,
            Account.tier,
            Account.csm_owner_id,
            Account.sales_owner_id,
            HealthScore.band,
            ChurnRisk.probability,
        )
        .join(Account, Account.id == Subscription.account_id)
        .outerjoin(HealthScore, HealthScore.account_id == Subscription.account_id)
        .outerjoin(ChurnRisk, ChurnRisk.account_id == Subscription.account_id)
        .where(Subscription.end_on >= today, Subscription.end_on <= horizon)
        .where(Subscription.start_on < Subscription.end_on)
        .order_by(Subscription.account_id, Subscription.end_on, Subscription.id)
    ).all()
    groups: dict[tuple[uuid.UUID, date], _Group] = {}
    infos: dict[uuid.UUID, _AccountInfo] = {}
    for row in rows:
        key = (row.account_id, row.end_on)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(row.account_id, row.end_on)
        group.lines.append((row.id, int(row.mrr_amount), row.currency, row.contract_ref or ""))
        if row.account_id not in infos:
            infos[row.account_id] = _AccountInfo(
                row.tier, row.csm_owner_id, row.sales_owner_id, row.band, row.probability
            )
    return groups, infos


def _at_stake(group: _Group, today: date, rates: RateTable, reporting: str) -> tuple[str, int]:
    """The currency and MRR of the group's lines: their own currency when they share one,
    else the reporting currency (converted at the rates valid on the renewal date)."""
    currencies = {cur for _, _, cur, _ in group.lines}
    currency = next(iter(currencies)) if len(currencies) == 1 else reporting
    total = sum(
        _convert(mrr, cur, currency, group.renews_on, rates, reporting)
        for _, mrr, cur, _ in group.lines
    )
    return currency, total


def _refresh(renewal: Renewal, group: _Group, info: _AccountInfo, currency: str, mrr: int) -> bool:
    """Bring a pending renewal in line with its lines and the account; True if it moved."""
    suggestion = rules.suggest(info.band, info.probability)
    refs = sorted({ref for _, _, _, ref in group.lines if ref})
    values: dict[str, Any] = {
        "mrr_amount": mrr,
        "currency": currency,
        "line_ids": sorted(str(i) for i, _, _, _ in group.lines),
        "contract_ref": ", ".join(refs)[:100],
        "owner_id": owner_for(info.tier, info.csm_owner_id, info.sales_owner_id),
        "suggested_forecast": suggestion.forecast,
        "suggestion_reasons": suggestion.reasons,
    }
    if renewal.forecast_set_by_id is None and renewal.forecast_set_at is None:
        values["forecast"] = suggestion.forecast
        values["forecast_mrr_amount"] = rules.default_forecast_mrr(suggestion.forecast, mrr)
    changed = False
    for name, value in values.items():
        if getattr(renewal, name) != value:
            setattr(renewal, name, value)
            changed = True
    return changed


def _remove_vanished(
    session: Session,
    existing: dict[tuple[uuid.UUID, date], Renewal],
    groups: dict[tuple[uuid.UUID, date], _Group],
    today: date,
) -> int:
    """Pending future renewals whose lines no longer end that day. A line extended by at
    least ``EARLY_RENEWAL_DAYS`` (an auto-renewal recorded early) keeps its renewal, to be
    settled on its date; otherwise the date moved or the lines went: the renewal goes
    (a moved date gets a renewal of its own)."""
    candidates = [
        r
        for key, r in existing.items()
        if key not in groups and r.outcome is RenewalOutcome.PENDING and r.renews_on > today
    ]
    if not candidates:
        return 0
    wanted = [uuid.UUID(i) for r in candidates for i in r.line_ids]
    ends: dict[str, date | None] = {}
    for chunk in _chunks(wanted, 500):
        for line_id, end_on in session.execute(
            select(Subscription.id, Subscription.end_on).where(Subscription.id.in_(chunk))
        ):
            ends[str(line_id)] = end_on
    gone = []
    for renewal in candidates:
        horizon = renewal.renews_on + timedelta(days=rules.EARLY_RENEWAL_DAYS)
        found = [ends[i] for i in renewal.line_ids if i in ends]
        if not any(end is None or end >= horizon for end in found):
            gone.append(renewal)
    for renewal in gone:
        existing.pop((renewal.account_id, renewal.renews_on))
        session.delete(renewal)
    return len(gone)


def _settle(
    session: Session,
    existing: dict[tuple[uuid.UUID, date], Renewal],
    today: date,
    rates: RateTable,
    reporting: str,
    result: SyncResult,
) -> int:
    """Outcome of renewals whose date has come: MRR of the lines active on the renewal
    date that are new that day or were at stake, compared with the MRR at stake."""
    due = [
        r
        for r in existing.values()
        if r.renews_on <= today
        and (r.outcome is RenewalOutcome.PENDING or rules.settles(r.renews_on, today))
    ]
    if not due:
        return 0
    accounts = {r.account_id for r in due}
    earliest = min(r.renews_on for r in due) - timedelta(days=1)
    latest = max(r.renews_on for r in due)
    lines: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for chunk in _chunks(sorted(accounts), 500):
        for row in session.execute(
            select(
                Subscription.id,
                Subscription.account_id,
                Subscription.start_on,
                Subscription.end_on,
                Subscription.mrr_amount,
                Subscription.currency,
            ).where(
                Subscription.account_id.in_(chunk),
                Subscription.start_on <= latest,
                or_(Subscription.end_on.is_(None), Subscription.end_on > earliest),
            )
        ):
            lines[row.account_id].append(row)
    settled = 0
    now = utc_now()
    for renewal in due:
        day, before = renewal.renews_on, renewal.renews_on - timedelta(days=1)
        stake = set(renewal.line_ids)
        try:
            actual = sum(
                _convert(int(ln.mrr_amount), ln.currency, renewal.currency, day, rates, reporting)
                for ln in lines.get(renewal.account_id, [])
                if _active(ln, day) and (str(ln.id) in stake or not _active(ln, before))
            )
        except Conflict as exc:
            result.skipped.append(f"{renewal.account_id}/{day}: {exc.message}")
            continue
        outcome = rules.outcome_of(renewal.mrr_amount, actual)
        if renewal.outcome is not outcome or renewal.actual_mrr_amount != actual:
            renewal.outcome = outcome
            renewal.actual_mrr_amount = actual
            renewal.closed_at = renewal.closed_at or now
            settled += 1
    return settled


def _active(line: Any, day: date) -> bool:
    return bool(line.start_on <= day and (line.end_on is None or day < line.end_on))


def _chunks(items: Sequence[uuid.UUID], size: int) -> Iterable[Sequence[uuid.UUID]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _publish_at_risk(
    session: Session, renewal: Renewal, before: RenewalForecast | None, *, by: Actor | None
) -> None:
    reasons = list(renewal.suggestion_reasons or [])
    if by is not None:
        reasons = [{"code": "set_by_person", "value": renewal.forecast_note[:200]}, *reasons]
    outbox.publish(
        session,
        AT_RISK_EVENT,
        renewal.account_id,
        {
            "renewal_id": str(renewal.id),
            "renews_on": renewal.renews_on.isoformat(),
            "mrr_amount": renewal.mrr_amount,
            "currency": renewal.currency,
            "forecast": renewal.forecast.value,
            "previous_forecast": before.value if before else None,
            "set_by": str(by.user_id) if by and by.user_id else ("person" if by else "system"),
            "reasons": reasons,
        },
    )


# ------------------------------------------------------------------------- forecasts


def _load(session: Session, actor: Actor, renewal_id: uuid.UUID) -> Renewal:
    renewal = session.get(Renewal, renewal_id)
    if renewal is None:
        raise NotFound("renewal not found")
    access_account(session, actor, renewal.account_id)
    return renewal


def set_forecast(
    session: Session, actor: Actor, renewal_id: uuid.UUID, data: ForecastSet, *, today: date
) -> Renewal:
    """A person's forecast category (with a note and the expected MRR), or back to the
    system's suggestion with ``forecast = None``. Refused once the renewal date has come."""
    actor.require(Permission.PIPELINE_WRITE)
    renewal = _load(session, actor, renewal_id)
    if renewal.renews_on <= today or renewal.outcome is not RenewalOutcome.PENDING:
        raise Conflict("the renewal date has passed: its forecast is final", code="renewal_closed")
    before = renewal.forecast
    if data.forecast is None:
        forecast = renewal.suggested_forecast or RenewalForecast.LIKELY
        values: dict[str, Any] = {
            "forecast": forecast,
            "forecast_mrr_amount": rules.default_forecast_mrr(forecast, renewal.mrr_amount),
            "forecast_note": data.note,
            "forecast_set_by_id": None,
            "forecast_set_at": None,
        }
    else:
        values = {
            "forecast": data.forecast,
            "forecast_mrr_amount": (
                data.forecast_mrr_amount
                if data.forecast_mrr_amount is not None
                else rules.default_forecast_mrr(data.forecast, renewal.mrr_amount)
            ),
            "forecast_note": data.note,
            "forecast_set_by_id": actor.user_id,
            "forecast_set_at": utc_now(),
        }
    changes = audit.apply_changes(renewal, values)
    if changes:
        audit.record(
            session,
            actor,
            "renewal.forecast",
            "renewal",
            renewal.id,
            summary=f"forecast {before.value} → {renewal.forecast.value}",
            changes=changes,
        )
    session.flush()
    if renewal.forecast in rules.RISKY and renewal.forecast != before:
        _publish_at_risk(session, renewal, before, by=actor)
        scheduler.request_run(session, PLAYBOOK_JOB, delay=timedelta(seconds=30))
    return renewal


def sync_now(session: Session, actor: Actor, *, today: date, reporting: str) -> SyncResult:
    """The page's and the API's "sync now" (PIPELINE_WRITE)."""
    actor.require(Permission.PIPELINE_WRITE)
    return sync(session, today, actor=actor, reporting=reporting)


# ------------------------------------------------------------------------ read models


@dataclass(frozen=True)
class RenewalList:
    items: list[RenewalOut]
    total: int
    page: int
    pages: int


def _base_select(filters: RenewalFilters, today: date, account_ids: set[uuid.UUID] | None) -> Any:
    stmt = (
        select(Renewal, Account.name, Account.tier)
        .join(Account, Account.id == Renewal.account_id)
        .where(Renewal.renews_on >= today)
        .where(Renewal.renews_on <= today + timedelta(days=filters.days))
    )
    if filters.owner_id is not None:
        stmt = stmt.where(Renewal.owner_id == filters.owner_id)
    if filters.tier is not None:
        stmt = stmt.where(Account.tier == filters.tier)
    if filters.forecast is not None:
        stmt = stmt.where(Renewal.forecast == filters.forecast)
    if filters.account_id is not None:
        stmt = stmt.where(Renewal.account_id == filters.account_id)
    if account_ids is not None:
        stmt = stmt.where(Renewal.account_id.in_(list(account_ids) or [uuid.UUID(int=0)]))
    return stmt


def list_renewals(
    session: Session,
    actor: Actor,
    filters: RenewalFilters,
    *,
    today: date,
    account_ids: set[uuid.UUID] | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> RenewalList:
    """Renewals dated today … today + ``days``, soonest first, with health, risk reasons
    and closing-plan progress (a handful of queries per page, none per row)."""
    actor.require(Permission.SALES_READ)
    if not actor.can(Permission.ACCOUNT_READ):
        return RenewalList([], 0, 1, 1)
    stmt = _base_select(filters, today, account_ids)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = session.execute(
        stmt.order_by(Renewal.renews_on, Account.name, Renewal.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return RenewalList(_outs(session, rows, today), total, page, pages)


def get_renewal(
    session: Session, actor: Actor, renewal_id: uuid.UUID, *, today: date
) -> RenewalOut:
    actor.require(Permission.SALES_READ)
    renewal = _load(session, actor, renewal_id)
    row = session.execute(
        select(Renewal, Account.name, Account.tier)
        .join(Account, Account.id == Renewal.account_id)
        .where(Renewal.id == renewal.id)
    ).one()
    return _outs(session, [row], today)[0]


def next_renewal(
    session: Session, actor: Actor, account_id: uuid.UUID, *, today: date
) -> RenewalOut | None:
    """The account's next renewal (today or later; else the latest settled one within the
    settling window), for Account 360."""
    actor.require(Permission.SALES_READ)
    access_account(session, actor, account_id)
    row = session.execute(
        select(Renewal, Account.name, Account.tier)
        .join(Account, Account.id == Renewal.account_id)
        .where(Renewal.account_id == account_id, Renewal.renews_on >= today)
        .order_by(Renewal.renews_on)
        .limit(1)
    ).first()
    if row is None:
        row = session.execute(
            select(Renewal, Account.name, Account.tier)
            .join(Account, Account.id == Renewal.account_id)
            .where(
                Renewal.account_id == account_id,
                Renewal.renews_on >= today - timedelta(days=rules.SETTLE_DAYS),
            )
            .order_by(Renewal.renews_on.desc())
            .limit(1)
        ).first()
    return _outs(session, [row], today)[0] if row is not None else None


def _outs(session: Session, rows: Sequence[Any], today: date) -> list[RenewalOut]:
    if not rows:
        return []
    renewals: list[Renewal] = [r[0] for r in rows]
    accounts = list({r.account_id for r in renewals})
    user_ids = {u for r in renewals for u in (r.owner_id, r.forecast_set_by_id) if u}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    health = _health(session, accounts, today)
    plans = _plan_briefs(session, [r.id for r in renewals], today)
    outs: list[RenewalOut] = []
    for row in rows:
        r: Renewal = row[0]
        score, band, probability, reasons = health.get(r.account_id, (None, None, None, []))
        outs.append(
            RenewalOut(
                id=r.id,
                account_id=r.account_id,
                account_name=row[1],
                tier=row[2],
                renews_on=r.renews_on,
                days_left=(r.renews_on - today).days,
                contract_ref=r.contract_ref,
                mrr_amount=r.mrr_amount,
                currency=r.currency,
                owner_id=r.owner_id,
                owner_name=names.get(r.owner_id) if r.owner_id else None,
                forecast=r.forecast,
                forecast_mrr_amount=r.forecast_mrr_amount,
                forecast_note=r.forecast_note,
                forecast_set_by_id=r.forecast_set_by_id,
                forecast_set_by_name=names.get(r.forecast_set_by_id)
                if r.forecast_set_by_id
                else None,
                forecast_set_at=r.forecast_set_at,
                suggested=r.forecast_set_at is None,
                suggested_forecast=r.suggested_forecast,
                suggestion_reasons=list(r.suggestion_reasons or []),
                outcome=r.outcome,
                actual_mrr_amount=r.actual_mrr_amount,
                closed_at=r.closed_at,
                health_score=score,
                health_band=band,
                churn_probability=probability,
                risk_reasons=reasons,
                closing_plans=plans.get(r.id, []),
            )
        )
    return outs


def _health(
    session: Session, accounts: list[uuid.UUID], today: date
) -> dict[uuid.UUID, tuple[float | None, str | None, float | None, list[RiskReasonOut]]]:
    """Score, band, churn probability and the top reasons of each account, through the
    health read model (``health.views``: churn reasons and the stored explanation)."""
    names = health_views.signal_names(session)
    scores = {
        row[0].account_id: row
        for row in session.execute(
            select(HealthScore, HealthScorecardVersion.definition)
            .join(HealthScorecardVersion, HealthScorecardVersion.id == HealthScore.version_id)
            .where(HealthScore.account_id.in_(accounts))
        )
    }
    risks = {
        r.account_id: r
        for r in session.scalars(select(ChurnRisk).where(ChurnRisk.account_id.in_(accounts)))
    }
    out: dict[uuid.UUID, tuple[float | None, str | None, float | None, list[RiskReasonOut]]] = {}
    for account_id in accounts:
        reasons: list[RiskReasonOut] = []
        risk = risks.get(account_id)
        if risk is not None:
            for reason in health_views.reasons(list(risk.reasons or []), names):
                if reason.contribution <= 0:
                    continue
                reasons.append(
                    RiskReasonOut(
                        source="churn",
                        key=reason.signal.key,
                        name=reason.signal.name,
                        name_en=reason.signal.name_en,
                        value=reason.value,
                        unit=reason.signal.unit,
                        contribution=round(reason.contribution, 4),
                    )
                )
        row = scores.get(account_id)
        score = band = None
        if row is not None:
            score, band = row[0].score, row[0].band
            reasons.extend(_pulling_down(row[0].explanation, row[1], names, today))
        out[account_id] = (
            score,
            band,
            risk.probability if risk is not None else None,
            reasons[:MAX_REASONS],
        )
    return out


def _pulling_down(
    explanation: dict[str, Any],
    definition: dict[str, Any],
    names: dict[str, health_views.SignalName],
    today: date,
) -> list[RiskReasonOut]:
    """Health measures scoring under 50 points, the most weight-lost first."""
    measures = [
        m
        for g in health_views.explain(explanation or {}, definition or {}, names, today=today)
        for m in g.measures
        if m.points is not None and m.points < 50
    ]
    measures.sort(key=lambda m: -(m.weight * (100 - (m.points or 0))))
    return [
        RiskReasonOut(
            source="health",
            key=m.key,
            name=m.name,
            name_en=m.name_en,
            value=m.value,
            unit=m.signal.unit,
            points=m.points,
        )
        for m in measures
    ]


def _plan_briefs(
    session: Session, renewal_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, list[PlanBrief]]:
    plans = session.execute(
        select(ClosingPlan.id, ClosingPlan.renewal_id, ClosingPlan.title)
        .where(ClosingPlan.renewal_id.in_(renewal_ids), ClosingPlan.archived.is_(False))
        .order_by(ClosingPlan.created_at)
    ).all()
    if not plans:
        return {}
    steps: dict[uuid.UUID, list[rules.StepState]] = defaultdict(list)
    for plan_id, status, due_on in session.execute(
        select(ClosingPlanStep.plan_id, ClosingPlanStep.status, ClosingPlanStep.due_on).where(
            ClosingPlanStep.plan_id.in_([p.id for p in plans])
        )
    ):
        steps[plan_id].append(rules.StepState(status, due_on))
    out: dict[uuid.UUID, list[PlanBrief]] = defaultdict(list)
    for plan in plans:
        states = steps.get(plan.id, [])
        out[plan.renewal_id].append(
            PlanBrief(
                id=plan.id,
                title=plan.title,
                progress=rules.progress(states),
                steps_total=len(states),
                steps_done=sum(1 for s in states if s.status.value == "done"),
                overdue=rules.overdue_count(states, today),
            )
        )
    return dict(out)


def owner_choices(session: Session) -> list[tuple[uuid.UUID, str]]:
    """People who own at least one renewal (the owner filter)."""
    return [
        (row[0], row[1])
        for row in session.execute(
            select(User.id, User.name)
            .where(User.id.in_(select(Renewal.owner_id).where(Renewal.owner_id.is_not(None))))
            .order_by(User.name)
        )
    ]


# ------------------------------------------------------------- summaries (dashboard)


def _in_reporting(rates: RateTable, amount: int, currency: str, on: date, reporting: str) -> int:
    return _convert(amount, currency, reporting, on, rates, reporting)


def forecast_summary(
    session: Session,
    *,
    today: date,
    days: int,
    reporting: str = DEFAULT_CURRENCY,
    owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    account_ids: set[uuid.UUID] | None = None,
) -> ForecastSummary:
    """Pending renewals dated today … today + ``days`` by forecast category: count, MRR
    at stake and forecast MRR, in the reporting currency (foreign amounts at the rate of
    the renewal date; MissingRate when one is missing)."""
    filters = RenewalFilters(
        days=max(1, min(days, rules.HORIZON_DAYS)), owner_id=owner_id, tier=tier
    )
    stmt = _base_select(filters, today, account_ids).where(
        Renewal.outcome == RenewalOutcome.PENDING
    )
    rows = session.execute(
        stmt.with_only_columns(
            Renewal.forecast,
            Renewal.mrr_amount,
            Renewal.forecast_mrr_amount,
            Renewal.currency,
            Renewal.renews_on,
        )
    ).all()
    rates = load_rates(session) if any(r.currency != reporting for r in rows) else RateTable()
    totals = {c: [0, 0, 0] for c in rules.CATEGORIES}
    for forecast, mrr, expected, currency, on in rows:
        t = totals[forecast]
        t[0] += 1
        t[1] += _in_reporting(rates, mrr, currency, on, reporting)
        t[2] += _in_reporting(rates, expected, currency, on, reporting)
    categories = [
        CategoryTotal(forecast=c, count=t[0], mrr_amount=t[1], forecast_mrr_amount=t[2])
        for c, t in totals.items()
    ]
    return ForecastSummary(
        today=today,
        days=filters.days,
        currency=reporting,
        count=sum(c.count for c in categories),
        mrr_amount=sum(c.mrr_amount for c in categories),
        forecast_mrr_amount=sum(c.forecast_mrr_amount for c in categories),
        categories=categories,
    )


def periods(
    start: date, end: date, grain: Literal["month", "quarter"]
) -> list[tuple[str, date, date]]:
    """Calendar months or quarters overlapping [start, end): (label, first day, next
    period's first day)."""
    step = 3 if grain == "quarter" else 1
    month = ((start.month - 1) // step) * step + 1
    cursor = date(start.year, month, 1)
    out: list[tuple[str, date, date]] = []
    while cursor < end:
        m = cursor.month - 1 + step
        nxt = date(cursor.year + m // 12, m % 12 + 1, 1)
        label = (
            f"{cursor.year}-Q{(cursor.month - 1) // 3 + 1}"
            if grain == "quarter"
            else f"{cursor.year}-{cursor.month:02d}"
        )
        out.append((label, cursor, nxt))
        cursor = nxt
    return out


def forecast_vs_actual(
    session: Session,
    start: date,
    end: date,
    *,
    grain: Literal["month", "quarter"] = "month",
    reporting: str = DEFAULT_CURRENCY,
    owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    account_ids: set[uuid.UUID] | None = None,
) -> ForecastVsActual:
    """Settled renewals dated in [start, end), per month or quarter of their date: the
    forecast (category, forecast MRR) they had when the date came vs what happened."""
    stmt = (
        select(
            Renewal.renews_on,
            Renewal.forecast,
            Renewal.outcome,
            Renewal.mrr_amount,
            Renewal.forecast_mrr_amount,
            Renewal.actual_mrr_amount,
            Renewal.currency,
        )
        .join(Account, Account.id == Renewal.account_id)
        .where(
            Renewal.renews_on >= start,
            Renewal.renews_on < end,
            Renewal.outcome != RenewalOutcome.PENDING,
        )
    )
    if owner_id is not None:
        stmt = stmt.where(Renewal.owner_id == owner_id)
    if tier is not None:
        stmt = stmt.where(Account.tier == tier)
    if account_ids is not None:
        stmt = stmt.where(Renewal.account_id.in_(list(account_ids) or [uuid.UUID(int=0)]))
    rows = session.execute(stmt).all()
    rates = load_rates(session) if any(r.currency != reporting for r in rows) else RateTable()
    converted = [
        (
            r.renews_on,
            r.forecast,
            r.outcome,
            _in_reporting(rates, r.mrr_amount, r.currency, r.renews_on, reporting),
            _in_reporting(rates, r.forecast_mrr_amount, r.currency, r.renews_on, reporting),
            _in_reporting(rates, r.actual_mrr_amount or 0, r.currency, r.renews_on, reporting),
        )
        for r in rows
    ]
    out = [
        _period(label, first, nxt, [c for c in converted if first <= c[0] < nxt])
        for label, first, nxt in periods(start, end, grain)
    ]
    return ForecastVsActual(
        start=start,
        end=end,
        grain=grain,
        currency=reporting,
        periods=out,
        total=_period("total", start, end, converted),
    )


def _period(label: str, first: date, nxt: date, rows: list[tuple[Any, ...]]) -> PeriodActual:
    categories: list[CategoryActual] = []
    for category in rules.CATEGORIES:
        mine = [r for r in rows if r[1] is category]
        outcomes: dict[str, int] = {
            o.value: 0 for o in RenewalOutcome if o is not RenewalOutcome.PENDING
        }
        for r in mine:
            outcomes[r[2].value] += 1
        categories.append(
            CategoryActual(
                forecast=category,
                count=len(mine),
                mrr_amount=sum(r[3] for r in mine),
                forecast_mrr_amount=sum(r[4] for r in mine),
                actual_mrr_amount=sum(r[5] for r in mine),
                outcomes=outcomes,
            )
        )
    acc = rules.accuracy((r[1], r[2], r[3], r[4], r[5]) for r in rows)
    return PeriodActual(
        label=label,
        start=first,
        end=nxt,
        categories=categories,
        accuracy=AccuracyOut(
            count=acc.count,
            hits=acc.hits,
            hit_rate=acc.hit_rate,
            mrr_amount=acc.at_stake_mrr,
            forecast_mrr_amount=acc.forecast_mrr,
            actual_mrr_amount=acc.actual_mrr,
            mrr_accuracy=acc.mrr_accuracy,
        ),
    )
