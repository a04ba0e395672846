"""`kizuna events import`, `kizuna metrics compute` and `kizuna metrics catalogue`."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app
from kizuna.models.usage_metric import UsageMetricLatest

runner = CliRunner()


def test_demo_events_import_and_compute(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "--accounts", "10", "--usage-months", "0"])
    assert loaded.exit_code == 0, loaded.output
    events = cli_db / "events.parquet"
    written = runner.invoke(app, ["demo-events", str(events), "--accounts", "10", "--months", "1"])
    assert written.exit_code == 0, written.output

    imported = runner.invoke(app, ["events", "import", str(events)])
    assert imported.exit_code == 0, imported.output
    assert "stored" in imported.output
    assert "metrics" in imported.output  # recomputed afterwards
    with context.database().sessions() as session:
        assert session.scalar(select(func.count()).select_from(UsageMetricLatest))

    again = runner.invoke(app, ["events", "import", str(events), "--no-compute"])
    assert again.exit_code == 0
    assert "stored 0" in again.output

    computed = runner.invoke(app, ["metrics", "compute", "--since", "2026-01-01"])
    assert computed.exit_code == 0, computed.output
    assert "incremental" in computed.output
    assert runner.invoke(app, ["metrics", "compute", "--since", "soon"]).exit_code == 2


def test_bad_file_writes_nothing_and_exits_1(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    bad = cli_db / "bad.csv"
    bad.write_text("message_id,type,event,user_id,timestamp\nm1,track,,u1,2026-01-01\n")
    result = runner.invoke(app, ["events", "import", str(bad)])
    assert result.exit_code == 1
    assert "event: required for track" in result.output
    assert "nothing was written" in result.output


def test_catalogue_export_and_import(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    path = cli_db / "catalogue.yaml"
    assert runner.invoke(app, ["metrics", "catalogue", "export", str(path)]).exit_code == 0
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["metrics"]["weekly_reports"] = {
        "name": "レポート閲覧数",
        "kind": "count",
        "params": {"events": ["Report Viewed"]},
        "grains": ["week"],
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = runner.invoke(app, ["metrics", "catalogue", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "created 1" in imported.output
    document["metrics"]["broken"] = {"name": "x", "kind": "sum", "grains": ["week"]}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    failed = runner.invoke(app, ["metrics", "catalogue", "import", str(path)])
    assert failed.exit_code == 2
    assert "metrics.broken.params.property" in failed.output
