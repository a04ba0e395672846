"""`kizuna renewals list | sync | forecast`, the `renewals.sync` job and its schedule, and
the demo loader, on a scratch SQLite file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna.cli import context
from kizuna.cli.main import app as cli_app
from kizuna.config import Settings
from kizuna.demo.renewals import load_renewals
from kizuna.jobs import runner as job_runner
from kizuna.jobs.registry import JobContext
from kizuna.jobs.renewals import sync as sync_job
from kizuna.jobs.schedules import DEFAULT_SCHEDULES
from kizuna.kit.clock import today
from kizuna.models import (
    Account,
    ClosingPlan,
    ClosingPlanStep,
    Contact,
    Product,
    Renewal,
    Subscription,
    User,
)
from kizuna.models.enums import ProductKind, ProductUnit, Role, Tier
from kizuna.scheduler.cadence import describe

TODAY = today("Asia/Tokyo")


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


def _company(accounts: int) -> None:
    """Accounts with a contract ending every ~11 days from 150 days ago to 170 ahead, one
    CSM and one customer-sales owner, a contact each."""
    with context.database().sessions() as session, session.begin():
        product = Product(
            code="PLAN", name="プラン", kind=ProductKind.BASE_PLAN, unit=ProductUnit.SEAT,
            list_price_amount=1000,
        )  # fmt: skip
        csm = User(email="csm@x.test", name="CSM", password_hash="x", role=Role.CSM)
        sales = User(email="cs@x.test", name="CS", password_hash="x", role=Role.CUSTOMER_SALES)
        session.add_all([product, csm, sales])
        session.flush()
        for i in range(accounts):
            account = Account(
                name=f"顧客{i:02d}",
                external_id=f"EXT-{i}",
                tier=Tier.TIER1 if i % 3 == 0 else Tier.TIER2,
                csm_owner_id=csm.id,
                sales_owner_id=sales.id,
            )
            session.add(account)
            session.flush()
            session.add(Contact(account_id=account.id, name=f"担当{i}"))
            end = TODAY + timedelta(days=-150 + 11 * i)
            start = end - timedelta(days=365)
            session.add(
                Subscription(
                    account_id=account.id, product_id=product.id, mrr_amount=10_000 + 1_000 * i,
                    start_on=start, end_on=end,
                )
            )  # fmt: skip
            if i % 4 != 0 and end <= TODAY:  # most renewed, every fourth churned
                session.add(
                    Subscription(
                        account_id=account.id, product_id=product.id,
                        mrr_amount=10_000 + 1_000 * i + (2_000 if i % 4 == 1 else 0),
                        start_on=end, end_on=end + timedelta(days=365),
                    )
                )  # fmt: skip


def test_cli_sync_list_and_forecast(cli: CliRunner) -> None:
    _company(30)
    synced = cli.invoke(cli_app, ["renewals", "sync", "--json"])
    assert synced.exit_code == 0, synced.output
    result = json.loads(synced.output)
    assert result["created"] > 10
    again = json.loads(cli.invoke(cli_app, ["renewals", "sync", "--json"]).output)
    assert (again["created"], again["updated"], again["events"]) == (0, 0, 0)

    listed = cli.invoke(cli_app, ["renewals", "list", "--days", "60", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["renewals"]
    assert all(0 <= r["days_left"] <= 60 for r in data["renewals"])
    assert data["summary"]["count"] == len(data["renewals"])
    table = cli.invoke(cli_app, ["renewals", "list", "--days", "90"])
    assert table.exit_code == 0
    assert "renewal(s) in the next 90 days" in table.output
    assert cli.invoke(cli_app, ["renewals", "list", "--days", "45"]).exit_code == 1

    target = data["renewals"][0]
    out = cli.invoke(
        cli_app,
        [
            "renewals", "forecast", target["account_name"], "--category", "at_risk",
            "--note", "予算削減の話あり", "--json",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    changed = json.loads(out.output)
    assert (changed["forecast"], changed["forecast_note"]) == ("at_risk", "予算削減の話あり")
    assert changed["suggested"] is False
    back = cli.invoke(
        cli_app, ["renewals", "forecast", target["account_id"], "--category", "suggested"]
    )
    assert back.exit_code == 0
    assert "(suggested)" in back.output
    wrong = cli.invoke(cli_app, ["renewals", "forecast", "EXT-0", "--category", "maybe"])
    assert wrong.exit_code == 1
    nobody = cli.invoke(cli_app, ["renewals", "forecast", "nobody", "--category", "commit"])
    assert nobody.exit_code == 1


def test_job_schedule_and_demo_loader(cli: CliRunner) -> None:
    entry = next(s for s in DEFAULT_SCHEDULES if s.key == "renewals.sync")
    assert entry.job_name == "renewals.sync"
    assert describe(entry.cadence) == "daily at 04:45"
    _company(30)
    ctx = JobContext(
        database=context.database(),
        settings=Settings(),
        job_id=uuid.uuid4(),
        name="renewals.sync",
        payload={},
        attempt=1,
    )
    outcome = sync_job(ctx)
    assert outcome["created"] > 10

    with context.database().sessions() as session, session.begin():
        demo = load_renewals(session, seed=7, today=TODAY)
        assert demo.settled > 5
        assert demo.forecasts_set == 10
        assert demo.plans == 4
        assert demo.shared_path is not None
        set_by_people = session.scalar(
            select(func.count()).select_from(Renewal).where(Renewal.forecast_set_at.is_not(None))
        )
        assert set_by_people == 10
        plans = list(session.scalars(select(ClosingPlan)))
        assert len(plans) == 4
        assert sum(1 for p in plans if p.share_token_hash) == 1
        for plan in plans:
            steps = session.scalar(
                select(func.count())
                .select_from(ClosingPlanStep)
                .where(ClosingPlanStep.plan_id == plan.id)
            )
            assert 4 <= (steps or 0) <= 7
        outcomes = set(session.scalars(select(Renewal.outcome)))
        assert {o.value for o in outcomes} >= {"renewed", "expanded", "churned", "pending"}
