"""A manager builds a playbook in real headless Chromium — a condition trigger with the
condition builder, a task — dry-runs it, publishes it, evaluates it, and the task appears
in the CSM's cockpit with its why."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import LiveServer
from factories import PASSWORD, make_account, make_user
from kizuna.models.enums import Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    with live_server.database.sessions() as session, session.begin():
        make_user(session, Role.MANAGER, email="boss@example.jp", name="上司 一郎")
        csm = make_user(session, Role.CSM, email="csm@example.jp", name="担当 二郎")
        make_account(session, name="株式会社大口", employee_count=800, csm_owner_id=csm.id)
        make_account(session, name="株式会社小口", employee_count=20, csm_owner_id=csm.id)
    return live_server


def settled(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` and wait until htmx has swapped and settled its answer (the builder is
    re-rendered after each structural change; acting before would hit the old form)."""
    page.evaluate(
        "() => { window.__settled = false; document.body.addEventListener("
        "'htmx:afterSettle', () => { window.__settled = true; }, {once: true}); }"
    )
    action()
    page.wait_for_function("() => window.__settled === true")


def _login(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_build_publish_run_and_see_the_task(page: Page, seeded: LiveServer) -> None:
    _login(page, seeded, "boss@example.jp")
    page.goto(seeded.url + "/playbooks")
    page.get_by_test_id("new-playbook").click()
    page.get_by_test_id("key").fill("big_accounts")
    page.get_by_test_id("name").fill("大口顧客フォロー")

    # When: a condition, built with the condition builder (HTMX re-renders it).
    page.get_by_test_id("trigger-type").select_option("condition")
    when = page.get_by_test_id("section-when")
    settled(page, lambda: when.get_by_test_id("builder-add").click())
    settled(page, lambda: when.locator("select[name='tc.0.fact']").select_option(
        "account.employee_count"))  # fmt: skip
    settled(page, lambda: when.locator("select[name='tc.0.op']").select_option("gte"))
    when.locator("input[name='tc.0.value']").fill("100")
    expect(when.get_by_test_id("preview-count")).to_have_text("1", timeout=20_000)

    # What: the task (the form starts with one).
    page.get_by_test_id("task-title").fill("大口フォロー: {account}")
    page.locator("input[name='x-0-due_in_days']").fill("0")
    page.get_by_test_id("save-playbook").click()
    expect(page).to_have_url(seeded.url + "/playbooks/big_accounts/edit")

    page.get_by_test_id("dry-run").click()
    result = page.get_by_test_id("dry-run-result")
    expect(result.get_by_test_id("would-fire")).to_have_text("1")
    expect(result).to_contain_text("株式会社大口")
    expect(result).to_contain_text("担当 二郎")

    page.goto(seeded.url + "/playbooks/big_accounts")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("playbook-status")).to_have_text("有効")
    page.get_by_test_id("run-playbook").click()
    expect(page.get_by_test_id("run-result")).to_contain_text("1")
    expect(page.get_by_test_id("firings")).to_contain_text("株式会社大口")

    # The CSM finds the task in the cockpit, with why it was created.
    page.context.clear_cookies()
    _login(page, seeded, "csm@example.jp")
    page.goto(seeded.url + "/tasks")
    row = page.locator("[data-testid=task]", has_text="大口フォロー: 株式会社大口")
    expect(row).to_be_visible()
    row.locator("summary.pill-playbook").click()
    expect(row.get_by_test_id("why")).to_contain_text("800")
