"""A CSM reads an account's product usage in real headless Chromium: the panel loads on
Account 360 (by HTMX) with its charts drawn, and stays drawn when the grain changes (the
swapped canvases keep their ids, which HTMX settles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, expect

from conftest import LiveServer
from factories import PASSWORD, make_account, make_user
from kizuna.auth.actor import Actor
from kizuna.models.enums import Role
from kizuna.usage import compute, importer
from kizuna.usage.store import EventStore

pytestmark = pytest.mark.browser

SYSTEM = Actor.system("test")
# Pixels drawn on a canvas (a blank one, as HTMX's settling leaves it, has none).
PAINTED = """id => {
  const c = document.getElementById(id);
  const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
  return n;
}"""


@pytest.fixture(scope="module")
def used(live_server: LiveServer) -> tuple[LiveServer, str]:
    data_dir = live_server.data_dir
    with live_server.database.sessions() as session, session.begin():
        make_user(session, Role.CSM, email="usage@example.jp", name="利用 花子")
        account = make_account(session, external_id="USE-B", name="株式会社よく使う")
        start = datetime.now(UTC) - timedelta(days=40)
        n = 40 * 6
        table = pa.table(
            {
                "message_id": [f"e{i}" for i in range(n)],
                "event": ["Login"] * n,
                "user_id": [f"u{i % 3}" for i in range(n)],
                "group_id": ["USE-B"] * n,
                "timestamp": pa.array(
                    [start + timedelta(hours=4 * i) for i in range(n)],
                    pa.timestamp("ms", tz="UTC"),
                ),
            }
        )
        path = data_dir / "usage-events.parquet"
        pq.write_table(table, path)
        importer.import_events(session, SYSTEM, EventStore.under(data_dir), path)
        account_id = str(account.id)
    with live_server.database.sessions() as session:
        compute.run(session, SYSTEM, compute.Options(data_dir=data_dir))
    return live_server, account_id


def test_usage_charts_are_drawn_on_every_grain(page: Page, used: tuple[LiveServer, str]) -> None:
    server, account_id = used
    page.goto(f"{server.url}/accounts/{account_id}")
    page.fill("input[name=email]", "usage@example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    panel = page.get_by_test_id("usage-panel")
    expect(panel).to_contain_text("イベント数")
    page.wait_for_function(f"({PAINTED})('usage-chart-events') > 0")
    for grain in ("日次", "月次", "月次", "週次"):
        panel.get_by_role("button", name=grain).click()
        expect(panel.get_by_role("button", name=grain)).to_have_class("btn btn-sm btn-primary")
        page.wait_for_timeout(300)  # past HTMX's settle delay (20 ms)
        assert page.evaluate(PAINTED, "usage-chart-events") > 0, grain
