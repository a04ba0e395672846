"""`kizuna segments …`, `kizuna tags …`, `kizuna coverage …` and the daily
`coverage.apply_tiers` job, on a scratch SQLite file."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.coverage.service import APPLY_JOB
from kizuna.jobs.coverage import apply_tiers
from kizuna.jobs.registry import JobContext
from kizuna.jobs.schedules import DEFAULT_SCHEDULES
from kizuna.models import Account, Product, Subscription
from kizuna.models.enums import ProductKind, ProductUnit, Tier


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.database.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"]).exit_code == 0
    try:
        yield runner
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def _accounts() -> dict[str, uuid.UUID]:
    with context.database().sessions() as session, session.begin():
        plan = Product(code="P-CLI", name="Plan", kind=ProductKind.BASE_PLAN,
                       unit=ProductUnit.SEAT, list_price_amount=1000)  # fmt: skip
        session.add(plan)
        made = {}
        for name, mrr in (("大手", 900_000), ("中堅", 90_000)):
            account = Account(name=name, tier=Tier.TIER3)
            session.add(account)
            session.flush()
            session.add(Subscription(account_id=account.id, product_id=plan.id, mrr_amount=mrr,
                                     start_on=date(2025, 1, 1)))  # fmt: skip
            made[name] = account.id
        return made


def test_segments_create_list_members_and_delete(cli: CliRunner, tmp_path: Path) -> None:
    _accounts()
    spec = tmp_path / "seg.yaml"
    spec.write_text(
        "name: 大口\nshared: true\ndefinition:\n  all:\n"
        "    - {fact: signal.mrr, op: gte, value: 500000}\n",
        encoding="utf-8",
    )
    created = cli.invoke(cli_app, ["segments", "create", "--file", str(spec)])
    assert created.exit_code == 0, created.output
    assert "1 accounts today" in created.output
    listed = json.loads(cli.invoke(cli_app, ["segments", "list", "--json"]).output)
    assert [(s["name"], s["member_count"]) for s in listed] == [("大口", 1)]
    members = cli.invoke(cli_app, ["segments", "members", listed[0]["id"], "--csv"])
    rows = list(csv.DictReader(io.StringIO(members.output)))
    assert [r["name"] for r in rows] == ["大手"]
    assert cli.invoke(cli_app, ["segments", "delete", listed[0]["id"]]).exit_code == 0
    assert json.loads(cli.invoke(cli_app, ["segments", "list", "--json"]).output) == []
    spec.write_text("name: bad\ndefinition: {fact: signal.mrr, op: gte, value: x}\n")
    bad = cli.invoke(cli_app, ["segments", "create", "--file", str(spec)])
    assert bad.exit_code == 1
    assert "definition.value" in bad.output


def test_tags_add_remove_list(cli: CliRunner) -> None:
    ids = _accounts()
    account = str(ids["大手"])
    assert cli.invoke(cli_app, ["tags", "add", account, "VIP", "事例"]).exit_code == 0
    assert cli.invoke(cli_app, ["tags", "remove", account, "事例"]).exit_code == 0
    listed = json.loads(cli.invoke(cli_app, ["tags", "list", "--json"]).output)
    assert listed == [{"tag": "VIP", "accounts": 1}]
    assert cli.invoke(cli_app, ["tags", "add", account, "a,b"]).exit_code == 1


def test_coverage_rules_import_apply_and_the_daily_job(cli: CliRunner, tmp_path: Path) -> None:
    ids = _accounts()
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        yaml.safe_dump(
            {"tier_rules": [{"name": "大口", "tier": "tier1",
                             "condition": {"fact": "signal.mrr", "op": "gte", "value": 500000}}]},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )  # fmt: skip
    imported = cli.invoke(cli_app, ["coverage", "rules", "import", str(rules)])
    assert imported.exit_code == 0, imported.output
    dry = json.loads(cli.invoke(cli_app, ["coverage", "apply", "--dry-run", "--json"]).output)
    assert [(c["account_name"], c["new"]) for c in dry["tiers"]["changes"]] == [("大手", "tier1")]
    exported = yaml.safe_load(cli.invoke(cli_app, ["coverage", "rules", "export"]).output)
    assert exported["tier_rules"][0]["name"] == "大口"
    assert [t["tier"] for t in exported["tiers"]] == ["tier1", "tier2", "tier3"]
    assert (
        cli.invoke(cli_app, ["coverage", "pin", str(ids["中堅"]), "--tier", "tier2"]).exit_code == 0
    )

    assert APPLY_JOB in {s.key for s in DEFAULT_SCHEDULES}
    result = apply_tiers(
        JobContext(
            job_id=uuid.uuid4(),
            name=APPLY_JOB,
            payload={},
            attempt=1,
            database=context.database(),
            settings=context.settings(),
        )
    )
    assert result["tier_changes"] == 1  # 大手 → Tier 1; 中堅 is pinned at Tier 2
    with context.database().sessions() as session:
        tiers = dict(session.execute(select(Account.name, Account.tier)).all())
    assert tiers == {"大手": Tier.TIER1, "中堅": Tier.TIER2}
