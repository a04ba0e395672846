"""`kizuna health backtest | train | predict` on the demo company, through Typer's runner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.health_model import app as health_app
from kizuna.cli.main import app
from kizuna.models.account import Account
from kizuna.models.health import ChurnModel

runner = CliRunner()


def test_thin_history_is_refused_with_exit_1(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    trained = runner.invoke(health_app, ["train"])
    assert trained.exit_code == 1
    assert "model #1 refused: too little history" in trained.output
    backtest = runner.invoke(health_app, ["backtest", "--json"])
    assert backtest.exit_code == 0, backtest.output
    assert json.loads(backtest.output)["refusal"]["code"] == "too_few_dates"


def test_backtest_train_and_predict_on_the_demo(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "--usage-months", "0"])
    assert loaded.exit_code == 0, loaded.output
    assert "churn-risk model published" in loaded.output  # the demo trains model #1

    shown = runner.invoke(health_app, ["backtest"])
    assert shown.exit_code == 0, shown.output
    assert "AUC" in shown.output
    assert "top-decile lift" in shown.output
    result = json.loads(runner.invoke(health_app, ["backtest", "--json"]).output)
    assert result["auc"] > 0.65
    assert result["refusal"] is None

    trained = runner.invoke(health_app, ["train", "--horizon", "90"])
    assert trained.exit_code == 0, trained.output
    assert "model #2 published" in trained.output
    with context.database().sessions() as session:
        statuses = session.execute(select(ChurnModel.number, ChurnModel.status)).all()
        assert sorted(statuses) == [(1, "retired"), (2, "published")]
        externals = list(session.scalars(select(Account.external_id).limit(5)))

    rows = cli_db / "rows.csv"
    rows.write_text("account_external_id,date\n" + "".join(f"{e},2025-09-01\n" for e in externals))
    out = cli_db / "out.csv"
    predicted = runner.invoke(
        health_app,
        ["predict", "--at", str(rows), "--train-until", "2025-06-01", "--output", str(out)],
    )
    assert predicted.exit_code == 0, predicted.output
    with out.open() as handle:
        written = list(csv.DictReader(handle))
    assert [r["account_external_id"] for r in written] == externals
    assert all(0.0 <= float(r["probability"]) <= 1.0 for r in written)

    rows.write_text("account_external_id,date\nNOPE,2025-09-01\n")
    bad = runner.invoke(
        health_app,
        ["predict", "--at", str(rows), "--train-until", "2025-06-01", "--output", str(out)],
    )
    assert bad.exit_code == 2
    assert "line 2: no account has external id 'NOPE'" in bad.output
    wrong = runner.invoke(
        health_app,
        ["predict", "--at", str(rows), "--train-until", "June", "--output", str(out)],
    )
    assert wrong.exit_code == 2
