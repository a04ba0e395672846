"""A CS team's first hour: import the account list they keep in Excel, in real Chromium.

The live server runs in the "test" environment, without its embedded worker: the test runs
a worker thread of its own on the same database and data folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import LiveServer
from factories import PASSWORD, make_user
from kizuna.config import Settings
from kizuna.jobs.runner import Worker
from kizuna.models.enums import Role

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parents[1] / "fixtures" / "imports" / "japanese_accounts.csv"
EMAIL = "ops@import.test"
JOB_TIMEOUT = 20_000  # ms: a job, then the page's next poll and reload


@pytest.fixture(scope="module")
def worker(live_server: LiveServer) -> Iterator[LiveServer]:
    """An admin to log in as, and a job worker beside the live server."""
    with live_server.database.sessions() as session, session.begin():
        make_user(session, Role.ADMIN, email=EMAIL, name="高橋 運用")
    url = live_server.database.engine.url
    settings = Settings(
        environment="test",
        database_url=url.render_as_string(hide_password=False),
        data_dir=Path(str(url.database)).parent,  # the live server's (beside its database)
    )
    thread, stop = Worker(live_server.database, settings, poll_interval=0.1).start_in_thread()
    yield live_server
    stop.set()
    thread.join(timeout=10)


def test_upload_map_check_skip_confirm_and_see_the_accounts(page: Page, worker: LiveServer) -> None:
    page.goto(worker.url + "/imports")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("upload-form")).to_be_visible()

    page.get_by_test_id("kind-accounts").click()
    page.get_by_test_id("upload-file").set_input_files(FIXTURE)
    page.get_by_test_id("upload").click()

    expect(page.get_by_test_id("map-name")).to_have_value("会社名")
    expect(page.get_by_test_id("map-external_id")).to_have_value("外部ID")
    expect(page.get_by_test_id("preview-row")).to_have_count(5)
    expect(page.get_by_test_id("file-format")).to_contain_text("CSV")

    page.get_by_test_id("check-rows").click()
    expect(page.get_by_test_id("rows-rejected")).to_have_text("2", timeout=JOB_TIMEOUT)
    expect(page.get_by_test_id("problem-row")).to_have_count(2)
    expect(page.get_by_test_id("problems")).to_contain_text("約30名")
    expect(page.get_by_test_id("confirm")).to_be_disabled()

    page.get_by_test_id("skip-invalid").check()
    page.get_by_test_id("check-rows").click()
    expect(page.get_by_test_id("confirm")).to_be_enabled(timeout=JOB_TIMEOUT)
    expect(page.get_by_test_id("rows-valid")).to_have_text("4")

    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("count-created")).to_have_text("4", timeout=JOB_TIMEOUT)
    expect(page.get_by_test_id("count-skipped")).to_have_text("2")

    page.get_by_test_id("to-portfolio").click()
    expect(page.get_by_test_id("portfolio-table")).to_contain_text("株式会社あさひ商事")
    expect(page.get_by_test_id("portfolio-table")).to_contain_text("ＮＥＸＴ株式会社")
