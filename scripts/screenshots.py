"""Take screenshots of the main pages with the demo company (for the README and reviews).

Usage: .venv/bin/python scripts/screenshots.py OUTPUT_DIR [--locale ja|en]
Needs a database with the demo loaded (KIZUNA_DATABASE_URL, default var/kizuna.db) and
Debian's chromium.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from kizuna.app import create_app
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.demo import DEMO_PASSWORD
from kizuna.models import Account

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=Path)
    parser.add_argument("--locale", default="ja")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    database = Database.from_url(settings.database_url)
    with database.sessions() as session:
        account_id = session.scalars(
            select(Account.id).where(Account.tier == "tier1").order_by(Account.name)
        ).first()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database), port=args.port, log_level="warning", lifespan="off"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{args.port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(base + "/login")
        if args.locale == "en":
            page.click("button[value=en]")
        page.screenshot(path=str(args.output / "login.png"))
        page.fill("input[name=email]", "csm1@demo.kizuna.jp")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/portfolio")
        page.screenshot(path=str(args.output / "portfolio.png"), full_page=False)
        page.goto(f"{base}/accounts/{account_id}")
        page.wait_for_timeout(600)
        page.screenshot(path=str(args.output / "account360.png"), full_page=False)
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(300)
        page.screenshot(path=str(args.output / "account360-lower.png"))
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
