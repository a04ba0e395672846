"""The demo journey (``kizuna.demo.journey``): a consistent phase history for accounts that
already have a phase, customer goals, and nothing twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.demo.journey import load_journey
from kizuna.kit.clock import today as local_today
from kizuna.models import Account, AccountGoal, JourneyPhaseHistory
from kizuna.models.enums import Phase

ZONE = "Asia/Tokyo"


def test_demo_history_is_consistent_and_loaded_once(session: Session, tmp_path: Path) -> None:
    today = local_today(ZONE)
    plan = make_product(session)
    for n in range(30):
        account = make_account(session, name=f"デモ{n:02d}", phase=list(Phase)[n % 3])
        start = today - timedelta(days=40 + 37 * n)
        make_line(session, account, plan, mrr=1000, start=start)
    summary = load_journey(session, today=today, zone=ZONE, data_dir=tmp_path, seed=7)
    assert summary.history_rows == 10 * (1 + 2 + 3)
    rows: dict[object, list[JourneyPhaseHistory]] = defaultdict(list)
    for row in session.scalars(
        select(JourneyPhaseHistory).order_by(
            JourneyPhaseHistory.account_id, JourneyPhaseHistory.entered_at
        )
    ):
        rows[row.account_id].append(row)
    phases = dict(session.execute(select(Account.id, Account.phase)).all())
    for account_id, history in rows.items():
        open_rows = [r for r in history if r.exited_at is None]
        assert len(open_rows) == 1
        assert open_rows[0] is history[-1]
        assert history[-1].phase == phases[account_id].value  # type: ignore[union-attr]
        assert history[0].phase == "onboarding"
        for before, after in itertools.pairwise(history):
            assert before.exited_at == after.entered_at
            assert before.entered_at <= after.entered_at
        assert history[-1].entered_at.date() < today + timedelta(days=1)
    assert summary.goals > 0
    statuses = {g.status for g in session.scalars(select(AccountGoal))}
    assert statuses <= {"planned", "achieved", "missed"}
    again = load_journey(session, today=today, zone=ZONE, data_dir=tmp_path, seed=7)
    assert again.history_rows == 0
    assert again.goals == 0


def test_goals_past_due_are_decided(session: Session, tmp_path: Path) -> None:
    plan = make_product(session)
    for n in range(40):
        account = make_account(session, name=f"ゴール{n:02d}", phase=Phase.ADOPTION)
        make_line(session, account, plan, mrr=1000, start=date(2024, 1, 1))
    today = local_today(ZONE)
    load_journey(session, today=today, zone=ZONE, data_dir=tmp_path, seed=3)
    for goal in session.scalars(select(AccountGoal)):
        assert goal.due_on is not None
        if goal.due_on < today:
            assert goal.status in ("achieved", "missed")
        else:
            assert goal.status == "planned"
        assert (goal.achieved_on is not None) == (goal.status == "achieved")
