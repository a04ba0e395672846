"""`kizuna potential …` and `kizuna pocs …` on a scratch SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.models import Account, Product
from kizuna.models.enums import ProductKind, ProductUnit, Tier


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"]).exit_code == 0
    with context.database().sessions() as session, session.begin():
        session.add(Account(name="株式会社CLI", tier=Tier.TIER1, external_id="CLI-1"))
        session.add(
            Product(
                code="OPT-CLI",
                name="CLIオプション",
                kind=ProductKind.OPTION,
                unit=ProductUnit.FIXED,
                list_price_amount=10_000,
            )
        )
    try:
        yield runner
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def _json(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(cli_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_potential_set_list_totals_remove(cli: CliRunner) -> None:
    saved = _json(
        cli, "potential", "set", "CLI-1", "OPT-CLI", "--mrr-amount", "50000",
        "--confidence", "high", "--month", "2026-10", "--note", "要望あり",
    )  # fmt: skip
    assert isinstance(saved, dict)
    assert (saved["mrr_amount"], saved["expected_on"], saved["weighted_mrr_amount"]) == (
        50_000,
        "2026-10-01",
        40_000,
    )
    listed = _json(cli, "potential", "list", "--account", "株式会社CLI")
    assert isinstance(listed, list)
    assert [p["product_code"] for p in listed] == ["OPT-CLI"]
    totals = _json(cli, "potential", "totals", "--by", "tier")
    assert isinstance(totals, dict)
    assert totals["rows"][0]["key"] == "tier1"
    bad = cli.invoke(cli_app, ["potential", "set", "CLI-1", "NOPE", "--mrr-amount", "1",
                               "--confidence", "low"])  # fmt: skip
    assert bad.exit_code == 1
    assert cli.invoke(cli_app, ["potential", "remove", "CLI-1", "OPT-CLI"]).exit_code == 0
    assert _json(cli, "potential", "list") == []


def test_pocs_create_run_record_decide(cli: CliRunner) -> None:
    made = _json(
        cli, "pocs", "create", "CLI PoC", "--purpose", "検証", "--product", "OPT-CLI",
        "--criterion", "定着率|80%|週次アクティブ",
    )  # fmt: skip
    assert isinstance(made, dict)
    poc = made["id"]
    assert made["success_criteria"][0]["key"] == "c1"
    _json(cli, "pocs", "add-account", poc, "CLI-1", "--participant", "山田")
    early = cli.invoke(cli_app, ["pocs", "decide", poc, "--decision", "adopt", "--note", "x"])
    assert early.exit_code == 1  # planned → decided is not allowed
    _json(cli, "pocs", "move", poc, "running")
    recorded = _json(
        cli, "pocs", "record-result", poc, "CLI-1", "--result", "c1=85%", "--outcome", "met"
    )
    assert isinstance(recorded, dict)
    assert recorded["accounts"][0]["results"] == {"c1": "85%"}
    _json(cli, "pocs", "move", poc, "evaluating")
    decided = _json(cli, "pocs", "decide", poc, "--decision", "adopt", "--note", "全社展開")
    assert isinstance(decided, dict)
    assert (decided["status"], decided["decision"]) == ("decided", "adopt")
    listing = _json(cli, "pocs", "list")
    assert isinstance(listing, dict)
    assert [p["name"] for p in listing["items"]] == ["CLI PoC"]
    cancelled = cli.invoke(cli_app, ["pocs", "cancel", poc])
    assert cancelled.exit_code == 1  # decided is final
