"""The customer-sales dashboard against hand-computed fixtures: service, API and page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_team, make_user, utc
from kizuna.auth.actor import Actor
from kizuna.kit.clock import today as today_in
from kizuna.models import Lead, Opportunity, Renewal, SalesTarget
from kizuna.models.enums import LeadSource, Role, TeamKind, Tier
from kizuna.models.pipeline import LeadStatus, OpportunityStage
from kizuna.models.renewal import RenewalForecast
from kizuna.models.target import PeriodKind, TargetMetric
from kizuna.sales import service
from kizuna.sales.service import target_for
from kizuna.target import service as targets
from webtools import web_login

ADMIN = Actor.system("test")
TODAY = date(2026, 11, 15)


def _opp(
    session: Session, account: Any, by: Any, amount: int, created: datetime, **f: Any
) -> Opportunity:
    opp = Opportunity(
        account_id=account.id,
        name="deal",
        amount=amount,
        close_on=date(2026, 12, 31),
        lead_source=f.pop("lead_source", LeadSource.CS),
        created_by_id=by.id if by else None,
        created_at=created,
        **f,
    )
    session.add(opp)
    session.flush()
    return opp


def _lead(session: Session, by: Any, passed: datetime, **f: Any) -> Lead:
    lead = Lead(
        account_id=make_account(session).id,
        amount=1000,
        passed_by_id=by.id,
        passed_at=passed,
        sla_due_at=passed + timedelta(days=2),
        **f,
    )
    session.add(lead)
    session.flush()
    return lead


def _target(session: Session, period: str, source: str, metric: str, value: int) -> None:
    session.add(
        SalesTarget(
            **_span(session, period),
            lead_source=LeadSource(source),
            metric=TargetMetric(metric),
            value=value,
            currency=None if metric == "lead_count" else "JPY",
        )
    )
    session.flush()


def _span(session: Session, period: str) -> dict[str, Any]:
    s = targets.resolve_period(session, period, today=TODAY)
    return {"period_kind": s.kind, "starts_on": s.starts_on, "ends_on": s.ends_on}


@pytest.fixture
def company(session: Session) -> dict[str, Any]:
    cs_team = make_team(session, TeamKind.CSM, name="CS")
    csm1 = make_user(session, Role.CSM, name="CSM 1", team_id=cs_team.id)
    csm2 = make_user(session, Role.CSM, name="CSM 2", team_id=cs_team.id)
    seller = make_user(session, Role.CUSTOMER_SALES, name="営業 一郎")
    make_user(session, Role.CUSTOMER_SALES, name="営業 休職", is_active=False)
    ae = make_user(session, Role.SALES, name="AE")
    acc1 = make_account(session, tier=Tier.TIER1, sales_owner_id=seller.id)
    acc2 = make_account(session, tier=Tier.TIER2, sales_owner_id=seller.id)
    acc3 = make_account(session, tier=Tier.TIER3, sales_owner_id=seller.id)
    acc4 = make_account(session)
    won = {"stage": OpportunityStage.WON}
    o1 = _opp(session, acc1, csm1, 100_000, utc(2026, 10, 5), won_at=utc(2026, 11, 1), **won)
    _opp(session, acc2, csm1, 50_000, utc(2026, 10, 6), stage=OpportunityStage.PROPOSAL)
    _opp(
        session,
        acc1,
        ae,
        70_000,
        utc(2026, 10, 7),
        lead_source=LeadSource.MARKETING,
        stage=OpportunityStage.NEGOTIATION,
    )
    _opp(
        session,
        acc3,
        ae,
        30_000,
        utc(2026, 9, 1),
        lead_source=LeadSource.SALES,
        won_at=utc(2026, 10, 3),
        **won,
    )
    _opp(session, acc4, None, 20_000, utc(2025, 1, 1))  # open, qualification, long ago
    # Leads of Q3: accepted in time (→ o1, won), accepted late, rejected, still open.
    l1 = _lead(
        session, csm1, utc(2026, 10, 2), status=LeadStatus.ACCEPTED, decided_at=utc(2026, 10, 3)
    )
    l1.opportunity_id = o1.id
    _lead(session, csm1, utc(2026, 10, 4), status=LeadStatus.ACCEPTED, decided_at=utc(2026, 10, 9))
    _lead(session, csm2, utc(2026, 10, 5), status=LeadStatus.REJECTED, decided_at=utc(2026, 10, 6))
    _lead(session, csm2, utc(2026, 12, 1))
    _lead(session, csm2, utc(2026, 9, 30, 14))  # Sep 30 23:00 JST: not in Q3
    _target(session, "2026-Q3", "cs", "created_amount", 300_000)
    _target(session, "2026-Q3", "cs", "lead_count", 8)
    for month in ("2026-10", "2026-11", "2026-12"):
        _target(session, month, "marketing", "created_amount", 10_000)
    _target(session, "2026-FY", "sales", "created_amount", 1_000_000)
    session.add(
        Renewal(
            account_id=acc1.id,
            renews_on=today_in("Asia/Tokyo") + timedelta(days=10),
            mrr_amount=5000,
            currency="JPY",
            forecast=RenewalForecast.AT_RISK,
            forecast_mrr_amount=2000,
        )
    )
    session.commit()
    return {"seller": seller, "csm1": csm1, "csm2": csm2}


def _board(session: Session, period: str = "2026-Q3") -> Any:
    span = targets.resolve_period(session, period, today=TODAY)
    return service.dashboard(session, ADMIN, span, zone="Asia/Tokyo", reporting="JPY", today=TODAY)


def test_dashboard_numbers(session: Session, company: dict[str, Any]) -> None:
    board = _board(session)
    c = board.leads.counts
    assert (c.passed, c.accepted, c.rejected, c.open, c.converted) == (4, 2, 1, 1, 1)
    assert c.accepted_within_sla == 1
    assert c.accepted_within_sla_rate == 0.5
    assert (board.leads.acceptance_rate, board.leads.conversion_rate, board.leads.win_rate) == (
        Decimal("0.5"),
        Decimal("0.25"),
        Decimal("0.5"),
    )
    by = {s.lead_source: s for s in board.sources}
    cs = by[LeadSource.CS]
    assert (cs.created_amount, cs.won_amount, cs.lead_count) == (150_000, 100_000, 4)
    assert (cs.created_target, cs.created_percent, cs.won_target) == (300_000, Decimal("0.5"), None)
    assert (cs.lead_target, cs.lead_percent) == (8, Decimal("0.5"))
    mk = by[LeadSource.MARKETING]
    assert (mk.created_amount, mk.created_target) == (70_000, 30_000)  # three month targets
    sales = by[LeadSource.SALES]
    assert (sales.created_amount, sales.won_amount, sales.created_target) == (0, 30_000, None)
    stages = {s.stage: (s.count, s.amount) for s in board.pipeline.stages}
    assert stages == {
        OpportunityStage.QUALIFICATION: (1, 20_000),
        OpportunityStage.PROPOSAL: (1, 50_000),
        OpportunityStage.NEGOTIATION: (1, 70_000),
    }
    assert (board.pipeline.count, board.pipeline.amount) == (3, 140_000)
    assert [k.name for k in board.top_csms] == ["CSM 1", "CSM 2"]
    assert board.top_csms[0].leads_passed == 2
    assert board.top_csms[0].created_amount == 150_000
    (owner,) = board.owners  # the inactive customer-sales person owns nothing: not listed
    assert owner.name == "営業 一郎"
    assert (owner.accounts, owner.tier1, owner.tier2, owner.tier3) == (3, 1, 1, 1)
    assert (owner.pipeline_count, owner.pipeline_amount, owner.won_amount) == (2, 120_000, 130_000)
    up = board.renewals.upcoming
    at_risk = next(x for x in up.categories if x.forecast is RenewalForecast.AT_RISK)
    assert (up.count, at_risk.count, at_risk.mrr_amount, at_risk.forecast_mrr_amount) == (
        1,
        1,
        5000,
        2000,
    )
    assert board.renewals.last_quarter == "2026-Q2"


def test_a_year_sums_its_quarters_and_a_month_has_no_quarter_target(
    session: Session, company: dict[str, Any]
) -> None:
    year = {s.lead_source: s for s in _board(session, "2026-FY").sources}
    assert year[LeadSource.CS].created_target == 300_000  # the only quarter with a target
    assert year[LeadSource.SALES].created_target == 1_000_000  # the year target wins
    month = {s.lead_source: s for s in _board(session, "2026-10").sources}
    assert month[LeadSource.CS].created_target is None
    assert month[LeadSource.MARKETING].created_target == 10_000


def test_target_for_prefers_the_coarsest_kind() -> None:
    def t(kind: PeriodKind, value: int, metric: str = "created_amount") -> SalesTarget:
        return SalesTarget(period_kind=kind, value=value, metric=TargetMetric(metric))

    rows = [
        t(PeriodKind.QUARTER, 5),
        t(PeriodKind.QUARTER, 7),
        t(PeriodKind.MONTH, 100),
        t(PeriodKind.HALF, 9, "won_amount"),
    ]
    assert target_for(rows, TargetMetric.CREATED_AMOUNT) == 12
    assert target_for(rows, TargetMetric.WON_AMOUNT) == 9
    assert target_for(rows, TargetMetric.LEAD_COUNT) is None


def test_api(app_client: TestClient, session: Session, company: dict[str, Any]) -> None:
    api_as(app_client, session, Role.READ_ONLY, scopes=["read"])
    r = app_client.get("/api/v1/sales/dashboard", params={"period": "2026-Q3"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == "2026-Q3"
    assert body["leads"]["counts"]["passed"] == 4
    cs = next(s for s in body["sources"] if s["lead_source"] == "cs")
    assert cs["created_amount"] == 150_000
    assert cs["created_percent"] == "0.5000"
    bad = app_client.get("/api/v1/sales/dashboard", params={"period": "2026-Q7"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "period"]
    app_client.headers.pop("Authorization")
    assert app_client.get("/api/v1/sales/dashboard").status_code == 401


def test_page(app_client: TestClient, session: Session, company: dict[str, Any]) -> None:
    assert app_client.get("/sales", follow_redirects=False).status_code in (302, 303)
    web_login(app_client, session, Role.READ_ONLY)
    page = app_client.get(
        "/sales", params={"period": "custom", "from": "2026-10-01", "to": "2026-12-31"}
    )
    assert page.status_code == 200
    assert 'data-testid="sales-tab-dashboard"' in page.text
    assert 'aria-current="page"' in page.text
    assert 'data-testid="leads-passed">4<' in page.text
    assert "¥150,000" in page.text
    assert "¥300,000" in page.text
    assert "50.0%" in page.text
    assert "営業 一郎" in page.text
    assert "/sales/opportunities?stage=proposal" in page.text
    assert "/sales/leads?passed_from=2026-10-01&amp;passed_to=2026-12-31" in page.text
    wrong = app_client.get("/sales", params={"period": "custom", "from": "x", "to": "y"})
    assert wrong.status_code == 200
    assert 'role="alert"' in wrong.text
