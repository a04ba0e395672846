"""`kizuna journey show | evaluate | stalled | export | import` and the `journey.evaluate`
job, on a scratch SQLite file."""

from __future__ import annotations

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
from kizuna.config import Settings
from kizuna.jobs import runner as job_runner
from kizuna.jobs.journey import evaluate as evaluate_job
from kizuna.jobs.registry import JobContext
from kizuna.jobs.schedules import DEFAULT_SCHEDULES
from kizuna.models import Account, Job, PlaybookRun, Product, Subscription
from kizuna.models.enums import Phase, ProductKind, ProductUnit
from kizuna.scheduler.cadence import describe


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZUNA_DEFAULT_TIMEZONE", "Asia/Tokyo")
    context.settings.cache_clear()
    context.database.cache_clear()
    job_runner.log.bind()
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"]).exit_code == 0
    try:
        yield runner
    finally:
        context.database().engine.dispose()
        context.settings.cache_clear()
        context.database.cache_clear()


def _paying_account(name: str) -> uuid.UUID:
    with context.database().sessions() as session, session.begin():
        product = Product(
            code=f"P-{name}", name=name, kind=ProductKind.BASE_PLAN, unit=ProductUnit.SEAT,
            list_price_amount=1000,
        )  # fmt: skip
        account = Account(name=name)
        session.add_all([product, account])
        session.flush()
        session.add(
            Subscription(
                account_id=account.id, product_id=product.id, mrr_amount=1000,
                start_on=date(2020, 1, 1),
            )
        )  # fmt: skip
        return account.id


def test_show_evaluate_and_stalled(cli: CliRunner) -> None:
    shown = cli.invoke(cli_app, ["journey", "show"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "初期設定" in shown.output
    assert "target 90 days" in shown.output
    as_json = json.loads(cli.invoke(cli_app, ["journey", "show", "--json"]).output)
    assert [p["phase"] for p in as_json["phases"]] == ["onboarding", "adoption", "expansion"]

    account_id = _paying_account("CLI商事")
    evaluated = cli.invoke(cli_app, ["journey", "evaluate", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["entered"] == 1
    with context.database().sessions() as session:
        assert session.get(Account, account_id).phase is Phase.ONBOARDING  # type: ignore[union-attr]

    table = cli.invoke(cli_app, ["journey", "stalled", "--all"], terminal_width=200)
    assert table.exit_code == 0
    assert "CLI商事" in table.output
    stalled = json.loads(cli.invoke(cli_app, ["journey", "stalled", "--json"]).output)
    assert stalled == []  # entered today: within target
    everyone = json.loads(cli.invoke(cli_app, ["journey", "stalled", "--all", "--json"]).output)
    assert [row["name"] for row in everyone] == ["CLI商事"]
    assert cli.invoke(cli_app, ["journey", "stalled", "--phase", "nope"]).exit_code == 2


def test_export_import_is_validated_and_atomic(cli: CliRunner, tmp_path: Path) -> None:
    exported = cli.invoke(cli_app, ["journey", "export"])
    assert exported.exit_code == 0
    document = yaml.safe_load(exported.output)
    document["phases"][0]["target_days"] = 45
    document["phases"][2]["steps"].pop()  # drop 利用拡大
    good = tmp_path / "journey.yaml"
    good.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = cli.invoke(cli_app, ["journey", "import", str(good)])
    assert imported.exit_code == 0, imported.output
    assert "1 deleted" in imported.output

    document["phases"][1]["steps"][0]["criteria"] = {"all": [{"fact": "nope", "op": "eq"}]}
    document["phases"][0]["target_days"] = 60
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    refused = cli.invoke(cli_app, ["journey", "import", str(bad)])
    assert refused.exit_code == 2
    assert "phases[1].steps[0].criteria.all[0].fact" in refused.output
    after = yaml.safe_load(cli.invoke(cli_app, ["journey", "export"]).output)
    assert after["phases"][0]["target_days"] == 45  # nothing of the bad file was applied


def test_the_job_evaluates_and_is_scheduled_daily(cli: CliRunner) -> None:
    assert any(
        s.job_name == "journey.evaluate" and describe(s.cadence) == "daily at 04:30"
        for s in DEFAULT_SCHEDULES
    )
    account_id = _paying_account("ジョブ物産")
    settings = Settings()
    ctx = JobContext(
        database=context.database(),
        settings=settings,
        job_id=uuid.uuid4(),
        name="journey.evaluate",
        payload={},
        attempt=1,
    )
    result = evaluate_job(ctx)
    assert result["entered"] == 1
    # Something moved: the playbooks were evaluated right after, in the same transaction.
    assert result["playbooks_run_id"] is not None
    with context.database().sessions() as session:
        phase = session.scalar(select(Account.phase).where(Account.id == account_id))
        origin = session.scalar(
            select(PlaybookRun.origin).where(
                PlaybookRun.id == uuid.UUID(result["playbooks_run_id"])
            )
        )
        queued = session.scalars(
            select(Job.name).where(Job.name == "playbooks.evaluate", Job.status == "queued")
        ).all()
    assert phase is Phase.ONBOARDING
    assert origin == "journey"
    assert queued == []
    again = evaluate_job(ctx)
    assert again["entered"] == 0  # idempotent
    assert again["playbooks_run_id"] is None
