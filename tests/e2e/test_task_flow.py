"""A CSM's task morning in real headless Chromium: create a task on Account 360, find it
in the cockpit, tick a step, complete it with a logged call; the badge and counts follow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import LiveServer
from factories import PASSWORD, make_account, make_user
from kizuna.kit.clock import today
from kizuna.models import Activity
from kizuna.models.enums import ActivityKind, Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.database.sessions() as session, session.begin():
        csm = make_user(session, Role.CSM, email="haruna@example.jp", name="田中 陽菜")
        make_account(session, name="株式会社タスクテスト", csm_owner_id=csm.id)
    return live_server


def test_create_tick_and_complete_a_task(page: Page, seeded: LiveServer) -> None:
    page.goto(seeded.url + "/login")
    page.fill("input[name=email]", "haruna@example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=q]", "タスクテスト")
    page.keyboard.press("Enter")
    page.click("text=株式会社タスクテスト")

    panel = page.get_by_test_id("account-tasks")
    expect(panel).to_contain_text("未完了のタスクはありません。")
    page.click("#new-task summary")
    form = page.get_by_test_id("task-form")
    form.locator("input[name=title]").fill("キックオフの日程調整")
    form.locator("input[name=due_on]").fill(today("Asia/Tokyo").isoformat())
    form.locator("textarea[name=steps]").fill("候補日を送る\n資料を共有")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("account-tasks")).to_contain_text("キックオフの日程調整")
    expect(page.get_by_test_id("tasks-badge")).to_have_text("1")

    page.click(".sidebar >> text=タスク")
    expect(page.locator("h1")).to_have_text("タスク")
    row = page.get_by_test_id("task").filter(has_text="キックオフの日程調整")
    expect(row.get_by_test_id("due")).to_have_text("今日が期日")
    row.get_by_test_id("step").first.click()
    expect(row.get_by_test_id("step").first).to_have_attribute("aria-checked", "true")

    row.locator("details.action summary").first.click()
    complete = row.get_by_test_id("complete-form")
    complete.locator("select[name=outcome]").select_option("done_success")
    complete.locator("select[name=log_activity]").select_option("call")
    complete.locator("textarea[name=note]").fill("来週月曜に決定")
    complete.locator("button[type=submit]").click()
    expect(row).to_contain_text("タスクを完了しました。")
    expect(row.get_by_test_id("task-status")).to_have_text("完了")
    expect(page.get_by_test_id("tab-today").locator(".count")).to_have_text("0")
    expect(page.get_by_test_id("tasks-badge")).to_have_count(0)

    with seeded.database.sessions() as session:
        calls = session.scalars(select(Activity.subject).where(Activity.kind == ActivityKind.CALL))
        assert list(calls) == ["キックオフの日程調整"]
