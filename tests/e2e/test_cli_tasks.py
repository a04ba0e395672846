"""`kizuna tasks list | complete | snooze` through Typer's runner, on a real SQLite file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app
from kizuna.kit.clock import today
from kizuna.models import Account, Activity, Task, User
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import TaskStatus

runner = CliRunner()
TODAY = today("Asia/Tokyo")


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KIZUNA_DATABASE_URL", url)
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    yield url
    context.database().engine.dispose()
    context.settings.cache_clear()
    context.database.cache_clear()


def _seed() -> tuple[str, str, str]:
    """A CSM with an overdue task and a task for next week; returns their ids and email."""
    with context.database().sessions() as session, session.begin():
        user = User(email="csm@example.jp", name="佐藤 花子", password_hash="x", role=Role.CSM)
        account = Account(name="株式会社テスト")
        session.add_all([user, account])
        session.flush()
        late = Task(
            account_id=account.id,
            title="更新前の電話",
            assignee_id=user.id,
            due_on=TODAY - timedelta(days=3),
        )
        later = Task(
            account_id=account.id,
            title="QBR準備",
            assignee_id=user.id,
            due_on=TODAY + timedelta(days=7),
        )
        session.add_all([late, later])
        session.flush()
        return str(late.id), str(later.id), user.email


def test_list_complete_and_snooze(cli_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    late, later, email = _seed()

    listed = runner.invoke(app, ["tasks", "list", "--mine", email, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [t["id"] for t in json.loads(listed.stdout)] == [late, later]
    overdue = runner.invoke(app, ["tasks", "list", "--overdue", "--json"])
    assert [t["title"] for t in json.loads(overdue.stdout)] == ["更新前の電話"]
    table = runner.invoke(app, ["tasks", "list"], env={"COLUMNS": "200"})
    assert "更新前の電話" in table.stdout
    assert "2 task(s)" in table.stdout

    done = runner.invoke(
        app,
        [
            "tasks",
            "complete",
            late,
            "--outcome",
            "done_success",
            "--log-activity",
            "call",
            "--note",
            "合意済み",
            "--by",
            email,
        ],
    )
    assert done.exit_code == 0, done.output
    assert "activity" in done.stdout
    again = runner.invoke(app, ["tasks", "complete", late, "--outcome", "not_needed"])
    assert again.exit_code == 1
    bad_kind = runner.invoke(
        app, ["tasks", "complete", later, "--outcome", "done_success", "--log-activity", "fax"]
    )
    assert bad_kind.exit_code == 2

    past = runner.invoke(app, ["tasks", "snooze", later, "--until", TODAY.isoformat()])
    assert past.exit_code == 1
    until = (TODAY + timedelta(days=2)).isoformat()
    snoozed = runner.invoke(app, ["tasks", "snooze", later, "--until", until])
    assert snoozed.exit_code == 0, snoozed.output

    with context.database().sessions() as session:
        first = session.get(Task, uuid.UUID(late))
        second = session.get(Task, uuid.UUID(later))
        assert first is not None
        assert second is not None
        assert (first.status, first.outcome) == (TaskStatus.DONE, "done_success")
        activity = session.scalars(select(Activity)).one()
        assert (activity.kind, activity.body, activity.id) == (
            ActivityKind.CALL,
            "合意済み",
            first.activity_id,
        )
        assert str(second.snoozed_until) == until
        assert second.status is TaskStatus.OPEN
