"""Model quality on the demo company: its generator makes churn depend on behaviour, so a
model trained on the history before a held-out period must rank that period's churners
well above chance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import kizuna.models  # noqa: F401  (registers every table on Base.metadata)
from kizuna.db.base import Base
from kizuna.demo import load_demo
from kizuna.health.churn import service

TODAY = date(2026, 2, 15)


@pytest.fixture
def demo_session(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_demo(session, seed=42, accounts=320, today=TODAY)
        session.flush()
        yield session
    engine.dispose()


def test_demo_backtest_is_well_above_chance(demo_session: Session, tmp_path: Path) -> None:
    result = service.backtest(demo_session, data_dir=tmp_path, zone="Asia/Tokyo", today=TODAY)
    # Measured: held-out AUC 0.823, top-decile lift 4.47 (19 churned accounts held out);
    # the model does not depend on row order, so this is the same on every run.
    assert result["auc"] >= 0.72
    assert result["top_decile_lift"] >= 2.0
    assert result["heldout"]["churned_accounts"] >= 10
    assert result["refusal"] is None
