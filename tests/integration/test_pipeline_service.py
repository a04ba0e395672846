"""Leads and opportunities: status flows and their illegal transitions, the SLA clock as
stored, won → subscription line → an expansion movement in the revenue ledger, events,
counts and the CS KPI. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_activity, make_line, make_product, make_team, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.kit.clock import today as today_in
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, Forbidden, Invalid, NotFound
from kizuna.models import (
    Account,
    AuditEvent,
    DomainEvent,
    Job,
    Lead,
    Opportunity,
    OpportunityStageChange,
    Product,
    Subscription,
)
from kizuna.models.enums import LeadSource, Role, TeamKind
from kizuna.models.pipeline import CsMeasure, LeadStatus, OpportunityKind, OpportunityStage
from kizuna.pipeline import service
from kizuna.pipeline.schemas import (
    LeadAccept,
    LeadCreate,
    LeadFilters,
    LeadReject,
    LeadView,
    OpportunityCreate,
    OpportunityFilters,
    OpportunityLose,
    OpportunityUpdate,
    OpportunityWin,
    PipelineSettingsUpdate,
)
from kizuna.revenue import service as revenue

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = today_in("Asia/Tokyo")


@dataclass
class World:
    csm: Actor
    ae: Actor
    growth: Actor  # a customer-sales person in the growth team
    other_csm: Actor
    admin: Actor
    growth_team_id: uuid.UUID
    account: Account
    product: Product
    option: Product


@pytest.fixture
def world(session: Session) -> World:
    growth_team = make_team(session, TeamKind.CUSTOMER_SALES, name="グロースチーム")
    field_team = make_team(session, TeamKind.SALES, name="フィールドセールス")
    cs_team = make_team(session, TeamKind.CSM, name="カスタマーサクセス")
    csm = make_user(session, Role.CSM, team_id=cs_team.id, email="csm@example.jp")
    other = make_user(session, Role.CSM, team_id=cs_team.id)
    ae = make_user(session, Role.SALES, team_id=field_team.id, email="ae@example.jp")
    growth = make_user(session, Role.CUSTOMER_SALES, team_id=growth_team.id)
    admin = make_user(session, Role.ADMIN)
    account = make_account(session, name="株式会社リード", csm_owner_id=csm.id)
    base = make_product(session, code="BASE", name="ベースプラン")
    option = make_product(session, code="CRM", name="Yappli CRM")
    make_line(session, account, base, mrr=100_000, start=date(2025, 4, 1), end=date(2027, 3, 31))
    return World(
        csm=actor_for_user(csm),
        ae=actor_for_user(ae),
        growth=actor_for_user(growth),
        other_csm=actor_for_user(other),
        admin=actor_for_user(admin),
        growth_team_id=growth_team.id,
        account=account,
        product=base,
        option=option,
    )


def _pass(session: Session, w: World, *, now: datetime | None = None, **fields: object) -> Lead:
    data = {
        "account_id": w.account.id,
        "product_id": w.option.id,
        "amount": 30_000,
        "reason": "問い合わせが月20件を超え、CRM連携の要望が出ている",
        "assignee_id": w.ae.user_id,
        **fields,
    }
    return service.pass_lead(session, w.csm, LeadCreate.model_validate(data), now=now)


# ---------------------------------------------------------------------------- leads


def test_pass_lead_sets_sla_publishes_and_requests_playbooks(session: Session, w: World) -> None:
    activity = make_activity(session, w.account)
    friday_evening = datetime(2026, 11, 20, 18, tzinfo=TOKYO)
    lead = _pass(session, w, now=friday_evening, activity_ids=[str(activity.id)])
    assert lead.status is LeadStatus.PASSED
    assert lead.currency == "JPY"
    assert lead.passed_by_id == w.csm.user_id
    assert lead.activity_ids == [str(activity.id)]
    # 48 business hours from Friday 18:00 in Tokyo: the weekend does not count.
    assert lead.sla_due_at.astimezone(TOKYO) == datetime(2026, 11, 24, 18, tzinfo=TOKYO)
    event = session.scalars(select(DomainEvent).where(DomainEvent.kind == "lead.passed")).one()
    assert event.account_id == w.account.id
    assert event.payload == {
        "lead_id": str(lead.id),
        "product_code": "CRM",
        "amount": 30_000,
        "currency": "JPY",
        "passed_by": "csm@example.jp",
    }
    assert session.scalar(select(Job.id).where(Job.name == "playbooks.evaluate")) is not None
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "lead.pass"))


def test_sla_setting_hours_and_calendar_days(session: Session, w: World) -> None:
    service.update_settings(
        session,
        w.admin,
        PipelineSettingsUpdate(lead_sla_hours=24, sla_business_days_only=False),
    )
    lead = _pass(session, w, now=datetime(2026, 11, 20, 18, tzinfo=TOKYO))
    assert lead.sla_due_at.astimezone(TOKYO) == datetime(2026, 11, 21, 18, tzinfo=TOKYO)


def test_settings_need_sales_admin(session: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        service.update_settings(session, w.csm, PipelineSettingsUpdate(lead_sla_hours=8))
    assert service.get_settings(session, w.csm).lead_sla_hours == 48
    out = service.update_settings(
        session, w.admin, PipelineSettingsUpdate(cs_measure=CsMeasure.AMOUNT)
    )
    assert out.cs_measure is CsMeasure.AMOUNT
    assert service.get_settings(session, w.ae).cs_measure is CsMeasure.AMOUNT


def test_pass_lead_names_every_bad_field(session: Session, w: World) -> None:
    stranger = make_activity(session, make_account(session))
    with pytest.raises(Invalid) as caught:
        _pass(
            session,
            w,
            assignee_id=None,
            currency="USD",
            reason="   ",
            product_id=str(uuid.uuid4()),
            activity_ids=[str(stranger.id)],
        )
    fields = {p.loc[1]: p.code for p in caught.value.problems}
    assert fields == {
        "assignee_id": "required",
        "currency": "currency_mismatch",
        "reason": "required",
        "product_id": "unknown_product",
        "activity_ids": "wrong_account",
    }


def test_a_read_only_user_cannot_pass(session: Session, w: World) -> None:
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    with pytest.raises(Forbidden):
        service.pass_lead(
            session,
            viewer,
            LeadCreate(account_id=w.account.id, amount=1, reason="x", assignee_id=w.ae.user_id),
        )


def test_accept_creates_a_cs_opportunity_credited_to_the_csm(session: Session, w: World) -> None:
    lead = _pass(session, w)
    opportunity = service.accept_lead(session, w.ae, lead.id, LeadAccept(), today=TODAY)
    assert lead.status is LeadStatus.ACCEPTED
    assert lead.decided_by_id == w.ae.user_id
    assert lead.opportunity_id == opportunity.id
    assert opportunity.stage is OpportunityStage.QUALIFICATION
    assert opportunity.lead_source is LeadSource.CS
    assert opportunity.created_by_id == w.csm.user_id
    assert opportunity.owner_id == w.ae.user_id
    assert opportunity.amount == 30_000
    assert opportunity.name == "Yappli CRM — 株式会社リード"
    assert opportunity.kind is OpportunityKind.CROSS_SELL  # the account does not hold CRM
    assert opportunity.close_on == TODAY + timedelta(days=30)
    history = session.scalars(
        select(OpportunityStageChange).where(
            OpportunityStageChange.opportunity_id == opportunity.id
        )
    ).all()
    assert [(h.from_stage, h.to_stage) for h in history] == [(None, OpportunityStage.QUALIFICATION)]
    event = session.scalars(select(DomainEvent).where(DomainEvent.kind == "lead.accepted")).one()
    assert event.payload == {"lead_id": str(lead.id), "opportunity_id": str(opportunity.id)}
    out = service.get_lead(session, w.csm, lead.id)
    assert out.within_sla is True
    assert out.opportunity_stage is OpportunityStage.QUALIFICATION


def test_accepting_a_product_the_account_holds_is_an_upsell(session: Session, w: World) -> None:
    lead = _pass(session, w, product_id=str(w.product.id))
    opportunity = service.accept_lead(
        session, w.ae, lead.id, LeadAccept(close_on=date(2027, 1, 31)), today=TODAY
    )
    assert opportunity.kind is OpportunityKind.UPSELL
    assert opportunity.close_on == date(2027, 1, 31)


def test_a_team_lead_is_decided_by_the_team(session: Session, w: World) -> None:
    lead = _pass(session, w, assignee_id=None, assignee_team_id=str(w.growth_team_id))
    with pytest.raises(Forbidden) as caught:
        service.accept_lead(session, w.ae, lead.id, LeadAccept(), today=TODAY)
    assert caught.value.code == "not_assignee"
    opportunity = service.accept_lead(session, w.growth, lead.id, LeadAccept(), today=TODAY)
    assert opportunity.owner_id == w.growth.user_id


def test_the_csm_cannot_accept_their_own_lead(session: Session, w: World) -> None:
    lead = _pass(session, w)
    with pytest.raises(Forbidden):
        service.accept_lead(session, w.csm, lead.id, LeadAccept(), today=TODAY)


def test_reject_needs_a_reason(session: Session, w: World) -> None:
    lead = _pass(session, w)
    with pytest.raises(Invalid) as caught:
        service.reject_lead(session, w.ae, lead.id, LeadReject(reason="   "))
    assert caught.value.problems[0].loc == ("body", "reason")
    assert lead.status is LeadStatus.PASSED
    service.reject_lead(session, w.ae, lead.id, LeadReject(reason="予算が来期まで凍結"))
    assert lead.status is LeadStatus.REJECTED
    assert lead.reject_reason == "予算が来期まで凍結"
    assert lead.opportunity_id is None


def test_withdraw_only_by_the_passer_while_passed(session: Session, w: World) -> None:
    lead = _pass(session, w)
    with pytest.raises(Forbidden):
        service.withdraw_lead(session, w.other_csm, lead.id)
    with pytest.raises(Forbidden):
        service.withdraw_lead(session, w.ae, lead.id)
    service.withdraw_lead(session, w.csm, lead.id)
    assert lead.status is LeadStatus.WITHDRAWN


@pytest.mark.parametrize("first", ["accept", "reject", "withdraw"])
@pytest.mark.parametrize("second", ["accept", "reject", "withdraw"])
def test_every_decided_lead_refuses_every_action(
    session: Session, w: World, first: str, second: str
) -> None:
    lead = _pass(session, w)
    actions = {
        "accept": lambda: service.accept_lead(session, w.ae, lead.id, LeadAccept(), today=TODAY),
        "reject": lambda: service.reject_lead(session, w.ae, lead.id, LeadReject(reason="不要")),
        "withdraw": lambda: service.withdraw_lead(session, w.csm, lead.id),
    }
    actions[first]()
    status = lead.status
    with pytest.raises(Conflict) as caught:
        actions[second]()
    assert caught.value.code == "lead_state"
    assert lead.status is status


def test_overdue_leads_and_counts(session: Session, w: World) -> None:
    now = utc_now()
    late = _pass(session, w, now=now - timedelta(days=10))
    fresh = _pass(session, w, now=now)
    in_time = _pass(session, w, now=now)
    service.accept_lead(session, w.ae, in_time.id, LeadAccept(), today=TODAY)
    rejected = _pass(session, w, now=now)
    service.reject_lead(session, w.ae, rejected.id, LeadReject(reason="対象外"))
    # Accepted after its SLA: counts as accepted, not as accepted within the SLA.
    slow = _pass(session, w, now=now - timedelta(days=10))
    slow_opp = service.accept_lead(session, w.ae, slow.id, LeadAccept(), today=TODAY)

    out = service.get_lead(session, w.csm, late.id)
    assert out.overdue is True
    assert out.late_seconds > 3 * 86_400
    assert service.get_lead(session, w.csm, fresh.id).overdue is False

    overdue = service.list_leads(session, w.csm, LeadFilters(overdue=True))
    assert [lead.id for lead in overdue.items] == [late.id]

    counts = service.count_leads(session, w.csm, LeadFilters())
    assert counts.passed == 5
    assert counts.open == 2
    assert counts.overdue == 1
    assert counts.accepted == 2
    assert counts.rejected == 1
    assert counts.accepted_within_sla == 1
    assert counts.accepted_within_sla_rate == 0.5
    assert counts.converted == 0

    line_start = TODAY + timedelta(days=1)
    service.win_opportunity(
        session, w.ae, slow_opp.id, OpportunityWin(start_on=line_start), today=TODAY
    )
    assert service.count_leads(session, w.csm, LeadFilters()).converted == 1

    by_csm = service.lead_counts(session, TODAY - timedelta(days=30), TODAY, by="csm")
    assert by_csm[w.csm.user_id].passed == 5
    assert by_csm[w.csm.user_id].converted == 1
    with pytest.raises(Invalid):
        service.lead_counts(session, TODAY, TODAY, by="colour")


def test_views_mine_inbox_all(session: Session, w: World) -> None:
    to_ae = _pass(session, w)
    to_team = _pass(session, w, assignee_id=None, assignee_team_id=str(w.growth_team_id))

    def ids(actor: Actor, view: LeadView) -> set[uuid.UUID]:
        return {
            lead.id for lead in service.list_leads(session, actor, LeadFilters(view=view)).items
        }

    assert ids(w.csm, LeadView.MINE) == {to_ae.id, to_team.id}
    assert ids(w.ae, LeadView.INBOX) == {to_ae.id}
    assert ids(w.growth, LeadView.INBOX) == {to_team.id}
    assert ids(w.ae, LeadView.MINE) == set()
    assert ids(w.ae, LeadView.ALL) == {to_ae.id, to_team.id}
    page = service.list_leads(
        session, w.csm, LeadFilters(product_id=w.option.id, assignee_id=w.ae.user_id)
    )
    assert [lead.id for lead in page.items] == [to_ae.id]


def test_period_filter_uses_the_viewers_days(session: Session, w: World) -> None:
    # 2026-11-20 23:30 in Tokyo is 14:30 UTC the same day; 00:30 on the 21st is the 20th UTC.
    late_evening = _pass(session, w, now=datetime(2026, 11, 20, 23, 30, tzinfo=TOKYO))
    after_midnight = _pass(session, w, now=datetime(2026, 11, 21, 0, 30, tzinfo=TOKYO))
    filters = LeadFilters(passed_from=date(2026, 11, 20), passed_to=date(2026, 11, 20))
    found = service.list_leads(session, w.csm, filters, zone="Asia/Tokyo").items
    assert [lead.id for lead in found] == [late_evening.id]
    filters = LeadFilters(passed_from=date(2026, 11, 21), passed_to=date(2026, 11, 21))
    found = service.list_leads(session, w.csm, filters, zone="Asia/Tokyo").items
    assert [lead.id for lead in found] == [after_midnight.id]


def test_unknown_lead_is_not_found(session: Session, w: World) -> None:
    with pytest.raises(NotFound):
        service.get_lead(session, w.csm, uuid.uuid4())


# ---------------------------------------------------------------------------- opportunities


def _direct(session: Session, w: World, **fields: object) -> Opportunity:
    data = {
        "account_id": w.account.id,
        "product_id": w.option.id,
        "amount": 50_000,
        "close_on": TODAY + timedelta(days=20),
        "lead_source": "sales",
        **fields,
    }
    return service.create_opportunity(
        session, w.ae, OpportunityCreate.model_validate(data), today=TODAY
    )


def test_create_directly_defaults(session: Session, w: World) -> None:
    opportunity = _direct(session, w)
    assert opportunity.owner_id == w.ae.user_id
    assert opportunity.created_by_id == w.ae.user_id
    assert opportunity.lead_id is None
    assert opportunity.lead_source is LeadSource.SALES
    assert opportunity.name == "Yappli CRM — 株式会社リード"
    # CS without a lead: credited to the CSM named.
    cs = _direct(session, w, lead_source="cs", created_by_id=str(w.csm.user_id))
    assert cs.created_by_id == w.csm.user_id


def test_create_refuses_closed_stages_and_bad_references(session: Session, w: World) -> None:
    with pytest.raises(Invalid) as caught:
        _direct(
            session,
            w,
            stage="won",
            currency="EUR",
            owner_id=str(uuid.uuid4()),
            product_id=str(uuid.uuid4()),
        )
    fields = {p.loc[1]: p.code for p in caught.value.problems}
    assert fields == {
        "stage": "open_stage_only",
        "currency": "currency_mismatch",
        "owner_id": "unknown_user",
        "product_id": "unknown_product",
    }


def test_stage_moves_keep_history(session: Session, w: World) -> None:
    opportunity = _direct(session, w)
    service.move_stage(session, w.ae, opportunity.id, OpportunityStage.PROPOSAL)
    service.update_opportunity(session, w.ae, opportunity.id, OpportunityUpdate(amount=60_000))
    service.move_stage(session, w.ae, opportunity.id, OpportunityStage.NEGOTIATION)
    service.move_stage(session, w.ae, opportunity.id, OpportunityStage.PROPOSAL)  # back is fine
    service.move_stage(session, w.ae, opportunity.id, OpportunityStage.PROPOSAL)  # no-op
    detail = service.get_opportunity(session, w.csm, opportunity.id)
    assert [(h.from_stage, h.to_stage, h.amount) for h in detail.history] == [
        (None, OpportunityStage.QUALIFICATION, 50_000),
        (OpportunityStage.QUALIFICATION, OpportunityStage.PROPOSAL, 50_000),
        (OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION, 60_000),
        (OpportunityStage.NEGOTIATION, OpportunityStage.PROPOSAL, 60_000),
    ]
    with pytest.raises(Invalid) as caught:
        service.move_stage(session, w.ae, opportunity.id, OpportunityStage.WON)
    assert caught.value.problems[0].code == "use_win"


def test_lost_requires_a_reason_and_is_final(session: Session, w: World) -> None:
    opportunity = _direct(session, w)
    with pytest.raises(Invalid):
        service.lose_opportunity(
            session, w.ae, opportunity.id, OpportunityLose(reason="  "), today=TODAY
        )
    assert opportunity.stage is OpportunityStage.QUALIFICATION
    service.lose_opportunity(
        session, w.ae, opportunity.id, OpportunityLose(reason="競合に決定"), today=TODAY
    )
    assert opportunity.stage is OpportunityStage.LOST
    assert opportunity.lost_reason == "競合に決定"
    assert opportunity.lost_at is not None
    assert opportunity.close_on == TODAY
    for attempt in (
        lambda: service.move_stage(session, w.ae, opportunity.id, OpportunityStage.PROPOSAL),
        lambda: service.win_opportunity(
            session, w.ae, opportunity.id, OpportunityWin(), today=TODAY
        ),
        lambda: service.lose_opportunity(
            session, w.ae, opportunity.id, OpportunityLose(reason="再度"), today=TODAY
        ),
        lambda: service.update_opportunity(
            session, w.ae, opportunity.id, OpportunityUpdate(amount=1)
        ),
    ):
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "opportunity_closed"


def test_won_writes_a_coterminous_line_and_an_expansion_movement(
    session: Session, w: World
) -> None:
    opportunity = _direct(session, w, amount=40_000, quantity=20)
    start = date(2026, 12, 15)
    service.win_opportunity(
        session, w.ae, opportunity.id, OpportunityWin(start_on=start), today=TODAY
    )
    assert opportunity.stage is OpportunityStage.WON
    assert opportunity.won_at is not None
    assert opportunity.close_on == TODAY
    line = session.get(Subscription, opportunity.subscription_id)
    assert line is not None
    assert line.account_id == w.account.id
    assert line.product_id == w.option.id
    assert line.mrr_amount == 40_000
    assert line.quantity == 20
    assert line.start_on == start
    assert line.end_on == date(2027, 3, 31)  # co-terminous with the base plan
    assert line.term_months == 4
    # Won/lost are final: reopening is refused.
    with pytest.raises(Conflict):
        service.move_stage(session, w.ae, opportunity.id, OpportunityStage.NEGOTIATION)

    series = revenue.monthly_series(
        session, w.admin, date(2026, 11, 1), date(2027, 1, 1), accounts=[w.account.id]
    )
    by_month = {row.month: row for row in series.months}
    assert by_month[date(2026, 11, 1)].expansion_mrr == 0
    december = by_month[date(2026, 12, 1)]
    assert december.expansion_mrr == 40_000
    assert december.new_mrr == 0
    assert december.closing_mrr == 140_000


def test_won_without_a_dated_contract_runs_twelve_months(session: Session, w: World) -> None:
    account = make_account(session)
    make_line(session, account, w.product, mrr=10_000, start=date(2025, 1, 1))  # open-ended
    opportunity = _direct(session, w, account_id=str(account.id))
    start = date(2026, 12, 1)
    service.win_opportunity(
        session, w.ae, opportunity.id, OpportunityWin(start_on=start, quantity=3), today=TODAY
    )
    line = session.get(Subscription, opportunity.subscription_id)
    assert line is not None
    assert (line.end_on, line.term_months, line.quantity) == (date(2027, 12, 1), 12, 3)


def test_won_start_defaults_to_the_close_date(session: Session, w: World) -> None:
    opportunity = _direct(session, w, close_on=date(2026, 12, 20))
    service.win_opportunity(session, w.ae, opportunity.id, OpportunityWin(), today=TODAY)
    line = session.get(Subscription, opportunity.subscription_id)
    assert line is not None
    assert line.start_on == date(2026, 12, 20)
    assert line.quantity == 1


def test_winning_needs_subscription_write_and_rolls_back_as_one(session: Session, w: World) -> None:
    opportunity = _direct(session, w)
    # A CSM may work the pipeline but may not write subscription lines.
    with pytest.raises(Forbidden):
        service.win_opportunity(session, w.csm, opportunity.id, OpportunityWin(), today=TODAY)
    assert opportunity.stage is OpportunityStage.QUALIFICATION
    assert opportunity.subscription_id is None


def test_winning_needs_a_product(session: Session, w: World) -> None:
    opportunity = _direct(session, w, product_id=None)
    assert opportunity.name == "株式会社リード"
    with pytest.raises(Invalid) as caught:
        service.win_opportunity(session, w.ae, opportunity.id, OpportunityWin(), today=TODAY)
    assert caught.value.problems[0].loc == ("body", "product_id")


def test_list_filters_and_board(session: Session, w: World) -> None:
    a = _direct(session, w, amount=10_000, close_on=date(2026, 12, 10))
    b = _direct(session, w, amount=20_000, lead_source="marketing", close_on=date(2027, 1, 10))
    c = _direct(session, w, amount=5_000, lead_source="partner", close_on=date(2027, 2, 10))
    service.move_stage(session, w.ae, b.id, OpportunityStage.PROPOSAL)
    service.lose_opportunity(session, w.ae, c.id, OpportunityLose(reason="時期尚早"), today=TODAY)

    def ids(**filters: object) -> list[uuid.UUID]:
        page = service.list_opportunities(
            session, w.csm, OpportunityFilters.model_validate(filters)
        )
        return [o.id for o in page.items]

    assert set(ids()) == {a.id, b.id, c.id}
    assert ids(lead_source="marketing") == [b.id]
    assert ids(stage="proposal") == [b.id]
    assert ids(open_only=True) == [a.id, b.id]
    assert ids(close_from=date(2027, 1, 1), close_to=date(2027, 1, 31)) == [b.id]
    assert ids(owner_id=str(w.ae.user_id), open_only=True) == [a.id, b.id]
    assert ids(created_by_id=str(w.csm.user_id)) == []

    columns = {
        c.stage: (c.count, c.amount)
        for c in service.board(session, w.csm, OpportunityFilters()).columns
    }
    assert columns == {
        OpportunityStage.QUALIFICATION: (1, 10_000),
        OpportunityStage.PROPOSAL: (1, 20_000),
        OpportunityStage.NEGOTIATION: (0, 0),
        OpportunityStage.WON: (0, 0),
        OpportunityStage.LOST: (1, 5_000),
    }


def test_cs_kpi_both_views(session: Session, w: World) -> None:
    first = _pass(session, w, amount=30_000)
    _pass(session, w, amount=10_000)
    other = service.pass_lead(
        session,
        w.other_csm,
        LeadCreate(
            account_id=w.account.id,
            product_id=w.option.id,
            amount=90_000,
            reason="全社展開の相談",
            assignee_id=w.ae.user_id,
        ),
    )
    won = service.accept_lead(session, w.ae, first.id, LeadAccept(), today=TODAY)
    service.accept_lead(session, w.ae, other.id, LeadAccept(), today=TODAY)
    service.win_opportunity(
        session, w.ae, won.id, OpportunityWin(start_on=TODAY + timedelta(days=1)), today=TODAY
    )
    _direct(session, w, amount=999_000)  # sales source: not a CS figure

    report = service.csm_kpis(session, w.admin, TODAY - timedelta(days=1), TODAY)
    assert report.measure is CsMeasure.LEAD_COUNT
    rows = {r.user_id: r for r in report.rows}
    mine = rows[w.csm.user_id]
    assert (mine.leads_passed, mine.leads_accepted, mine.opportunities_created) == (2, 1, 1)
    assert (mine.created_amount, mine.won_amount) == (30_000, 30_000)
    theirs = rows[w.other_csm.user_id]
    assert (theirs.leads_passed, theirs.created_amount, theirs.won_amount) == (1, 90_000, 0)
    assert w.ae.user_id not in rows
    assert report.rows[0].user_id == w.csm.user_id  # most leads first

    service.update_settings(session, w.admin, PipelineSettingsUpdate(cs_measure=CsMeasure.AMOUNT))
    report = service.csm_kpis(session, w.admin, TODAY - timedelta(days=1), TODAY)
    assert report.measure is CsMeasure.AMOUNT
    assert report.rows[0].user_id == w.other_csm.user_id  # most created amount first


def test_pipeline_by_stage_for_the_dashboard(session: Session, w: World) -> None:
    _direct(session, w, amount=10_000)
    _direct(session, w, amount=7_000, lead_source="partner")
    columns = service.pipeline_by_stage(session)
    assert [c.stage for c in columns] == list(OpportunityStage)
    assert columns[0].count == 2
    assert columns[0].amount == 17_000
    partner = service.pipeline_by_stage(
        session, filters=OpportunityFilters(lead_source=LeadSource.PARTNER)
    )
    assert partner[0].amount == 7_000


@pytest.fixture
def w(world: World) -> World:
    return world
