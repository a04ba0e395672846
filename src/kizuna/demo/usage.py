"""The demo company's product usage, loaded through the bulk event import.

The demo events carry the account's external id as ``group_id``; the import registers
those groups and matches them to the demo accounts by external id, so the events count
for their accounts without any special path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.demo.events import write_usage_events_parquet
from kizuna.demo.generator import generate
from kizuna.usage import importer
from kizuna.usage.store import EventStore

Progress = Callable[[str, int, int | None], None]


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


def load_demo_usage(
    session: Session,
    store: EventStore,
    *,
    seed: int,
    accounts: int,
    today: date,
    months: int,
    progress: Progress | None = None,
) -> importer.ImportResult:
    """Generate ``months`` months of the demo's usage events and import them."""
    demo = generate(seed, accounts, today=today)
    with tempfile.TemporaryDirectory(prefix="kizuna-demo-") as folder:
        path = Path(folder) / "events.parquet"
        if progress:
            progress("generating", 0, None)
        write_usage_events_parquet(demo, path, months_back(demo.today, months), demo.today)
        return importer.import_events(session, Actor.system("demo"), store, path, progress=progress)
