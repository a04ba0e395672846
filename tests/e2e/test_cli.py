"""The `kizuna` command line, through Typer's runner, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app
from kizuna.models import Account, ApiToken, User

runner = CliRunner()


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


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "migrate", "demo", "serve", "users", "tokens"):
        assert command in result.stdout


def test_init_users_and_tokens(cli_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "users",
            "create",
            "ops@example.jp",
            "--name",
            "運用 太郎",
            "--role",
            "admin",
            "--password",
            "a-long-password-1",
        ],
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        app,
        ["users", "create", "ops@example.jp", "--name", "x", "--password", "a-long-password-1"],
    )
    assert duplicate.exit_code == 1
    assert "email" in duplicate.output

    issued = runner.invoke(
        app,
        [
            "tokens",
            "create",
            "ops@example.jp",
            "--name",
            "sync",
            "--scope",
            "read",
            "--scope",
            "write",
        ],
    )
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip().splitlines()[-1]
    assert secret.startswith("kzn_")
    with context.database().sessions() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.scopes == ["read", "write"]
        assert secret != token.token_hash
        assert session.scalar(select(User.role).where(User.email == "ops@example.jp")) == "admin"


def test_weak_password_is_refused_with_the_field_named(cli_db: str) -> None:
    runner.invoke(app, ["migrate"])
    result = runner.invoke(
        app, ["users", "create", "x@example.jp", "--name", "x", "--password", "short"]
    )
    assert result.exit_code == 1
    assert "password" in result.output


def test_demo_loads_once(cli_db: str) -> None:
    runner.invoke(app, ["migrate"])
    first = runner.invoke(app, ["demo", "--if-empty", "--accounts", "12"])  # as `make run`
    assert first.exit_code == 0, first.output
    assert "admin@demo.kizuna.jp" in first.output
    again = runner.invoke(app, ["demo", "--accounts", "12"])
    assert again.exit_code == 1
    skipped = runner.invoke(app, ["demo", "--if-empty"])
    assert skipped.exit_code == 0
    with context.database().sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 12


def test_demo_events_writes_parquet(tmp_path: Path) -> None:
    output = tmp_path / "events.parquet"
    result = runner.invoke(app, ["demo-events", str(output), "--accounts", "10", "--months", "1"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(output)
    assert table.num_rows > 0
    assert {"message_id", "event", "timestamp"} <= set(table.column_names)
    assert len(set(table.column("message_id").to_pylist())) == table.num_rows
