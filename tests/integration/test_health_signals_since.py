"""``load_history(since=…)`` reads only what as-of days ≥ ``since`` can see, and the
frames it answers equal, bit for bit, those of the whole history (SQLite and PostgreSQL).

The company is the look-ahead test's: 2½ years of lines, contacts, activities of every
kind (with participants, decision makers and inquiries), surveys and usage, so every
source has records older and newer than every window."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session
from test_health_signals_lookahead import USAGE, ZONE, Company

from kizuna.health.signals.catalogue import BUILTIN_SIGNALS
from kizuna.health.signals.history import History, load_history, signal_frame

COLUMNS = [*BUILTIN_SIGNALS, *USAGE, "field:employee_count"]
UNTIL = date(2026, 6, 30)


def frame(history: History, ids: list[str], days: list[date]) -> dict[str, np.ndarray]:
    rows = [(a, d) for a in ids for d in days]
    found = signal_frame(
        history, [a for a, _ in rows], np.array([d for _, d in rows], "datetime64[D]"), COLUMNS
    )
    return {
        **{f"value {k}": v for k, v in found.values.items()},
        **{f"observed {k}": v for k, v in found.observed_on.items()},
    }


@pytest.mark.parametrize("since", [date(2026, 3, 2), date(2026, 5, 17), date(2026, 6, 30)])
def test_since_frame_equals_full_frame(session: Session, tmp_path: Path, since: date) -> None:
    company = Company(session, tmp_path, random.Random(since.toordinal()), until=UNTIL)
    ids = [str(a.id) for a in company.accounts]
    kw = {"data_dir": tmp_path, "zone": ZONE, "today": UNTIL, "columns": COLUMNS}
    full = load_history(session, **kw)
    part = load_history(session, since=since, **kw)
    days = [since + timedelta(days=k) for k in (0, 1, 6, 30, 91, 200)]
    expected, got = frame(full, ids, days), frame(part, ids, days)
    assert expected.keys() == got.keys()
    differ = [k for k in expected if not np.array_equal(expected[k], got[k], equal_nan=True)]
    assert differ == []
    # The frames are not trivially empty: most signals have values.
    assert sum(bool(np.isfinite(v).any()) for k, v in got.items() if k.startswith("value")) > 20
    # And the windowed sources really were cut: fewer rows than the whole history.
    assert len(part.activities["touch4"]) < len(full.activities["touch4"])
    assert len(part.participations) < len(full.participations)
    assert len(part.activities["dm"]) <= len(full.activities["dm"])
    assert len(part.activities["kickoff"]) < len(full.activities["kickoff"])
    # Every usage series, with a fill value (events: the newest older row per account
    # stands for "had an earlier row") or without.
    for series in [("days_since_last", "day"), ("events", "week"), ("active_users", "month")]:
        assert len(part.usage[series].timeline) < len(full.usage[series].timeline), series
    assert part.daily_usage is not None
    assert full.daily_usage is not None
    assert len(part.daily_usage) < len(full.daily_usage)


def test_since_keeps_the_oldest_and_newest_records_ever(session: Session, tmp_path: Path) -> None:
    """An account whose only touches, kickoffs and decision-maker meetings are years old
    still reads them through a ``since`` history (the per-account extremes)."""
    company = Company(session, tmp_path, random.Random(5), until=date(2024, 9, 1))
    ids = [str(a.id) for a in company.accounts]
    kw = {"data_dir": tmp_path, "zone": ZONE, "today": UNTIL, "columns": COLUMNS}
    since = UNTIL
    full, part = load_history(session, **kw), load_history(session, since=since, **kw)
    expected, got = frame(full, ids, [since]), frame(part, ids, [since])
    for key in ("days_since_touch", "days_since_dm_touch", "days_since_qbr"):
        values = got[f"value {key}"]
        assert np.isfinite(values).sum() >= 4, key  # (an account may never have had one)
        assert (values[np.isfinite(values)] > 600).all(), key
    assert (got["value onboarding_completeness"] > 0).all()
    differ = [k for k in expected if not np.array_equal(expected[k], got[k], equal_nan=True)]
    assert differ == []
    # Nothing is recent: a kickoff and a touch per account at most (their oldest/newest),
    # and no participation (a 90-day window only).
    assert len(part.activities["kickoff"]) <= len(ids) < len(full.activities["kickoff"])
    assert len(part.activities["touch"]) < len(full.activities["touch"])
    assert len(part.participations) == 0 < len(full.participations)
