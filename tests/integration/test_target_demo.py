"""The demo targets: four fiscal quarters × (cs created / won / leads, marketing created)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from factories import make_team, make_user
from kizuna.auth.actor import Actor
from kizuna.demo.targets import load_targets
from kizuna.models.enums import LeadSource, Role, TeamKind
from kizuna.models.target import TargetMetric
from kizuna.target import service


def test_demo_targets(session: Session) -> None:
    sales = make_team(session, TeamKind.CUSTOMER_SALES, name="カスタマーセールス")
    csm = make_team(session, TeamKind.CSM, name="カスタマーサクセス")
    for i in range(3):
        make_user(session, Role.CUSTOMER_SALES, team_id=sales.id, email=f"s{i}@demo.test")
    for i in range(4):
        make_user(session, Role.CSM, team_id=csm.id, email=f"c{i}@demo.test")
    summary = load_targets(session, 42, today=date(2026, 11, 15))
    assert (summary.targets, summary.fiscal_year) == (16, "2026-FY")
    targets = service.list_targets(session, Actor.system("test"))
    assert sorted({t.period for t in targets}) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    cs = next(
        t
        for t in targets
        if (t.period, t.lead_source, t.metric)
        == ("2026-Q3", LeadSource.CS, TargetMetric.CREATED_AMOUNT)
    )
    assert {t.name for t in cs.teams} == {"カスタマーセールス", "カスタマーサクセス"}
    assert cs.remainder == 0
    assert sum(m.value for t in cs.teams for m in t.members) == cs.value
    weights = sorted(m.weight for t in cs.teams if t.team_id == csm.id for m in t.members)
    assert [str(w) for w in weights] == ["0.5000", "1.0000", "1.0000", "1.0000"]  # one half time
    assert load_targets(session, 42, today=date(2026, 11, 15)).targets == 0  # idempotent
