"""`kizuna health score` and `kizuna health scorecards …` through Typer's runner, on a
small demo company in a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.health_scores import app as scores_app
from kizuna.cli.main import app
from kizuna.models.health import HealthScore, HealthScoreHistory

runner = CliRunner()


def test_score_and_scorecards(cli_db: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "--accounts", "40", "--usage-months", "0"])
    assert loaded.exit_code == 0, loaded.output
    assert "health:" in loaded.output  # the demo ends by scoring, with history

    scored = runner.invoke(scores_app, ["score", "--backfill-days", "21", "--json"])
    assert scored.exit_code == 0, scored.output
    result = json.loads(scored.output)
    assert result["accounts"] > 20
    assert sum(result["bands"].values()) == result["accounts"]
    assert result["scorecards"] == {"default": result["accounts"]}
    with context.database().sessions() as session:
        assert session.scalar(select(func.count()).select_from(HealthScore)) == result["accounts"]
        days = session.scalars(select(HealthScoreHistory.scored_on).distinct()).all()
        assert len(days) >= 4  # today + 3 weeks back (and the demo's 90-day back-fill)

    listed = runner.invoke(scores_app, ["scorecards", "list"])
    assert listed.exit_code == 0
    assert "default" in listed.output

    exported = cli_db / "default.yaml"
    out = runner.invoke(scores_app, ["scorecards", "export", "default", "--output", str(exported)])
    assert out.exit_code == 0, out.output
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    document.update(key="smb", name="小規模向け", applies_to={"tiers": ["tier3"], "phases": []})
    document["priority"] = 5
    edited = cli_db / "smb.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = runner.invoke(scores_app, ["scorecards", "import", str(edited)])
    assert imported.exit_code == 0, imported.output
    assert "draft v1" in imported.output
    published = runner.invoke(scores_app, ["scorecards", "publish", "smb", "--note", "tier3"])
    assert published.exit_code == 0, published.output
    rescored = json.loads(runner.invoke(scores_app, ["score", "--json"]).output)
    assert set(rescored["scorecards"]) <= {"default", "smb"}
    assert sum(rescored["scorecards"].values()) == rescored["accounts"]

    bad = cli_db / "bad.yaml"
    bad.write_text("key: smb\nname: x\ndefinition: {groups: [], measures: []}\n", "utf-8")
    refused = runner.invoke(scores_app, ["scorecards", "import", str(bad)])
    assert refused.exit_code == 2
    assert "definition.groups" in refused.output
    assert runner.invoke(scores_app, ["scorecards", "publish", "nope"]).exit_code == 2
