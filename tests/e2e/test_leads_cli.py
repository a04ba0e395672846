"""`kizuna leads …` and `kizuna opportunities …` through Typer's runner, on a real SQLite
file: pass → accept → stage → win (the line is written), reject, lose, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app
from kizuna.kit.clock import today
from kizuna.models import Account, Product, Subscription, Team, User
from kizuna.models.enums import ProductKind, ProductUnit, Role, TeamKind

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


def _seed() -> None:
    with context.database().sessions() as session, session.begin():
        team = Team(name="グロースチーム", kind=TeamKind.CUSTOMER_SALES)
        session.add(team)
        session.flush()
        session.add_all(
            [
                User(email="csm@example.jp", name="佐藤 花子", password_hash="x", role=Role.CSM),
                User(
                    email="ae@example.jp",
                    name="鈴木 一郎",
                    password_hash="x",
                    role=Role.CUSTOMER_SALES,
                    team_id=team.id,
                ),
                Account(name="株式会社シーエルアイ"),
                Product(
                    code="CRM",
                    name="CRMオプション",
                    kind=ProductKind.OPTION,
                    unit=ProductUnit.SEAT,
                    list_price_amount=1000,
                ),
            ]
        )


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_pass_accept_move_win_over_the_cli(cli_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    _seed()
    bad = runner.invoke(
        app,
        [
            "leads",
            "pass",
            "--account",
            "株式会社シーエルアイ",
            "--amount",
            "20000",
            "--reason",
            "x",
            "--by",
            "csm@example.jp",
        ],
    )
    assert bad.exit_code == 1
    assert "pass it to a person or a team" in bad.output

    lead = json.loads(
        _ok(
            [
                "leads",
                "pass",
                "--account",
                "株式会社シーエルアイ",
                "--product",
                "CRM",
                "--amount",
                "20000",
                "--reason",
                "CRM連携の要望",
                "--team",
                "グロースチーム",
                "--by",
                "csm@example.jp",
                "--json",
            ]
        )
    )
    assert lead["status"] == "passed"
    assert lead["passed_by_name"] == "佐藤 花子"
    inbox = json.loads(_ok(["leads", "list", "--view", "inbox", "--as", "ae@example.jp", "--json"]))
    assert [x["id"] for x in inbox] == [lead["id"]]
    table = _ok(["leads", "list"])
    assert "株式会社シーエルアイ" in table
    assert "1 lead(s)" in table

    close = (TODAY + timedelta(days=14)).isoformat()
    opportunity = json.loads(
        _ok(["leads", "accept", lead["id"], "--by", "ae@example.jp", "--close-on", close, "--json"])
    )
    assert opportunity["lead_source"] == "cs"
    assert opportunity["owner_name"] == "鈴木 一郎"
    assert opportunity["created_by_name"] == "佐藤 花子"
    again = runner.invoke(app, ["leads", "reject", lead["id"], "--reason", "重複"])
    assert again.exit_code == 1
    assert "only passed leads can be decided" in again.output

    _ok(["opportunities", "stage", opportunity["id"], "proposal", "--by", "ae@example.jp"])
    start = date(2027, 1, 1).isoformat()
    won = json.loads(
        _ok(
            [
                "opportunities",
                "win",
                opportunity["id"],
                "--start-on",
                start,
                "--quantity",
                "4",
                "--by",
                "ae@example.jp",
                "--json",
            ]
        )
    )
    assert won["stage"] == "won"
    with context.database().sessions() as session:
        line = session.scalars(select(Subscription)).one()
        assert (line.mrr_amount, line.quantity, line.start_on) == (20_000, 4, date(2027, 1, 1))
        assert line.end_on == date(2028, 1, 1)  # no current contract: 12 months

    listed = json.loads(_ok(["opportunities", "list", "--stage", "won", "--json"]))
    assert [o["id"] for o in listed] == [opportunity["id"]]


def test_direct_create_lose_and_reject(cli_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    _seed()
    created = json.loads(
        _ok(
            [
                "opportunities",
                "create",
                "--account",
                "株式会社シーエルアイ",
                "--amount",
                "9000",
                "--close-on",
                (TODAY + timedelta(days=30)).isoformat(),
                "--source",
                "partner",
                "--product",
                "CRM",
                "--owner",
                "ae@example.jp",
                "--json",
            ]
        )
    )
    assert created["lead_source"] == "partner"
    no_reason = runner.invoke(app, ["opportunities", "lose", created["id"], "--reason", ""])
    assert no_reason.exit_code == 1
    _ok(["opportunities", "lose", created["id"], "--reason", "予算なし"])
    reopen = runner.invoke(app, ["opportunities", "stage", created["id"], "proposal"])
    assert reopen.exit_code == 1
    assert "final" in reopen.output

    lead = json.loads(
        _ok(
            [
                "leads",
                "pass",
                "--account",
                "株式会社シーエルアイ",
                "--amount",
                "1000",
                "--reason",
                "席数追加",
                "--to",
                "ae@example.jp",
                "--by",
                "csm@example.jp",
                "--json",
            ]
        )
    )
    _ok(["leads", "reject", lead["id"], "--reason", "既に検討済み", "--by", "ae@example.jp"])
    rejected = json.loads(_ok(["leads", "list", "--status", "rejected", "--json"]))
    assert rejected[0]["reject_reason"] == "既に検討済み"
    with context.database().sessions() as session:
        assert session.scalar(select(Account.name)) == "株式会社シーエルアイ"
