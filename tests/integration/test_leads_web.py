"""Lead and pipeline pages over HTTP (SQLite and PostgreSQL): passing a lead from the
Account 360 panel (HTMX), the inbox, accepting, the board with an HTMX stage move, winning
from the opportunity page, the settings panel and who may do what."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_activity, make_line, make_product, make_team
from kizuna.kit.clock import today, utc_now
from kizuna.models import Lead, Opportunity, PipelineSettings, Subscription
from kizuna.models.enums import Role, TeamKind
from kizuna.models.pipeline import CsMeasure, LeadStatus, OpportunityStage
from webtools import csrf_of, web_login

TODAY = today("Asia/Tokyo")
HTMX = {"HX-Request": "true"}


def test_pass_accept_move_and_win_through_the_pages(
    app_client: TestClient, session: Session
) -> None:
    growth = make_team(session, TeamKind.CUSTOMER_SALES, name="グロースチーム")
    account = make_account(session, name="株式会社ウェブ")
    base = make_product(session, name="ベース")
    option = make_product(session, name="CRMオプション")
    make_line(session, account, base, mrr=50_000, start=date(2025, 1, 1), end=date(2027, 9, 30))
    call = make_activity(session, account, subject="活用会議: CRM連携の相談")
    csm = web_login(app_client, session, Role.CSM)

    panel = app_client.get(f"/accounts/{account.id}/leads-panel")
    assert panel.status_code == 200
    assert "この顧客のリードはまだありません。" in panel.text
    assert "活用会議: CRM連携の相談" in panel.text  # pickable as evidence
    token = csrf_of(panel.text)
    form = {
        "csrf_token": token,
        "account_id": str(account.id),
        "panel": "1",
        "product_id": str(option.id),
        "amount": "30,000",
        "reason": "",
        "assignee_team_id": str(growth.id),
        "activity_ids": str(call.id),
    }
    refused = app_client.post("/sales/leads", data=form, headers=HTMX)
    assert refused.status_code == 200
    assert "必須項目です。" in refused.text
    assert session.scalar(select(Lead.id)) is None
    passed = app_client.post(
        "/sales/leads", data=form | {"reason": "CRM連携の要望が3部署から"}, headers=HTMX
    )
    assert passed.status_code == 200
    assert "リードを営業にパスしました。" in passed.text
    lead = session.scalars(select(Lead)).one()
    assert lead.amount == 30_000
    assert lead.passed_by_id == csm.id
    assert lead.activity_ids == [str(call.id)]

    mine = app_client.get("/sales/leads")
    assert mine.status_code == 200
    assert "株式会社ウェブ" in mine.text
    assert 'data-testid="sales-tab-leads"' in mine.text
    assert 'data-testid="pipeline-settings"' not in mine.text  # not a sales admin

    web_login(app_client, session, Role.CUSTOMER_SALES, team_id=growth.id)
    inbox = app_client.get("/sales/leads", params={"view": "inbox"}).text
    assert "株式会社ウェブ" in inbox
    detail = app_client.get(f"/sales/leads/{lead.id}")
    assert "活用会議: CRM連携の相談" in detail.text
    empty_reason = app_client.post(
        f"/sales/leads/{lead.id}/reject",
        data={"csrf_token": csrf_of(detail.text), "reason": " "},
    )
    assert empty_reason.status_code == 422
    accepted = app_client.post(
        f"/sales/leads/{lead.id}/accept",
        data={"csrf_token": csrf_of(detail.text), "close_on": "2026-12-20"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    session.expire_all()
    opportunity = session.scalars(select(Opportunity)).one()
    assert accepted.headers["location"] == f"/sales/opportunities/{opportunity.id}"
    assert opportunity.created_by_id == csm.id

    board = app_client.get("/sales/opportunities")
    assert board.status_code == 200
    assert "CRMオプション — 株式会社ウェブ" in board.text
    assert "¥30,000" in board.text
    moved = app_client.post(
        f"/sales/opportunities/{opportunity.id}/stage",
        data={"csrf_token": csrf_of(board.text), "stage": "negotiation", "query": ""},
        headers=HTMX,
    )
    assert moved.status_code == 200
    assert 'id="board"' in moved.text
    session.expire_all()
    assert session.get(Opportunity, opportunity.id).stage is OpportunityStage.NEGOTIATION  # type: ignore[union-attr]

    listed = app_client.get(
        "/sales/opportunities", params={"layout": "list", "lead_source": "cs"}
    ).text
    assert "CRMオプション — 株式会社ウェブ" in listed
    assert (
        "CRMオプション — 株式会社ウェブ"
        not in app_client.get(
            "/sales/opportunities", params={"layout": "list", "lead_source": "partner"}
        ).text
    )

    page = app_client.get(f"/sales/opportunities/{opportunity.id}")
    won = app_client.post(
        f"/sales/opportunities/{opportunity.id}/won",
        data={"csrf_token": csrf_of(page.text), "start_on": "2027-01-01", "quantity": "10"},
        follow_redirects=False,
    )
    assert won.status_code == 303
    session.expire_all()
    line = session.scalars(select(Subscription).where(Subscription.product_id == option.id)).one()
    assert (line.mrr_amount, line.quantity, line.end_on) == (30_000, 10, date(2027, 9, 30))
    final = app_client.get(f"/sales/opportunities/{opportunity.id}").text
    assert 'data-testid="won-line"' in final
    assert 'data-testid="win-form"' not in final
    counts = app_client.get("/sales/leads", params={"view": "all"}).text
    assert 'data-testid="count-converted">1<' in counts


def test_overdue_shown_in_red_with_how_late(app_client: TestClient, session: Session) -> None:
    account = make_account(session, name="株式会社遅延")
    user = web_login(app_client, session, Role.CSM)
    passed = utc_now() - timedelta(days=5)
    session.add(
        Lead(
            account_id=account.id,
            amount=1000,
            currency="JPY",
            reason="r",
            evidence="",
            activity_ids=[],
            passed_by_id=user.id,
            passed_at=passed,
            status=LeadStatus.PASSED,
            reject_reason="",
            sla_due_at=passed + timedelta(hours=48),
            assignee_team_id=make_team(session).id,
        )
    )
    session.commit()
    html = app_client.get("/sales/leads", params={"view": "mine"}).text
    assert "pl-row-overdue" in html
    assert "3日 0時間超過" in html


def test_settings_panel_for_sales_admins_only(app_client: TestClient, session: Session) -> None:
    csm = web_login(app_client, session, Role.CSM)
    assert csm is not None
    page = app_client.get("/sales/leads").text
    denied = app_client.post(
        "/sales/leads/settings",
        data={"csrf_token": csrf_of(page), "cs_measure": "amount", "lead_sla_hours": "24"},
    )
    assert denied.status_code == 403
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/sales/leads").text
    assert 'data-testid="pipeline-settings"' in page
    saved = app_client.post(
        "/sales/leads/settings",
        data={"csrf_token": csrf_of(page), "cs_measure": "amount", "lead_sla_hours": "24"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = session.get(PipelineSettings, 1)
    assert row is not None
    assert (row.cs_measure, row.lead_sla_hours, row.sla_business_days_only) == (
        CsMeasure.AMOUNT,
        24,
        False,
    )
    kpi = app_client.get("/sales/leads").text
    section = kpi[kpi.index('data-testid="cs-kpi"') :]
    assert 'pl-kpi-main">商談創出金額 <span class="pill pill-ok small">KPI' in section
    assert section.index("商談創出金額") < section.index("リードパス数")


def test_read_only_sees_pages_but_no_forms(app_client: TestClient, session: Session) -> None:
    account = make_account(session)
    web_login(app_client, session, Role.READ_ONLY)
    for url in ("/sales/leads", "/sales/opportunities", "/sales/opportunities?layout=list"):
        response = app_client.get(url)
        assert response.status_code == 200, url
        assert 'data-testid="new-lead"' not in response.text
    panel = app_client.get(f"/accounts/{account.id}/leads-panel").text
    assert 'data-testid="lead-form"' not in panel
    assert app_client.get("/sales/leads/new").status_code == 403
    assert app_client.get(f"/sales/leads/{uuid.uuid4()}").status_code == 404


def test_each_role_lands_on_its_own_list(app_client: TestClient, session: Session) -> None:
    landing = {
        Role.CSM: "mine",
        Role.SALES: "inbox",
        Role.CUSTOMER_SALES: "inbox",
        Role.MANAGER: "all",
        Role.READ_ONLY: "all",
    }
    for role, view in landing.items():
        web_login(app_client, session, role)
        page = app_client.get("/sales/leads").text
        assert f'data-testid="lead-view-{view}" aria-current="page"' in page, role
        assert page.count('aria-current="page"') == 2, role  # the sales tab and this view
