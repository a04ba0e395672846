"""A CSM checks health in real headless Chromium: dashboard → the account that dropped →
its explanation on Account 360 (loaded by HTMX) → the red accounts in Portfolio."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import LiveServer
from factories import PASSWORD, make_user
from health_factories import TODAY, make_model, make_risk, make_score, make_version, paying
from kizuna.models.enums import Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.database.sessions() as session, session.begin():
        make_user(session, Role.CSM, email="health@example.jp", name="健康 太郎")
        version = make_version(session)
        good = paying(session, "株式会社順調", 300_000)
        falling = paying(session, "株式会社急落", 120_000)
        make_score(session, good, version, score=88, band="green", today=TODAY, change_7d=3,
                   history=((7, 85.0), (0, 88.0)))  # fmt: skip
        make_score(session, falling, version, score=32, band="red", today=TODAY, change_7d=-21,
                   history=((14, 60.0), (7, 53.0), (0, 32.0)))  # fmt: skip
        make_risk(session, falling, make_model(session), 0.55, TODAY)
    return live_server


def test_dashboard_to_explanation_to_portfolio(page: Page, seeded: LiveServer) -> None:
    page.goto(seeded.url + "/health")
    page.fill("input[name=email]", "health@example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("ヘルススコア")
    expect(page.get_by_test_id("scored-accounts")).to_have_text("2")
    expect(page.get_by_test_id("red-mrr")).to_have_text("¥120,000")

    page.get_by_test_id("movers-down").get_by_role("link", name="株式会社急落").click()
    expect(page.get_by_test_id("account-name")).to_have_text("株式会社急落")
    panel = page.get_by_test_id("health-panel")
    expect(panel).to_contain_text("危険")
    expect(panel).to_contain_text("▼ -21.0")
    expect(panel.get_by_test_id("health-measures")).to_contain_text("シート有効化率")
    expect(panel.get_by_test_id("churn-risk")).to_contain_text("55.0%")

    page.goto(seeded.url + "/health")
    page.get_by_test_id("band-table").get_by_role("link", name="危険").click()
    expect(page).to_have_url(re.compile(r"/portfolio\?band=red"))
    expect(page.get_by_test_id("total-accounts")).to_have_text("1")
    expect(page.get_by_test_id("health-cell").first).to_contain_text("32")
