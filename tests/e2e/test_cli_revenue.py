"""`kizuna metrics …` and `kizuna rates …` through Typer's runner, on a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import make_account, make_line, make_product
from kizuna.cli import context
from kizuna.cli.main import app
from kizuna.models.enums import Tier

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("KIZUNA_DATABASE_URL", url)
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    context.settings.cache_clear()
    context.database.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    with context.database().sessions() as session, session.begin():
        product = make_product(session, code="BASE")
        kept = make_account(session, tier=Tier.TIER1)
        make_line(session, kept, product, mrr=100_000, start=date(2025, 1, 1))
        gone = make_account(session, tier=Tier.TIER2)
        make_line(session, gone, product, mrr=25_000, start=date(2025, 1, 1), end=date(2026, 1, 20))
        usd = make_account(session, tier=Tier.TIER2, currency="USD")
        make_line(session, usd, product, mrr=1_000, start=date(2025, 6, 1), currency="USD")
    yield url
    context.database().engine.dispose()
    context.settings.cache_clear()
    context.database.cache_clear()


def test_revenue_needs_a_rate_then_reports(cli_db: str) -> None:
    window = ["metrics", "revenue", "--from", "2026-01-01", "--to", "2026-02-01"]
    refused = runner.invoke(app, window)
    assert refused.exit_code == 1
    assert "USD" in refused.output
    assert "kizuna rates set" in refused.output

    rate = runner.invoke(app, ["rates", "set", "usd", "150", "--from", "2025-01-01"])
    assert rate.exit_code == 0, rate.output
    assert "1 USD = 150 JPY from 2025-01-01" in rate.output
    listed = runner.invoke(app, ["rates", "list"])
    assert "USD" in listed.output
    assert "2025-01-01" in listed.output

    result = runner.invoke(app, [*window, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["figures"]
    assert (figures["n_start"], figures["n_churned"]) == (3, 1)
    assert figures["start_mrr"] == 100_000 + 25_000 + 1_500  # $10.00 × 150
    assert figures["logo_churn_rate"] == "0.333333"

    table = runner.invoke(app, [*window, "--by", "tier"])
    assert table.exit_code == 0, table.output
    assert "tier1" in table.output
    assert "tier2" in table.output
    assert "¥126,500" in table.output
    plain = runner.invoke(app, window)
    for name in ("logo_churn_rate", "nrr", "grr", "mrr_churn_rate", "n_churned"):
        assert name in plain.output
    assert "33.33%" in plain.output


def test_movements_cohorts_and_bad_input(cli_db: str) -> None:
    runner.invoke(app, ["rates", "set", "USD", "150", "--from", "2025-01-01"])
    moves = runner.invoke(
        app, ["metrics", "movements", "--from", "2025-12-01", "--to", "2026-01-31", "--json"]
    )
    assert moves.exit_code == 0, moves.output
    january = json.loads(moves.stdout)["months"][1]
    assert (january["churned_mrr"], january["net_change"]) == (25_000, -25_000)
    cohorts = runner.invoke(
        app, ["metrics", "cohorts", "--basis", "mrr", "--from", "2025-01-01", "--to", "2025-06-01"]
    )
    assert cohorts.exit_code == 0, cohorts.output
    assert "2025-01" in cohorts.output
    assert "100.00%" in cohorts.output

    backwards = runner.invoke(
        app, ["metrics", "revenue", "--from", "2026-02-01", "--to", "2026-01-01"]
    )
    assert backwards.exit_code == 1
    assert "from" in backwards.output
    not_a_date = runner.invoke(app, ["metrics", "revenue", "--from", "soon", "--to", "2026-01-01"])
    assert not_a_date.exit_code == 2
    assert "--from" in not_a_date.output
    bad_rate = runner.invoke(app, ["rates", "set", "USD", "0", "--from", "2025-01-01"])
    assert bad_rate.exit_code == 1
    assert "RATE" in bad_rate.output
