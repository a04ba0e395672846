"""`kizuna targets …` and `kizuna sales dashboard` on a scratch SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import make_team, make_user
from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.models.enums import Role, TeamKind


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["init"]).exit_code == 0
        with context.database().sessions() as session, session.begin():
            team = make_team(session, TeamKind.CUSTOMER_SALES, name="グロース")
            for name in ("A", "B", "C"):
                make_user(session, Role.CUSTOMER_SALES, name=name, team_id=team.id)
        yield runner
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def _json(cli: CliRunner, *args: str) -> object:
    result = cli.invoke(cli_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_set_split_list_attainment(cli: CliRunner) -> None:
    out = _json(cli, "targets", "set", "2026-Q3", "1,000,000", "--team", "グロース")
    assert isinstance(out, dict)
    assert (out["period"], out["value"], out["starts_on"]) == ("2026-Q3", 1_000_000, "2026-10-01")
    assert [m["value"] for m in out["teams"][0]["members"]] == [333_334, 333_333, 333_333]
    # `set` again changes the value; the split follows.
    again = _json(cli, "targets", "set", "2026-Q3", "900000")
    assert isinstance(again, dict)
    assert again["id"] == out["id"]
    assert [m["value"] for m in again["teams"][0]["members"]] == [300_000] * 3
    listed = _json(cli, "targets", "list", "--period", "2026-Q3")
    assert isinstance(listed, list)
    assert [t["id"] for t in listed] == [out["id"]]
    report = _json(cli, "targets", "attainment", "--period", "2026-Q3")
    assert isinstance(report, dict)
    assert report["targets"][0]["company"]["target"] == 900_000
    resplit = _json(cli, "targets", "split", out["id"], "--resplit")
    assert isinstance(resplit, dict)
    assert resplit["remainder"] == 0
    table = cli.invoke(cli_app, ["targets", "attainment", "--period", "2026-Q3"])
    assert table.exit_code == 0
    assert "¥900,000" in table.output
    board = _json(cli, "sales", "dashboard", "--period", "2026-Q3")
    assert isinstance(board, dict)
    cs = next(s for s in board["sources"] if s["lead_source"] == "cs")
    assert cs["created_target"] == 900_000
    assert cs["created_amount"] == 0
    assert cli.invoke(cli_app, ["sales", "dashboard"]).exit_code == 0


def test_errors_and_fiscal_year(cli: CliRunner) -> None:
    bad = cli.invoke(cli_app, ["targets", "set", "2026-Q9", "100"])
    assert bad.exit_code == 1
    assert "period" in bad.output
    lead = cli.invoke(
        cli_app, ["targets", "set", "2026-Q3", "3", "--metric", "lead_count", "--source", "sales"]
    )
    assert lead.exit_code == 1
    assert "lead_source" in lead.output
    unknown = cli.invoke(cli_app, ["targets", "set", "2026-Q3", "3", "--team", "nope"])
    assert unknown.exit_code == 1
    assert "no team" in unknown.output
    assert cli.invoke(cli_app, ["targets", "fiscal-year", "1"]).exit_code == 0
    shown = cli.invoke(cli_app, ["targets", "fiscal-year"])
    assert "month 1" in shown.output
    out = _json(cli, "targets", "set", "2026-Q3", "5")
    assert isinstance(out, dict)
    assert out["starts_on"] == "2026-07-01"
