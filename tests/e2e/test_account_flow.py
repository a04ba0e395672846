"""A CSM's first minutes, in real headless Chromium."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from conftest import LiveServer
from factories import PASSWORD, make_account, make_line, make_product, make_user
from kizuna.models import Contact, ContactRoleLink
from kizuna.models.enums import ContactRole, Role, Tier

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.database.sessions() as session, session.begin():
        csm = make_user(session, Role.CSM, email="misaki@example.jp", name="佐藤 美咲")
        product = make_product(session, name="スタンダードプラン")
        for i in range(12):
            make_account(session, name=f"株式会社ダミー{i:02d}", industry="小売業")
        target = make_account(
            session,
            name="株式会社絆テクノロジーズ",
            industry="製造業",
            tier=Tier.TIER1,
            csm_owner_id=csm.id,
        )
        make_line(
            session,
            target,
            product,
            mrr=480_000,
            start=date(2025, 4, 1),
            end=date(2027, 4, 1),
            quantity=40,
        )
        contact = Contact(account_id=target.id, name="田中 一郎", title="情報システム部長")
        contact.role_links = [ContactRoleLink(role=ContactRole.DECISION_MAKER)]
        session.add(contact)
    return live_server


def test_login_find_account_add_activity_switch_language(page: Page, seeded: LiveServer) -> None:
    page.goto(seeded.url + "/portfolio")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=email]", "misaki@example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("ポートフォリオ")

    page.fill(".filters input[name=q]", "絆テクノ")
    page.click(".filters button.btn-primary")
    expect(page.get_by_test_id("total-accounts")).to_have_text("1")
    page.click("text=株式会社絆テクノロジーズ")

    expect(page.get_by_test_id("account-name")).to_have_text("株式会社絆テクノロジーズ")
    expect(page.get_by_test_id("account-mrr")).to_have_text("¥480,000")
    expect(page.locator("text=田中 一郎").first).to_be_visible()

    form = page.get_by_test_id("activity-form")
    form.locator("select[name=kind]").select_option("meeting")
    form.locator("input[name=subject]").fill("キックオフ定例")
    form.locator("textarea[name=body]").fill("導入目的と成功基準を確認した。")
    form.locator("select[name=contact_ids]").select_option(label="田中 一郎 (情報システム部長)")
    form.locator("button[type=submit]").click()

    first = page.get_by_test_id("timeline-item").first
    expect(first).to_contain_text("キックオフ定例")
    expect(first).to_contain_text("田中 一郎")
    expect(page.locator(".flash")).to_be_visible()

    page.get_by_test_id("locale-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Conversation history")).to_be_visible()
    expect(page.get_by_test_id("account-mrr")).to_have_text("¥480,000")

    page.get_by_test_id("locale-ja").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="会話履歴")).to_be_visible()
