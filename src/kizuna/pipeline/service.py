"""Upsell leads and opportunities: pass, accept, reject, withdraw; create, move, win, lose;
lists, counts, the board and the CS KPI (both views of seed 004).

Who may do what:
- reading needs SALES_READ (every role); leads and opportunities hang off an account, so
  reading one also goes through ``access_account``;
- passing, deciding and working opportunities need PIPELINE_WRITE; a lead is decided by
  its assignee, a member of its team, or a SALES_ADMIN holder, and withdrawn by the CSM who
  passed it (or a SALES_ADMIN holder);
- winning writes a subscription line through ``subscription.service`` and so also needs
  SUBSCRIPTION_WRITE (sales, customer sales, managers);
- settings (KPI measure, SLA) need SALES_ADMIN.

Times are stored in UTC; periods are calendar days in the caller's zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_date, parse_datetime
from kizuna.kit.clock import ensure_utc, utc_now
from kizuna.kit.errors import FieldProblem, Forbidden, Invalid, NotFound
from kizuna.kit.money import DEFAULT_CURRENCY
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.activity import Activity
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import (
    CsMeasure,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    OpportunityStageChange,
    PipelineSettings,
)
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import Team, User
from kizuna.outbox import service as outbox
from kizuna.pipeline import rules, sla
from kizuna.pipeline.schemas import (
    CsmKpi,
    CsmKpiReport,
    LeadAccept,
    LeadCounts,
    LeadCreate,
    LeadFilters,
    LeadOut,
    LeadReject,
    LeadView,
    OpportunityCreate,
    OpportunityDetail,
    OpportunityFilters,
    OpportunityLose,
    OpportunityOut,
    OpportunityUpdate,
    OpportunityWin,
    PipelineBoard,
    PipelineSettingsOut,
    PipelineSettingsUpdate,
    StageChangeOut,
    StageColumn,
)
from kizuna.scheduler import service as scheduler
from kizuna.subscription import service as subscriptions
from kizuna.subscription.schemas import SubscriptionCreate

PLAYBOOK_JOB = "playbooks.evaluate"  # = kizuna.playbook.schedule.EVALUATE_JOB
PLAYBOOK_DELAY = timedelta(seconds=30)
DEFAULT_CLOSE_DAYS = 30
LEAD_PASSED = "lead.passed"
LEAD_ACCEPTED = "lead.accepted"

_passer = aliased(User, name="passer")
_assignee = aliased(User, name="assignee")
_decider = aliased(User, name="decider")
_owner = aliased(User, name="owner")
_creator = aliased(User, name="creator")
_lead_opportunity = aliased(Opportunity, name="lead_opportunity")
_OnAccount = TypeVar("_OnAccount", Lead, Opportunity)

LEAD_SORT_FIELDS = {
    "passed_at": SortField(Lead.passed_at, parse=parse_datetime),
    "sla_due_at": SortField(Lead.sla_due_at, parse=parse_datetime),
    "amount": SortField(Lead.amount),
}
OPPORTUNITY_SORT_FIELDS = {
    "close_on": SortField(Opportunity.close_on, parse=parse_date),
    "amount": SortField(Opportunity.amount),
    "created_at": SortField(Opportunity.created_at, parse=parse_datetime),
}
_LEAD_AUDITED = (
    "account_id",
    "product_id",
    "amount",
    "currency",
    "reason",
    "evidence",
    "activity_ids",
    "assignee_id",
    "assignee_team_id",
    "status",
    "sla_due_at",
)
_OPPORTUNITY_AUDITED = (
    "account_id",
    "name",
    "product_id",
    "kind",
    "stage",
    "amount",
    "currency",
    "quantity",
    "close_on",
    "lead_source",
    "lead_id",
    "created_by_id",
    "owner_id",
)


def _problem(field: str, code: str, message: str) -> FieldProblem:
    return FieldProblem(("body", field), code, message)


def day_bounds(start: date | None, end: date | None, zone: str) -> tuple[datetime | None, ...]:
    """UTC instants of ``start`` 00:00 and of the day after ``end`` (inclusive end) in
    ``zone``; None where a bound is missing."""
    tz = ZoneInfo(zone)
    low = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC) if start else None
    high = (
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        if end
        else None
    )
    return low, high


# ---------------------------------------------------------------------------- settings


def current_settings(session: Session) -> PipelineSettings:
    """The settings row, or the defaults (not stored) when nobody has saved any."""
    row = session.get(PipelineSettings, 1)
    if row is not None:
        return row
    return PipelineSettings(
        id=1, cs_measure=CsMeasure.LEAD_COUNT, lead_sla_hours=48, sla_business_days_only=True
    )


def get_settings(session: Session, actor: Actor) -> PipelineSettingsOut:
    actor.require(Permission.SALES_READ)
    return PipelineSettingsOut.model_validate(current_settings(session))


def update_settings(
    session: Session, actor: Actor, data: PipelineSettingsUpdate
) -> PipelineSettingsOut:
    """Change the KPI measure and the lead SLA (SALES_ADMIN). New SLAs apply to leads
    passed from now on; passed leads keep the due time they were given."""
    actor.require(Permission.SALES_ADMIN)
    row = session.get(PipelineSettings, 1)
    if row is None:
        row = current_settings(session)
        session.add(row)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    changes = audit.apply_changes(row, values)
    session.flush()
    if changes:
        audit.record(
            session,
            actor,
            "pipeline.settings",
            "pipeline_settings",
            "1",
            summary="pipeline settings",
            changes=changes,
        )
    return PipelineSettingsOut.model_validate(row)


# ---------------------------------------------------------------------------- leads: read


def _readable(
    session: Session, actor: Actor, model: type[_OnAccount], row_id: uuid.UUID, what: str
) -> _OnAccount:
    """The row if ``actor`` may read the sales pages and see its account; NotFound else."""
    row = session.get(model, row_id)
    if row is None or not actor.can(Permission.SALES_READ):
        raise NotFound(f"{what} not found")
    try:
        access_account(session, actor, row.account_id)
    except NotFound:
        raise NotFound(f"{what} not found") from None
    return row


def access_lead(session: Session, actor: Actor, lead_id: uuid.UUID) -> Lead:
    """The lead if ``actor`` may read the sales pages and see its account; NotFound else."""
    return _readable(session, actor, Lead, lead_id, "lead")


def _lead_select() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Lead,
            Account.name.label("account_name"),
            Product.code.label("product_code"),
            Product.name.label("product_name"),
            _passer.name.label("passed_by_name"),
            _assignee.name.label("assignee_name"),
            Team.name.label("assignee_team_name"),
            _decider.name.label("decided_by_name"),
            _lead_opportunity.stage.label("opportunity_stage"),
        )
        .join(Account, Account.id == Lead.account_id)
        .outerjoin(Product, Product.id == Lead.product_id)
        .outerjoin(_passer, _passer.id == Lead.passed_by_id)
        .outerjoin(_assignee, _assignee.id == Lead.assignee_id)
        .outerjoin(Team, Team.id == Lead.assignee_team_id)
        .outerjoin(_decider, _decider.id == Lead.decided_by_id)
        .outerjoin(_lead_opportunity, _lead_opportunity.id == Lead.opportunity_id)
    )


def lead_to_out(row: Any, now: datetime) -> LeadOut:
    lead: Lead = row[0]
    is_open = lead.status is LeadStatus.PASSED
    overdue = is_open and sla.is_overdue(lead.sla_due_at, now)
    decided = lead.status in (LeadStatus.ACCEPTED, LeadStatus.REJECTED)
    data = {k: getattr(lead, k) for k in LeadOut.model_fields if hasattr(lead, k)}
    data |= {
        "account_name": row.account_name,
        "product_code": row.product_code,
        "product_name": row.product_name,
        "passed_by_name": row.passed_by_name,
        "assignee_name": row.assignee_name,
        "assignee_team_name": row.assignee_team_name,
        "decided_by_name": row.decided_by_name,
        "opportunity_stage": row.opportunity_stage,
        "activity_ids": [str(a) for a in lead.activity_ids or []],
        "overdue": overdue,
        "late_seconds": int(sla.late_by(lead.sla_due_at, now).total_seconds()) if overdue else 0,
        "within_sla": sla.within_sla(lead.sla_due_at, lead.decided_at) if decided else None,
    }
    return LeadOut.model_validate(data)


def get_lead(
    session: Session, actor: Actor, lead_id: uuid.UUID, *, now: datetime | None = None
) -> LeadOut:
    access_lead(session, actor, lead_id)
    row = session.execute(_lead_select().where(Lead.id == lead_id)).one()
    return lead_to_out(row, now or utc_now())


def _lead_conditions(
    actor: Actor, filters: LeadFilters, *, zone: str, now: datetime
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.view is LeadView.MINE:
        conditions.append(
            Lead.passed_by_id == actor.user_id if actor.user_id is not None else false()
        )
    elif filters.view is LeadView.INBOX:
        mine: list[ColumnElement[bool]] = []
        if actor.user_id is not None:
            mine.append(Lead.assignee_id == actor.user_id)
        if actor.team_id is not None:
            mine.append(Lead.assignee_team_id == actor.team_id)
        conditions.append(or_(*mine) if mine else false())
    for value, col in (
        (filters.status, Lead.status),
        (filters.account_id, Lead.account_id),
        (filters.product_id, Lead.product_id),
        (filters.passed_by_id, Lead.passed_by_id),
        (filters.assignee_id, Lead.assignee_id),
    ):
        if value is not None:
            conditions.append(col == value)
    overdue = and_(Lead.status == LeadStatus.PASSED, Lead.sla_due_at < now)
    if filters.overdue is True:
        conditions.append(overdue)
    elif filters.overdue is False:
        conditions.append(~overdue)
    low, high = day_bounds(filters.passed_from, filters.passed_to, zone)
    if low is not None:
        conditions.append(Lead.passed_at >= low)
    if high is not None:
        conditions.append(Lead.passed_at < high)
    return conditions


def list_leads(
    session: Session,
    actor: Actor,
    filters: LeadFilters,
    *,
    zone: str | None = None,
    now: datetime | None = None,
    sort: str = "-passed_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LeadOut]:
    """Leads in ``filters.view`` (mine = passed by me, inbox = assigned to me or my team,
    all), newest first by default; sort by passed_at, sla_due_at or amount."""
    actor.require(Permission.SALES_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    moment = now or utc_now()
    stmt = _lead_select().where(
        *_lead_conditions(actor, filters, zone=zone or actor.timezone, now=moment)
    )
    return keyset_page(
        session,
        stmt,
        fields=LEAD_SORT_FIELDS,
        sort=sort,
        id_column=Lead.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: lead_to_out(row, moment),
    )


def _counts(conditions: list[ColumnElement[bool]], now: datetime) -> Select[*tuple[Any, ...]]:
    def n(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    accepted = Lead.status == LeadStatus.ACCEPTED
    return (
        select(
            func.count(Lead.id),
            n(Lead.status == LeadStatus.PASSED),
            n(and_(Lead.status == LeadStatus.PASSED, Lead.sla_due_at < now)),
            n(accepted),
            n(Lead.status == LeadStatus.REJECTED),
            n(Lead.status == LeadStatus.WITHDRAWN),
            n(and_(accepted, _lead_opportunity.stage == OpportunityStage.WON)),
            n(and_(accepted, Lead.decided_at <= Lead.sla_due_at)),
        )
        .select_from(Lead)
        .outerjoin(_lead_opportunity, _lead_opportunity.id == Lead.opportunity_id)
        .where(*conditions)
    )


def _to_counts(row: Any) -> LeadCounts:
    passed, open_, overdue, accepted, rejected, withdrawn, converted, in_sla = (int(v) for v in row)
    return LeadCounts(
        passed=passed,
        open=open_,
        overdue=overdue,
        accepted=accepted,
        rejected=rejected,
        withdrawn=withdrawn,
        converted=converted,
        accepted_within_sla=in_sla,
        accepted_within_sla_rate=in_sla / accepted if accepted else None,
    )


def count_leads(
    session: Session,
    actor: Actor,
    filters: LeadFilters,
    *,
    zone: str | None = None,
    now: datetime | None = None,
) -> LeadCounts:
    """Passed / open / overdue / accepted / rejected / withdrawn / converted for the same
    filters as the list (``status`` ignored), and the accepted-within-SLA rate."""
    actor.require(Permission.SALES_READ)
    moment = now or utc_now()
    conditions = _lead_conditions(
        actor, filters.model_copy(update={"status": None}), zone=zone or actor.timezone, now=moment
    )
    return _to_counts(session.execute(_counts(conditions, moment)).one())


def lead_counts(
    session: Session,
    start: date,
    end: date,
    *,
    by: str | None = None,
    zone: str = "Asia/Tokyo",
    now: datetime | None = None,
) -> dict[Any, LeadCounts]:
    """Counts of the leads passed from ``start`` to ``end`` (inclusive, days in ``zone``),
    for the customer-sales dashboard. ``by``: None (one entry, key None), ``"csm"`` (key
    = passed_by_id), ``"assignee"`` (assignee_id), ``"team"`` (assignee_team_id) or
    ``"product"`` (product_id). The caller checks SALES_READ."""
    groups = {
        None: None,
        "csm": Lead.passed_by_id,
        "assignee": Lead.assignee_id,
        "team": Lead.assignee_team_id,
        "product": Lead.product_id,
    }
    if by not in groups:
        raise Invalid(
            FieldProblem(("query", "by"), "invalid_choice", f"by must be one of {list(groups)}")
        )
    moment = now or utc_now()
    low, high = day_bounds(start, end, zone)
    stmt = _counts([Lead.passed_at >= low, Lead.passed_at < high], moment)
    key = groups[by]
    if key is None:
        return {None: _to_counts(session.execute(stmt).one())}
    rows = session.execute(stmt.add_columns(key).group_by(key)).all()
    return {row[-1]: _to_counts(row[:-1]) for row in rows}


def csm_kpis(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    *,
    zone: str | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> CsmKpiReport:
    """Per CSM over ``start``–``end`` (inclusive days): leads passed and accepted, CS-source
    opportunities credited to them (count and created amount, by creation date) and the
    amount of those won in the period. Amounts in ``currency`` only. The setting
    ``cs_measure`` says which view is the KPI (lead count or amount); rows come ordered
    by it."""
    actor.require(Permission.SALES_READ)
    low, high = day_bounds(start, end, zone or actor.timezone)
    rows: dict[uuid.UUID | None, dict[str, int]] = {}

    def slot(user_id: uuid.UUID | None) -> dict[str, int]:
        return rows.setdefault(
            user_id,
            {"passed": 0, "accepted": 0, "created": 0, "created_amount": 0, "won_amount": 0},
        )

    lead_rows = session.execute(
        select(
            Lead.passed_by_id,
            func.count(Lead.id),
            func.coalesce(func.sum(case((Lead.status == LeadStatus.ACCEPTED, 1), else_=0)), 0),
        )
        .where(Lead.passed_at >= low, Lead.passed_at < high)
        .group_by(Lead.passed_by_id)
    )
    for user_id, passed, accepted in lead_rows:
        slot(user_id).update(passed=int(passed), accepted=int(accepted))
    cs = and_(Opportunity.lead_source == LeadSource.CS, Opportunity.currency == currency)
    created_rows = session.execute(
        select(Opportunity.created_by_id, func.count(Opportunity.id), func.sum(Opportunity.amount))
        .where(cs, Opportunity.created_at >= low, Opportunity.created_at < high)
        .group_by(Opportunity.created_by_id)
    )
    for user_id, count, amount in created_rows:
        slot(user_id).update(created=int(count), created_amount=int(amount or 0))
    won_rows = session.execute(
        select(Opportunity.created_by_id, func.sum(Opportunity.amount))
        .where(
            cs,
            Opportunity.stage == OpportunityStage.WON,
            Opportunity.won_at >= low,
            Opportunity.won_at < high,
        )
        .group_by(Opportunity.created_by_id)
    )
    for user_id, amount in won_rows:
        slot(user_id)["won_amount"] = int(amount or 0)
    ids = [k for k in rows if k is not None]
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    measure = current_settings(session).cs_measure
    result = [
        CsmKpi(
            user_id=user_id,
            name=names.get(user_id, "—") if user_id else "—",
            leads_passed=v["passed"],
            leads_accepted=v["accepted"],
            opportunities_created=v["created"],
            created_amount=v["created_amount"],
            won_amount=v["won_amount"],
        )
        for user_id, v in rows.items()
    ]

    def order(k: CsmKpi) -> tuple[int, int, str]:
        if measure is CsMeasure.AMOUNT:
            return (-k.created_amount, -k.won_amount, k.name)
        return (-k.leads_passed, -k.leads_accepted, k.name)

    result.sort(key=order)
    return CsmKpiReport(measure=measure, currency=currency, start=start, end=end, rows=result)


# ---------------------------------------------------------------------------- leads: write


def _active_user(session: Session, user_id: uuid.UUID, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Invalid(_problem(field, "unknown_user", "no active user with this id"))
    return user


def _check_lead_input(session: Session, data: LeadCreate, account: Account) -> str:
    """Every problem of a new lead at once; returns the currency."""
    problems: list[FieldProblem] = []
    currency = data.currency or account.currency
    if currency != account.currency:
        problems.append(
            _problem("currency", "currency_mismatch", f"must be the account's ({account.currency})")
        )
    if not data.reason.strip():
        problems.append(_problem("reason", "required", "say why the customer needs this"))
    if data.product_id is not None and session.get(Product, data.product_id) is None:
        problems.append(_problem("product_id", "unknown_product", "no such product"))
    if data.assignee_id is None and data.assignee_team_id is None:
        problems.append(_problem("assignee_id", "required", "pass it to a person or a team"))
    if data.assignee_id is not None:
        user = session.get(User, data.assignee_id)
        if user is None or not user.is_active:
            problems.append(_problem("assignee_id", "unknown_user", "no active user with this id"))
    if data.assignee_team_id is not None and session.get(Team, data.assignee_team_id) is None:
        problems.append(_problem("assignee_team_id", "unknown_team", "no such team"))
    if data.activity_ids:
        found = set(
            session.scalars(
                select(Activity.id).where(
                    Activity.id.in_(data.activity_ids), Activity.account_id == account.id
                )
            )
        )
        for i, activity_id in enumerate(data.activity_ids):
            if activity_id not in found:
                problems.append(
                    FieldProblem(
                        ("body", "activity_ids", i),
                        "wrong_account",
                        "not an activity of this account",
                    )
                )
    if problems:
        raise Invalid(problems)
    return currency


def _playbooks_soon(session: Session) -> None:
    scheduler.request_run(session, PLAYBOOK_JOB, delay=PLAYBOOK_DELAY)


def pass_lead(
    session: Session, actor: Actor, data: LeadCreate, *, now: datetime | None = None
) -> Lead:
    """A CSM passes a lead; its SLA clock starts now (``now`` for imports and tests).

    Publishes ``lead.passed`` and asks for a playbook run."""
    actor.require(Permission.PIPELINE_WRITE)
    account = access_account_for_input(session, actor, data.account_id)
    currency = _check_lead_input(session, data, account)
    settings = current_settings(session)
    passed_at = ensure_utc(now) if now is not None else utc_now()
    lead = Lead(
        account_id=account.id,
        product_id=data.product_id,
        amount=data.amount,
        currency=currency,
        reason=data.reason.strip(),
        evidence=data.evidence.strip(),
        activity_ids=list(dict.fromkeys(str(a) for a in data.activity_ids)),
        passed_by_id=actor.user_id,
        passed_at=passed_at,
        assignee_id=data.assignee_id,
        assignee_team_id=data.assignee_team_id,
        status=LeadStatus.PASSED,
        reject_reason="",
        sla_due_at=sla.sla_due_at(
            passed_at,
            settings.lead_sla_hours,
            business_days_only=settings.sla_business_days_only,
        ),
    )
    session.add(lead)
    session.flush()
    audit.record(
        session,
        actor,
        "lead.pass",
        "lead",
        lead.id,
        summary=account.name,
        changes=audit.snapshot(lead, _LEAD_AUDITED),
    )
    product = session.get(Product, lead.product_id) if lead.product_id else None
    passer = session.get(User, actor.user_id) if actor.user_id else None
    outbox.publish(
        session,
        LEAD_PASSED,
        account.id,
        {
            "lead_id": str(lead.id),
            "product_code": product.code if product else None,
            "amount": lead.amount,
            "currency": lead.currency,
            "passed_by": passer.email if passer else None,
        },
    )
    _playbooks_soon(session)
    return lead


def _may_decide(actor: Actor, lead: Lead) -> bool:
    if actor.can(Permission.SALES_ADMIN):
        return True
    if actor.user_id is not None and lead.assignee_id == actor.user_id:
        return True
    return lead.assignee_team_id is not None and lead.assignee_team_id == actor.team_id


def _decidable(session: Session, actor: Actor, lead_id: uuid.UUID, action: str) -> Lead:
    lead = access_lead(session, actor, lead_id)
    actor.require(Permission.PIPELINE_WRITE)
    rules.check_lead_action(lead.status, action)
    if action == "withdraw":
        if not (actor.can(Permission.SALES_ADMIN) or lead.passed_by_id == actor.user_id):
            raise Forbidden("only the CSM who passed a lead can withdraw it", code="not_passer")
    elif not _may_decide(actor, lead):
        raise Forbidden(
            "only the assignee, their team or a sales administrator can decide a lead",
            code="not_assignee",
        )
    return lead


def _account_holds(
    session: Session, account_id: uuid.UUID, product_id: uuid.UUID, on: date
) -> bool:
    return (
        session.scalar(
            select(Subscription.id)
            .where(
                Subscription.account_id == account_id,
                Subscription.product_id == product_id,
                Subscription.start_on <= on,
                or_(Subscription.end_on.is_(None), Subscription.end_on > on),
            )
            .limit(1)
        )
        is not None
    )


def accept_lead(
    session: Session, actor: Actor, lead_id: uuid.UUID, data: LeadAccept, *, today: date
) -> Opportunity:
    """Sales takes the lead: an opportunity (stage qualification, source CS, credited to the
    CSM who passed it, owned by the acceptor, amount from the lead). Publishes
    ``lead.accepted``."""
    lead = _decidable(session, actor, lead_id, "accept")
    account = session.get(Account, lead.account_id)
    assert account is not None  # the foreign key guarantees it
    product = session.get(Product, lead.product_id) if lead.product_id else None
    close_on = data.close_on or today + timedelta(days=DEFAULT_CLOSE_DAYS)
    kind = (
        OpportunityKind.UPSELL
        if product is not None and _account_holds(session, account.id, product.id, today)
        else OpportunityKind.CROSS_SELL
    )
    opportunity = Opportunity(
        account_id=account.id,
        name=(data.name or rules.opportunity_name(product.name if product else None, account.name)),
        product_id=lead.product_id,
        kind=kind,
        stage=OpportunityStage.QUALIFICATION,
        amount=lead.amount,
        currency=lead.currency,
        close_on=close_on,
        lead_source=LeadSource.CS,
        lead_id=lead.id,
        created_by_id=lead.passed_by_id,
        owner_id=actor.user_id,
        lost_reason="",
    )
    session.add(opportunity)
    session.flush()
    _history(session, actor, opportunity, None)
    audit.record(
        session,
        actor,
        "opportunity.create",
        "opportunity",
        opportunity.id,
        summary=opportunity.name,
        changes=audit.snapshot(opportunity, _OPPORTUNITY_AUDITED),
    )
    changes = audit.apply_changes(
        lead,
        {
            "status": LeadStatus.ACCEPTED,
            "decided_by_id": actor.user_id,
            "decided_at": utc_now(),
            "opportunity_id": opportunity.id,
        },
    )
    session.flush()
    audit.record(
        session, actor, "lead.accept", "lead", lead.id, summary=account.name, changes=changes
    )
    outbox.publish(
        session,
        LEAD_ACCEPTED,
        account.id,
        {"lead_id": str(lead.id), "opportunity_id": str(opportunity.id)},
    )
    _playbooks_soon(session)
    return opportunity


def reject_lead(session: Session, actor: Actor, lead_id: uuid.UUID, data: LeadReject) -> Lead:
    """Sales declines the lead; the reason is required (the CSM learns from it)."""
    lead = _decidable(session, actor, lead_id, "reject")
    reason = data.reason.strip()
    if not reason:
        raise Invalid(_problem("reason", "required", "say why the lead is rejected"))
    changes = audit.apply_changes(
        lead,
        {
            "status": LeadStatus.REJECTED,
            "decided_by_id": actor.user_id,
            "decided_at": utc_now(),
            "reject_reason": reason,
        },
    )
    session.flush()
    audit.record(session, actor, "lead.reject", "lead", lead.id, changes=changes)
    return lead


def withdraw_lead(session: Session, actor: Actor, lead_id: uuid.UUID) -> Lead:
    """The CSM takes back a lead nobody has decided yet."""
    lead = _decidable(session, actor, lead_id, "withdraw")
    changes = audit.apply_changes(lead, {"status": LeadStatus.WITHDRAWN})
    session.flush()
    audit.record(session, actor, "lead.withdraw", "lead", lead.id, changes=changes)
    return lead


# ---------------------------------------------------------------------------- opportunities: read


def access_opportunity(session: Session, actor: Actor, opportunity_id: uuid.UUID) -> Opportunity:
    return _readable(session, actor, Opportunity, opportunity_id, "opportunity")


def _opportunity_select() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Opportunity,
            Account.name.label("account_name"),
            Product.code.label("product_code"),
            Product.name.label("product_name"),
            _owner.name.label("owner_name"),
            _creator.name.label("created_by_name"),
        )
        .join(Account, Account.id == Opportunity.account_id)
        .outerjoin(Product, Product.id == Opportunity.product_id)
        .outerjoin(_owner, _owner.id == Opportunity.owner_id)
        .outerjoin(_creator, _creator.id == Opportunity.created_by_id)
    )


def opportunity_to_out(row: Any) -> OpportunityOut:
    opportunity: Opportunity = row[0]
    data = {
        k: getattr(opportunity, k) for k in OpportunityOut.model_fields if hasattr(opportunity, k)
    }
    data |= {
        "account_name": row.account_name,
        "product_code": row.product_code,
        "product_name": row.product_name,
        "owner_name": row.owner_name,
        "created_by_name": row.created_by_name,
    }
    return OpportunityOut.model_validate(data)


def get_opportunity(session: Session, actor: Actor, opportunity_id: uuid.UUID) -> OpportunityDetail:
    access_opportunity(session, actor, opportunity_id)
    row = session.execute(_opportunity_select().where(Opportunity.id == opportunity_id)).one()
    changer = aliased(User, name="changer")
    history = session.execute(
        select(OpportunityStageChange, changer.name)
        .outerjoin(changer, changer.id == OpportunityStageChange.changed_by_id)
        .where(OpportunityStageChange.opportunity_id == opportunity_id)
        .order_by(OpportunityStageChange.changed_at, OpportunityStageChange.id)
    ).all()
    return OpportunityDetail(
        **opportunity_to_out(row).model_dump(),
        history=[
            StageChangeOut(
                from_stage=change.from_stage,
                to_stage=change.to_stage,
                amount=change.amount,
                changed_by_id=change.changed_by_id,
                changed_by_name=name,
                changed_at=change.changed_at,
            )
            for change, name in history
        ],
    )


def _opportunity_conditions(filters: OpportunityFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for value, col in (
        (filters.stage, Opportunity.stage),
        (filters.lead_source, Opportunity.lead_source),
        (filters.owner_id, Opportunity.owner_id),
        (filters.created_by_id, Opportunity.created_by_id),
        (filters.account_id, Opportunity.account_id),
        (filters.product_id, Opportunity.product_id),
    ):
        if value is not None:
            conditions.append(col == value)
    if filters.open_only:
        conditions.append(Opportunity.stage.in_(rules.OPEN_STAGES))
    if filters.close_from is not None:
        conditions.append(Opportunity.close_on >= filters.close_from)
    if filters.close_to is not None:
        conditions.append(Opportunity.close_on <= filters.close_to)
    return conditions


def list_opportunities(
    session: Session,
    actor: Actor,
    filters: OpportunityFilters,
    *,
    sort: str = "close_on",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OpportunityOut]:
    """Opportunities matching ``filters``; sort by close_on, amount or created_at."""
    actor.require(Permission.SALES_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    return keyset_page(
        session,
        _opportunity_select().where(*_opportunity_conditions(filters)),
        fields=OPPORTUNITY_SORT_FIELDS,
        sort=sort,
        id_column=Opportunity.id,
        cursor=cursor,
        limit=limit,
        to_item=opportunity_to_out,
    )


def pipeline_by_stage(
    session: Session,
    *,
    currency: str = DEFAULT_CURRENCY,
    filters: OpportunityFilters | None = None,
    owner_ids: Collection[uuid.UUID] | None = None,
) -> list[StageColumn]:
    """Count and amount (in ``currency``) per stage, every stage listed once, in order
    (for the board and the customer-sales dashboard; the caller checks SALES_READ)."""
    conditions = _opportunity_conditions(filters or OpportunityFilters())
    if owner_ids is not None:
        conditions.append(Opportunity.owner_id.in_(list(owner_ids)))
    rows = session.execute(
        select(
            Opportunity.stage,
            func.count(Opportunity.id),
            func.coalesce(
                func.sum(case((Opportunity.currency == currency, Opportunity.amount), else_=0)), 0
            ),
        )
        .where(*conditions)
        .group_by(Opportunity.stage)
    ).all()
    found = {stage: (int(count), int(amount)) for stage, count, amount in rows}
    return [
        StageColumn(
            stage=stage, count=found.get(stage, (0, 0))[0], amount=found.get(stage, (0, 0))[1]
        )
        for stage in OpportunityStage
    ]


def board(
    session: Session,
    actor: Actor,
    filters: OpportunityFilters,
    *,
    currency: str = DEFAULT_CURRENCY,
) -> PipelineBoard:
    actor.require(Permission.SALES_READ)
    return PipelineBoard(
        currency=currency, columns=pipeline_by_stage(session, currency=currency, filters=filters)
    )


# ---------------------------------------------------------------------------- opportunities: write


def _history(
    session: Session,
    actor: Actor,
    opportunity: Opportunity,
    from_stage: OpportunityStage | None,
) -> None:
    session.add(
        OpportunityStageChange(
            opportunity_id=opportunity.id,
            from_stage=from_stage,
            to_stage=opportunity.stage,
            amount=opportunity.amount,
            changed_by_id=actor.user_id,
            changed_at=utc_now(),
        )
    )
    session.flush()


def create_opportunity(
    session: Session, actor: Actor, data: OpportunityCreate, *, today: date
) -> Opportunity:
    """An opportunity created directly (sales, marketing, partner, or CS without a lead)."""
    actor.require(Permission.PIPELINE_WRITE)
    account = access_account_for_input(session, actor, data.account_id)
    problems: list[FieldProblem] = []
    currency = data.currency or account.currency
    if currency != account.currency:
        problems.append(
            _problem("currency", "currency_mismatch", f"must be the account's ({account.currency})")
        )
    product = None
    if data.product_id is not None:
        product = session.get(Product, data.product_id)
        if product is None:
            problems.append(_problem("product_id", "unknown_product", "no such product"))
    if not rules.is_open(data.stage):
        problems.append(_problem("stage", "open_stage_only", "create it open, then win or lose it"))
    for field in ("owner_id", "created_by_id"):
        user_id = getattr(data, field)
        if user_id is not None:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                problems.append(_problem(field, "unknown_user", "no active user with this id"))
    if problems:
        raise Invalid(problems)
    kind = data.kind or (
        OpportunityKind.UPSELL
        if product is not None and _account_holds(session, account.id, product.id, today)
        else OpportunityKind.CROSS_SELL
    )
    opportunity = Opportunity(
        account_id=account.id,
        name=(
            data.name or rules.opportunity_name(product.name if product else None, account.name)
        ).strip(),
        product_id=data.product_id,
        kind=kind,
        stage=data.stage,
        amount=data.amount,
        currency=currency,
        quantity=data.quantity,
        close_on=data.close_on,
        lead_source=data.lead_source,
        created_by_id=data.created_by_id or actor.user_id,
        owner_id=data.owner_id or actor.user_id,
        lost_reason="",
    )
    session.add(opportunity)
    session.flush()
    _history(session, actor, opportunity, None)
    audit.record(
        session,
        actor,
        "opportunity.create",
        "opportunity",
        opportunity.id,
        summary=opportunity.name,
        changes=audit.snapshot(opportunity, _OPPORTUNITY_AUDITED),
    )
    return opportunity


def _writable(
    session: Session, actor: Actor, opportunity_id: uuid.UUID, action: str
) -> Opportunity:
    opportunity = access_opportunity(session, actor, opportunity_id)
    actor.require(Permission.PIPELINE_WRITE)
    rules.check_open(opportunity.stage, action)
    return opportunity


def _record(
    session: Session, actor: Actor, action: str, opportunity: Opportunity, changes: dict[str, Any]
) -> None:
    session.flush()
    audit.record(
        session,
        actor,
        action,
        "opportunity",
        opportunity.id,
        summary=opportunity.name,
        changes=changes,
    )


def update_opportunity(
    session: Session, actor: Actor, opportunity_id: uuid.UUID, data: OpportunityUpdate
) -> Opportunity:
    """Change the fields sent of an open opportunity (``quantity: null`` clears it)."""
    opportunity = _writable(session, actor, opportunity_id, "update")
    values = data.model_dump(exclude_unset=True)
    values = {k: v for k, v in values.items() if v is not None or k == "quantity"}
    problems: list[FieldProblem] = []
    if "product_id" in values and session.get(Product, values["product_id"]) is None:
        problems.append(_problem("product_id", "unknown_product", "no such product"))
    if "owner_id" in values:
        owner = session.get(User, values["owner_id"])
        if owner is None or not owner.is_active:
            problems.append(_problem("owner_id", "unknown_user", "no active user with this id"))
    if problems:
        raise Invalid(problems)
    if "name" in values:
        values["name"] = values["name"].strip()
    changes = audit.apply_changes(opportunity, values)
    if changes:
        _record(session, actor, "opportunity.update", opportunity, changes)
    return opportunity


def move_stage(
    session: Session, actor: Actor, opportunity_id: uuid.UUID, stage: OpportunityStage
) -> Opportunity:
    """Move an open opportunity to another open stage (history kept); same stage: no-op."""
    opportunity = _writable(session, actor, opportunity_id, "move")
    rules.check_stage_move(opportunity.stage, stage)
    if stage is opportunity.stage:
        return opportunity
    before = opportunity.stage
    changes = audit.apply_changes(opportunity, {"stage": stage})
    _history(session, actor, opportunity, before)
    _record(session, actor, "opportunity.stage", opportunity, changes)
    return opportunity


def current_contract_ends(session: Session, account_id: uuid.UUID, on: date) -> list[date]:
    """End dates of the account's dated lines active on ``on``."""
    return list(
        session.scalars(
            select(Subscription.end_on).where(
                Subscription.account_id == account_id,
                Subscription.start_on <= on,
                Subscription.end_on.is_not(None),
                Subscription.end_on > on,
            )
        )
    )


def win_opportunity(
    session: Session,
    actor: Actor,
    opportunity_id: uuid.UUID,
    data: OpportunityWin,
    *,
    today: date,
) -> Opportunity:
    """Won: writes a subscription line for the product (MRR = the opportunity's amount,
    co-terminous with the account's current contract, else 12 months) through
    ``subscription.service`` (so every line rule and SUBSCRIPTION_WRITE apply) and links
    it. The caller's transaction makes the two one change."""
    opportunity = _writable(session, actor, opportunity_id, "win")
    if opportunity.product_id is None:
        raise Invalid(_problem("product_id", "required", "a won opportunity needs a product"))
    closed_on = data.closed_on or today
    start_on = data.start_on or opportunity.close_on
    quantity = data.quantity if data.quantity is not None else (opportunity.quantity or 1)
    end_on, term = rules.won_line_term(
        start_on, current_contract_ends(session, opportunity.account_id, start_on)
    )
    line = subscriptions.create_subscription(
        session,
        actor,
        SubscriptionCreate(
            account_id=opportunity.account_id,
            product_id=opportunity.product_id,
            contract_ref=opportunity.name[:100],
            quantity=quantity,
            mrr_amount=opportunity.amount,
            currency=opportunity.currency,
            start_on=start_on,
            end_on=end_on,
            term_months=term,
        ),
    )
    before = opportunity.stage
    changes = audit.apply_changes(
        opportunity,
        {
            "stage": OpportunityStage.WON,
            "won_at": utc_now(),
            "close_on": closed_on,
            "quantity": quantity,
            "subscription_id": line.id,
        },
    )
    _history(session, actor, opportunity, before)
    _record(session, actor, "opportunity.win", opportunity, changes)
    return opportunity


def lose_opportunity(
    session: Session,
    actor: Actor,
    opportunity_id: uuid.UUID,
    data: OpportunityLose,
    *,
    today: date,
) -> Opportunity:
    """Lost, with a reason (required)."""
    opportunity = _writable(session, actor, opportunity_id, "lose")
    reason = data.reason.strip()
    if not reason:
        raise Invalid(_problem("reason", "required", "say why it was lost"))
    before = opportunity.stage
    changes = audit.apply_changes(
        opportunity,
        {
            "stage": OpportunityStage.LOST,
            "lost_at": utc_now(),
            "lost_reason": reason,
            "close_on": data.closed_on or today,
        },
    )
    _history(session, actor, opportunity, before)
    _record(session, actor, "opportunity.lose", opportunity, changes)
    return opportunity


# ---------------------------------------------------------------------------- choices


def sales_people(session: Session, actor: Actor) -> list[User]:
    """Active users a lead can be passed to / an opportunity owned by."""
    actor.require(Permission.SALES_READ)
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


def teams(session: Session, actor: Actor) -> list[Team]:
    actor.require(Permission.SALES_READ)
    return list(session.scalars(select(Team).order_by(Team.name)))


def products(session: Session, actor: Actor) -> list[Product]:
    actor.require(Permission.SALES_READ)
    return list(session.scalars(select(Product).where(Product.is_active).order_by(Product.name)))


def recent_activities(
    session: Session, actor: Actor, account_id: uuid.UUID, *, limit: int = 10
) -> list[Activity]:
    """The account's latest activities, to pick as a lead's evidence."""
    access_account(session, actor, account_id)
    return list(
        session.scalars(
            select(Activity)
            .where(Activity.account_id == account_id)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(limit)
        )
    )


def activities_by_id(session: Session, ids: Collection[str]) -> dict[str, Activity]:
    keys = []
    for value in ids:
        try:
            keys.append(uuid.UUID(value))
        except ValueError:
            continue
    if not keys:
        return {}
    return {str(a.id): a for a in session.scalars(select(Activity).where(Activity.id.in_(keys)))}
