"""Browser tests: a live server on a temporary SQLite file, driven by real headless Chromium.

Chromium is Debian's (/usr/bin/chromium, installed by `make test`); Playwright only drives
it (``playwright install`` is never run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from kizuna.app import create_app
from kizuna.cli import context
from kizuna.config import Settings
from kizuna.db.migrate import upgrade
from kizuna.db.session import Database
from pg import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    database: Database
    data_dir: Path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path: Path = tmp_path_factory.mktemp("live") / "kizuna.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = Settings(environment="test", database_url=url, data_dir=path.parent)
    database = Database.from_url(url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", database, settings.data_dir)
    server.should_exit = True
    thread.join(timeout=10)
    database.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make test`, which installs it")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite database and data folder for CLI commands run through Typer's runner
    (a test module may define its own, e.g. to seed data)."""
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    yield tmp_path
    context.database().engine.dispose()
    context.settings.cache_clear()
    context.database.cache_clear()
