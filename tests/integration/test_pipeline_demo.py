"""The demo's leads and opportunities (``kizuna.demo.pipeline``) on a small demo company."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import kizuna.models  # noqa: F401 - registers every table on Base.metadata
from kizuna.auth.actor import Actor
from kizuna.db.base import Base
from kizuna.demo import load_demo
from kizuna.demo.pipeline import load_pipeline
from kizuna.models import Lead, Opportunity, OpportunityStageChange, Subscription
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import LeadStatus, OpportunityStage
from kizuna.pipeline import service
from kizuna.pipeline.schemas import LeadFilters

TODAY = date(2026, 2, 18)
NOW = datetime(2026, 2, 18, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_demo(session, seed=5, accounts=40, today=TODAY)
        yield session
    engine.dispose()


def test_leads_and_opportunities_in_every_state(demo: Session) -> None:
    summary = load_pipeline(demo, seed=5, now=NOW)
    demo.flush()
    assert summary.leads >= 25
    leads = demo.scalars(select(Lead)).all()
    statuses = Counter(lead.status for lead in leads)
    assert statuses[LeadStatus.ACCEPTED] > statuses[LeadStatus.REJECTED] > 0
    assert statuses[LeadStatus.PASSED] >= 6
    assert all(lead.reject_reason for lead in leads if lead.status is LeadStatus.REJECTED)
    assert min(lead.passed_at for lead in leads) < datetime(2025, 12, 1, tzinfo=UTC)
    counts = service.count_leads(demo, Actor.system("test"), LeadFilters(), now=NOW)
    assert counts.overdue >= 3
    assert counts.accepted_within_sla_rate is not None
    assert counts.accepted_within_sla_rate > 0.6

    opportunities = demo.scalars(select(Opportunity)).all()
    sources = Counter(o.lead_source for o in opportunities)
    assert sources[LeadSource.CS] == statuses[LeadStatus.ACCEPTED]
    assert sum(n for s, n in sources.items() if s is not LeadSource.CS) == 10
    stages = {o.stage for o in opportunities}
    assert OpportunityStage.WON in stages
    assert len(stages) >= 4
    for o in opportunities:
        if o.lead_source is LeadSource.CS:
            lead = demo.get(Lead, o.lead_id)
            assert lead is not None
            assert o.created_by_id == lead.passed_by_id
            assert lead.opportunity_id == o.id
        history = demo.scalars(
            select(OpportunityStageChange).where(OpportunityStageChange.opportunity_id == o.id)
        ).all()
        assert history[0].from_stage is None
        assert history[-1].to_stage is o.stage
        if o.stage is OpportunityStage.WON:
            line = demo.get(Subscription, o.subscription_id)
            assert line is not None
            assert line.mrr_amount == o.amount
            assert line.start_on == o.close_on
            assert line.end_on is not None
            assert line.end_on > line.start_on
        else:
            assert o.subscription_id is None
    assert summary.lines == sum(o.stage is OpportunityStage.WON for o in opportunities)
    # Loading twice adds nothing.
    assert load_pipeline(demo, seed=5, now=NOW).leads == 0
