"""A CSM passes an upsell lead from Account 360; the AE finds it in the inbox, accepts it,
and the opportunity appears on the pipeline board. Real headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from conftest import LiveServer
from factories import PASSWORD, make_account, make_product, make_team, make_user
from kizuna.models import Lead, Opportunity
from kizuna.models.enums import LeadSource, ProductKind, Role, TeamKind
from kizuna.models.pipeline import LeadStatus, OpportunityStage

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.database.sessions() as session, session.begin():
        field = make_team(session, TeamKind.SALES, name="フィールドセールス")
        csm = make_user(session, Role.CSM, email="csm-lead@example.jp", name="田中 陽菜")
        make_user(session, Role.SALES, email="ae-lead@example.jp", name="林 隆", team_id=field.id)
        make_account(session, name="株式会社リードパス", csm_owner_id=csm.id)
        make_product(session, code="OPT-CRM", name="CRM連携オプション", kind=ProductKind.OPTION)
    return live_server


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_csm_passes_ae_accepts_board_shows_it(
    page: Page, browser: Browser, seeded: LiveServer
) -> None:
    _login(page, seeded.url, "csm-lead@example.jp")
    page.fill("input[name=q]", "リードパス")
    page.keyboard.press("Enter")
    page.click("text=株式会社リードパス")

    panel = page.get_by_test_id("account-leads")
    expect(panel).to_contain_text("この顧客のリードはまだありません。")
    page.get_by_test_id("pass-lead-toggle").click()
    form = page.get_by_test_id("lead-form")
    form.locator("select[name=product_id]").select_option(label="CRM連携オプション (OPT-CRM)")
    form.locator("input[name=amount]").fill("45,000")
    form.locator("select[name=assignee_id]").select_option(label="林 隆 · フィールドセールス")
    form.locator("textarea[name=reason]").fill("問い合わせ管理を基幹システムと連携したい要望が強い")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("lead-panel-message")).to_have_text("リードを営業にパスしました。")
    expect(page.get_by_test_id("account-lead")).to_contain_text("CRM連携オプション")
    expect(page.get_by_test_id("account-lead")).to_contain_text("¥45,000")
    expect(page.get_by_test_id("lead-status")).to_have_text("営業の判断待ち")

    ae_context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    ae_context.set_default_timeout(10_000)
    ae = ae_context.new_page()
    try:
        _login(ae, seeded.url, "ae-lead@example.jp")
        ae.goto(seeded.url + "/sales/leads")
        expect(ae.get_by_test_id("lead-view-inbox")).to_have_attribute("aria-current", "page")
        row = ae.get_by_test_id("lead-row").filter(has_text="株式会社リードパス")
        expect(row).to_contain_text("田中 陽菜")
        row.locator("a").first.click()
        ae.get_by_test_id("accept-lead").click()
        expect(ae.locator(".flash")).to_contain_text("リードを受領しました")
        expect(ae.get_by_test_id("opportunity-stage")).to_have_text("要件確認")

        ae.goto(seeded.url + "/sales/opportunities")
        column = ae.get_by_test_id("board-column-qualification")
        card = column.get_by_test_id("opportunity-card")
        expect(card).to_contain_text("CRM連携オプション — 株式会社リードパス")
        expect(card).to_contain_text("¥45,000")
        expect(column.get_by_test_id("column-count")).to_have_text("1")
        # Move it along the board (HTMX swaps the board in place).
        card.get_by_test_id("move-stage").select_option("proposal")
        moved = ae.get_by_test_id("board-column-proposal").get_by_test_id("opportunity-card")
        expect(moved).to_contain_text("株式会社リードパス")
        expect(column.get_by_test_id("column-count")).to_have_text("0")
    finally:
        ae_context.close()

    with seeded.database.sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.status is LeadStatus.ACCEPTED
        opportunity = session.scalars(select(Opportunity)).one()
        assert opportunity.lead_source is LeadSource.CS
        assert opportunity.stage is OpportunityStage.PROPOSAL
        assert opportunity.amount == 45_000
        assert opportunity.created_by_id == lead.passed_by_id
