"""`kizuna schedules list | run | pause | resume` and the scheduler bits of `kizuna init`,
`kizuna worker` and `kizuna jobs enqueue`, on a scratch SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.jobs import runner as job_runner
from kizuna.jobs.schedules import DEFAULT_SCHEDULES
from kizuna.models.audit import AuditEvent
from kizuna.models.job import Job


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZUNA_DEFAULT_TIMEZONE", "Asia/Tokyo")
    context.settings.cache_clear()
    context.database.cache_clear()
    job_runner.log.bind()  # structlog binds its stream on first use; before CliRunner swaps it
    try:
        yield CliRunner()
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def _listed(cli: CliRunner) -> dict[str, dict[str, object]]:
    result = cli.invoke(cli_app, ["schedules", "list", "--json"])
    assert result.exit_code == 0, result.output
    return {row["key"]: row for row in json.loads(result.output)}


def test_init_registers_the_default_schedules_and_list_shows_them(cli: CliRunner) -> None:
    init = cli.invoke(cli_app, ["init"])
    assert init.exit_code == 0, init.output
    keys = [entry.key for entry in DEFAULT_SCHEDULES]
    assert f"schedules: {', '.join(keys)}" in " ".join(init.output.split())
    rows = _listed(cli)
    assert set(rows) == set(keys) >= {"health.train_model", "health.rescore", "queue.cleanup"}
    assert rows["health.rescore"]["description"] == "daily at 05:00"
    assert rows["health.train_model"]["description"] == "every Monday at 04:00"
    assert rows["health.rescore"]["zone"] == "Asia/Tokyo"
    table = cli.invoke(cli_app, ["schedules", "list"], terminal_width=200)
    assert table.exit_code == 0, table.output
    assert "health.rescore" in table.output
    assert "never run" in table.output
    assert cli.invoke(cli_app, ["init"]).exit_code == 0  # idempotent
    assert len(_listed(cli)) == len(keys)


def test_pause_resume_and_run_now_then_a_worker_records_the_run(cli: CliRunner) -> None:
    assert cli.invoke(cli_app, ["init"]).exit_code == 0
    paused = cli.invoke(cli_app, ["schedules", "pause", "health.rescore"])
    assert paused.exit_code == 0, paused.output
    assert _listed(cli)["health.rescore"]["enabled"] is False
    assert "paused" in cli.invoke(cli_app, ["schedules", "list"], terminal_width=200).output
    resumed = cli.invoke(cli_app, ["schedules", "resume", "health.rescore"])
    assert resumed.exit_code == 0
    assert "next run" in resumed.output
    assert _listed(cli)["health.rescore"]["enabled"] is True

    ran = cli.invoke(cli_app, ["schedules", "run", "queue.cleanup"])
    assert ran.exit_code == 0, ran.output
    assert cli.invoke(cli_app, ["worker", "--once", "--name", "queue.cleanup"]).exit_code == 0
    cleanup = _listed(cli)["queue.cleanup"]
    assert cleanup["last_status"] == "done"
    assert isinstance(cleanup["last_duration_seconds"], float)

    missing = cli.invoke(cli_app, ["schedules", "run", "no.such"])
    assert missing.exit_code == 1
    assert "schedule not found" in missing.output

    with context.database().sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "schedule", AuditEvent.actor_name == "cli"
            )
        ).all()
    assert sorted(actions) == ["schedule.pause", "schedule.resume", "schedule.run"]


def test_a_hand_queued_job_of_a_scheduled_name_is_a_singleton(cli: CliRunner) -> None:
    assert cli.invoke(cli_app, ["init"]).exit_code == 0
    assert cli.invoke(cli_app, ["jobs", "enqueue", "queue.cleanup"]).exit_code == 0
    assert cli.invoke(cli_app, ["jobs", "enqueue", "queue.unscheduled"]).exit_code == 0
    with context.database().sessions() as session:
        keys = {
            row.name: row.singleton_key
            for row in session.execute(select(Job.name, Job.singleton_key))
        }
    assert keys == {"queue.cleanup": "queue.cleanup", "queue.unscheduled": None}
