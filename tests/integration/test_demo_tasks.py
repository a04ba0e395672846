"""The demo's tasks and proposals (``kizuna.demo.tasks``) on a small demo company."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

import kizuna.models  # noqa: F401 - registers every table on Base.metadata
from kizuna.auth.service import actor_for_user
from kizuna.db.base import Base
from kizuna.demo import load_demo
from kizuna.demo.tasks import load_demo_tasks
from kizuna.models import Activity, Task, User
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import TaskStatus
from kizuna.task import kai, service
from kizuna.task.schemas import Period, TaskFilters, View

TODAY = date(2026, 2, 18)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_demo(session, seed=5, accounts=40, today=TODAY)
        yield session
    engine.dispose()


def test_every_csm_gets_a_cockpit_and_a_kai_history(demo: Session) -> None:
    summary = load_demo_tasks(demo, today=TODAY, seed=5)
    demo.flush()
    assert summary.open_tasks > 0
    assert summary.closed_tasks > summary.open_tasks
    assert summary.proposals == demo.scalar(
        select(func.count(Activity.id)).where(Activity.kind == ActivityKind.PROPOSAL)
    )
    csms = demo.scalars(select(User).where(User.role == Role.CSM)).all()
    assert csms
    for user in csms:
        actor = actor_for_user(user)
        counts = service.count_tasks(demo, actor, TaskFilters(), today=TODAY)
        owns = demo.scalar(select(func.count(Task.id)).where(Task.assignee_id == user.id))
        if not owns:
            continue  # a CSM without accounts in this small company
        assert counts.today >= 2
        assert counts.upcoming >= 3
        assert counts.no_date == 1
        page = service.list_tasks(demo, actor, TaskFilters(view=View.DONE), today=TODAY)
        assert page.items
        assert all(t.status is TaskStatus.DONE and t.outcome for t in page.items)
        report = kai.kai_report(demo, actor, period=Period.MONTH, today=TODAY, zone="Asia/Tokyo")
        assert report.total.tasks_completed > 0
        assert report.total.proposals > 0
    again = load_demo_tasks(demo, today=TODAY, seed=5)
    assert again.open_tasks == summary.open_tasks  # deterministic for a seed
