"""Account 360: everything known about one account, loaded in a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kizuna.account.service import access_account
from kizuna.auth.actor import Actor
from kizuna.customfield import service as custom_fields
from kizuna.kit.clock import today
from kizuna.models import (
    Account,
    Activity,
    Contact,
    CustomFieldDefinition,
    Subscription,
    SurveyResponse,
    User,
)
from kizuna.models.enums import ContactRole, CustomFieldObject, SurveyKind
from kizuna.portfolio.history import LineSpan, monthly_mrr
from kizuna.subscription.terms import renewal_date
from kizuna.survey.scoring import nps

TIMELINE_PAGE = 30


@dataclass(frozen=True)
class LineView:
    line: Subscription
    product_name: str
    product_kind: str
    active: bool
    renewal_on: date | None


@dataclass(frozen=True)
class Account360:
    account: Account
    owners: dict[str, User | None]
    contacts: list[Contact]
    contacts_by_role: dict[ContactRole, list[Contact]]
    lines: list[LineView]
    mrr_amount: int
    next_renewal_on: date | None
    mrr_history: list[tuple[date, int]]
    activities: list[Activity]
    more_activities: bool
    surveys: list[SurveyResponse]
    nps_score: int | None
    latest_csat: int | None
    custom_fields: list[CustomFieldDefinition]
    contact_names: dict[uuid.UUID, str] = field(default_factory=dict)


def account_360(session: Session, actor: Actor, account_id: uuid.UUID) -> Account360:
    account = access_account(session, actor, account_id)
    on = today(actor.timezone)
    owner_ids = {
        "csm": account.csm_owner_id,
        "sales": account.sales_owner_id,
        "ae": account.ae_owner_id,
        "support": account.support_owner_id,
    }
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_([i for i in owner_ids.values() if i]))
        )
    }
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id)
            .order_by(Contact.is_active.desc(), Contact.is_primary.desc(), Contact.name)
        )
    )
    by_role: dict[ContactRole, list[Contact]] = {role: [] for role in ContactRole}
    for contact in contacts:
        for role in contact.roles:
            by_role[role].append(contact)
    lines = _lines(session, account.id, on)
    active = [v for v in lines if v.active]
    renewals = [v.renewal_on for v in active if v.renewal_on]
    activities, more = _timeline(session, account.id, before=None)
    surveys = list(
        session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.account_id == account.id)
            .order_by(SurveyResponse.responded_on.desc())
            .limit(20)
        )
    )
    return Account360(
        account=account,
        owners={k: users.get(v) if v else None for k, v in owner_ids.items()},
        contacts=contacts,
        contacts_by_role=by_role,
        lines=lines,
        mrr_amount=sum(v.line.mrr_amount for v in active),
        next_renewal_on=min(renewals) if renewals else None,
        mrr_history=monthly_mrr(
            [LineSpan(v.line.start_on, v.line.end_on, v.line.mrr_amount) for v in lines], on
        ),
        activities=activities,
        more_activities=more,
        surveys=surveys,
        nps_score=_recent_nps(surveys),
        latest_csat=next((s.score for s in surveys if s.kind is SurveyKind.CSAT), None),
        custom_fields=custom_fields.list_definitions(
            session, CustomFieldObject.ACCOUNT, active_only=True
        ),
        contact_names={c.id: c.name for c in contacts},
    )


def _lines(session: Session, account_id: uuid.UUID, on: date) -> list[LineView]:
    rows = session.scalars(
        select(Subscription)
        .options(selectinload(Subscription.product))
        .where(Subscription.account_id == account_id)
        .order_by(Subscription.start_on.desc())
    )
    views = []
    for line in rows:
        active = line.start_on <= on and (line.end_on is None or on < line.end_on)
        views.append(
            LineView(
                line=line,
                product_name=line.product.name,
                product_kind=line.product.kind.value,
                active=active,
                renewal_on=renewal_date(line.start_on, line.end_on, line.term_months, on)
                if active
                else None,
            )
        )
    views.sort(key=lambda v: (not v.active, v.product_kind != "base_plan", v.product_name))
    return views


def _recent_nps(surveys: list[SurveyResponse]) -> int | None:
    """NPS over the latest answers shown on the page (None without answers)."""
    scores = [s.score for s in surveys if s.kind is SurveyKind.NPS]
    value = nps(scores)
    return None if value is None else int(value)


def timeline(
    session: Session, actor: Actor, account_id: uuid.UUID, *, before: datetime | None
) -> tuple[list[Activity], bool]:
    """A further page of the activity timeline (the "show more" button)."""
    access_account(session, actor, account_id)
    return _timeline(session, account_id, before=before)


def _timeline(
    session: Session, account_id: uuid.UUID, *, before: datetime | None
) -> tuple[list[Activity], bool]:
    """The newest activities (before ``before``) with authors and participants loaded."""
    stmt = (
        select(Activity)
        .options(
            selectinload(Activity.author),
            selectinload(Activity.users),
            selectinload(Activity.contacts),
        )
        .where(Activity.account_id == account_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
    )
    if before is not None:
        stmt = stmt.where(Activity.occurred_at < before)
    rows = list(session.scalars(stmt.limit(TIMELINE_PAGE + 1)))
    return rows[:TIMELINE_PAGE], len(rows) > TIMELINE_PAGE
