"""`kizuna playbooks list | show | dry-run | run | export | import` on a scratch SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.jobs import runner as job_runner
from kizuna.models import Account

YAML = """
- key: big_accounts
  name: 大口顧客フォロー
  team: null
  definition:
    trigger:
      type: condition
      condition: {fact: account.employee_count, op: gte, value: 100}
    actions:
      - {type: create_task, title: "面談: {account}", due_in_days: 5}
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    job_runner.log.bind()
    try:
        yield CliRunner()
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def test_import_dry_run_run_show_and_export(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(cli_app, ["init"]).exit_code == 0
    with context.database().sessions() as session, session.begin():
        session.add(Account(name="CLI商事", employee_count=400))
    source = tmp_path / "playbooks.yaml"
    source.write_text(YAML, encoding="utf-8")
    imported = cli.invoke(cli_app, ["playbooks", "import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "big_accounts created" in imported.output

    dry = cli.invoke(cli_app, ["playbooks", "dry-run", "big_accounts", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["dry_run"] is True
    assert report["playbooks"][0]["fired"][0]["account_name"] == "CLI商事"

    not_active = cli.invoke(cli_app, ["playbooks", "run", "big_accounts"])
    assert not_active.exit_code == 1
    assert "not active" in not_active.output
    again = cli.invoke(cli_app, ["playbooks", "import", str(source), "--publish"])
    assert again.exit_code == 0, again.output
    ran = cli.invoke(cli_app, ["playbooks", "run"], terminal_width=200)
    assert ran.exit_code == 0, ran.output
    assert "面談: CLI商事" in ran.output
    assert "1 firings" in ran.output

    listed = json.loads(cli.invoke(cli_app, ["playbooks", "list", "--json"]).output)
    assert listed[0]["key"] == "big_accounts"
    assert listed[0]["open_tasks"] == 1
    shown = cli.invoke(cli_app, ["playbooks", "show", "big_accounts"], terminal_width=200)
    assert "CLI商事" in shown.output
    exported = cli.invoke(cli_app, ["playbooks", "export"])
    assert "key: big_accounts" in exported.output
    assert cli.invoke(cli_app, ["playbooks", "show", "nope"]).exit_code == 1
