"""Targets: create, split to teams and people, re-split, attainment (hand-computed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_team, make_user, utc
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import role_permissions
from kizuna.kit.errors import Conflict, Forbidden, Invalid, NotFound
from kizuna.models import AuditEvent, CurrencyRate, Lead, Opportunity, Team, User
from kizuna.models.enums import LeadSource, Role, TeamKind
from kizuna.models.pipeline import LeadStatus, OpportunityStage
from kizuna.models.target import SplitMode, TargetMetric
from kizuna.revenue.errors import MissingRate
from kizuna.target import service
from kizuna.target.schemas import (
    MemberShareIn,
    SettingsUpdate,
    SplitIn,
    TargetCreate,
    TargetUpdate,
    TeamShareIn,
)

ZONE = "Asia/Tokyo"
ADMIN = Actor.system("test")
TODAY = date(2026, 11, 15)  # 46 of the 92 days of 2026-Q3 (Oct–Dec with an April start)


def _actor(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        role=user.role,
        permissions=role_permissions(user.role),
        team_id=user.team_id,
        name=user.name,
    )


@dataclass
class Company:
    a: Team
    b: Team
    other: Team
    a1: User
    a2: User
    b1: User
    b2: User
    b3: User
    outsider: User


def _company(session: Session) -> Company:
    a = make_team(session, TeamKind.CUSTOMER_SALES, name="A カスタマーセールス")
    b = make_team(session, TeamKind.CSM, name="B カスタマーサクセス")
    other = make_team(session, TeamKind.SALES, name="C フィールドセールス")
    return Company(
        a=a,
        b=b,
        other=other,
        a1=make_user(session, Role.CUSTOMER_SALES, name="A1", team_id=a.id),
        a2=make_user(session, Role.CUSTOMER_SALES, name="A2", team_id=a.id),
        b1=make_user(session, Role.CSM, name="B1", team_id=b.id),
        b2=make_user(session, Role.CSM, name="B2", team_id=b.id),
        b3=make_user(session, Role.CSM, name="B3", team_id=b.id),
        outsider=make_user(session, Role.SALES, name="Z outsider", team_id=other.id),
    )


def _opp(session: Session, by: User | None, amount: int, created: datetime, **fields: Any) -> None:
    account = fields.pop("account", None) or make_account(session)
    session.add(
        Opportunity(
            account_id=account.id,
            name="deal",
            amount=amount,
            close_on=date(2026, 12, 31),
            lead_source=fields.pop("lead_source", LeadSource.CS),
            created_by_id=by.id if by else None,
            created_at=created,
            **fields,
        )
    )
    session.flush()


def _lead(session: Session, by: User, passed: datetime, **fields: Any) -> None:
    account = make_account(session)
    session.add(
        Lead(
            account_id=account.id,
            amount=1000,
            passed_by_id=by.id,
            passed_at=passed,
            sla_due_at=passed,
            **fields,
        )
    )
    session.flush()


def _create(session: Session, **fields: Any) -> Any:
    data = TargetCreate.model_validate({"period": "2026-Q3", "value": 1_000_000, **fields})
    return service.create_target(session, ADMIN, data, reporting="JPY", today=TODAY)


def _values(out: Any) -> dict[str, Any]:
    return {t.name: (t.value, {m.name: m.value for m in t.members}, t.remainder) for t in out.teams}


# ------------------------------------------------------------------------- the split


def test_headcount_split_with_fte_and_the_tie_rule(session: Session) -> None:
    c = _company(session)
    target = _create(session, team_split="headcount")
    out = service.set_split(
        session,
        ADMIN,
        target.id,
        SplitIn(
            teams=[
                TeamShareIn(team_id=c.a.id),
                TeamShareIn(
                    team_id=c.b.id,
                    member_split=SplitMode.WEIGHTED,
                    members=[MemberShareIn(user_id=c.b2.id, weight=Decimal("0.5"))],
                ),
            ]
        ),
    )
    # Headcount A = 2, B = 1 + 0.5 + 1 = 2.5: quotas 444,444.44 and 555,555.56 → B gets
    # the left-over yen. B's members 1 : 0.5 : 1 of 555,556 = 222,222.4 / 111,111.2 /
    # 222,222.4: B1 and B3 tie on .4 and B1 (first by name) gets the yen.
    assert _values(out) == {
        "A カスタマーセールス": (444_444, {"A1": 222_222, "A2": 222_222}, 0),
        "B カスタマーサクセス": (555_556, {"B1": 222_223, "B2": 111_111, "B3": 222_222}, 0),
    }
    assert out.remainder == 0
    assert [t.effective_weight for t in out.teams] == [Decimal(2), Decimal("2.5")]
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "target.split")).one()
    assert audit.object_id == str(target.id)


def test_even_split_and_overrides_with_remainder(session: Session) -> None:
    c = _company(session)
    target = _create(session, value=1_000_001)
    teams = [TeamShareIn(team_id=c.a.id), TeamShareIn(team_id=c.b.id)]
    out = service.set_split(session, ADMIN, target.id, SplitIn(teams=teams))
    assert [t.value for t in out.teams] == [500_001, 500_000]  # the tie goes to A (first)
    assert _values(out)["B カスタマーサクセス"][1] == {"B1": 166_667, "B2": 166_667, "B3": 166_666}

    teams[0] = TeamShareIn(team_id=c.a.id, override=700_000)
    out = service.set_split(session, ADMIN, target.id, SplitIn(teams=teams))
    assert [t.value for t in out.teams] == [700_000, 300_001]
    assert out.remainder == 0

    teams[0] = TeamShareIn(team_id=c.a.id, override=1_200_000)
    out = service.set_split(session, ADMIN, target.id, SplitIn(teams=teams))
    assert [t.value for t in out.teams] == [1_200_000, 0]
    assert out.remainder == -199_999  # over-allocated: shown, not hidden

    # A member override inside a team, the rest of the team shares what is left.
    teams = [TeamShareIn(team_id=c.b.id, members=[MemberShareIn(user_id=c.b3.id, override=1)])]
    out = service.set_split(session, ADMIN, target.id, SplitIn(teams=teams))
    assert _values(out) == {
        "B カスタマーサクセス": (1_000_001, {"B1": 500_000, "B2": 500_000, "B3": 1}, 0)
    }


def test_weighted_teams_and_resplit_keeps_manual_weights(session: Session) -> None:
    c = _company(session)
    target = _create(session, value=900, team_split="weighted")
    split = SplitIn(
        teams=[
            TeamShareIn(team_id=c.a.id, weight=Decimal(1)),
            TeamShareIn(
                team_id=c.b.id,
                weight=Decimal(2),
                member_split=SplitMode.WEIGHTED,
                members=[MemberShareIn(user_id=c.b2.id, weight=Decimal("0.5"))],
            ),
        ]
    )
    out = service.set_split(session, ADMIN, target.id, split)
    assert [t.value for t in out.teams] == [300, 600]
    assert _values(out)["B カスタマーサクセス"][1] == {"B1": 240, "B2": 120, "B3": 240}

    # The value changes: weights stay, parts follow.
    out = service.update_target(session, ADMIN, target.id, TargetUpdate(value=1800))
    assert [t.value for t in out.teams] == [600, 1200]
    assert _values(out)["B カスタマーサクセス"][1] == {"B1": 480, "B2": 240, "B3": 480}

    # B4 joins team B, B1 leaves for the other team: re-split syncs the people and keeps
    # B2's manual 0.5.
    b4 = make_user(session, Role.CSM, name="B4", team_id=c.b.id)
    c.b1.team_id = c.other.id
    session.flush()
    out = service.resplit(session, ADMIN, target.id)
    b = next(t for t in out.teams if t.team_id == c.b.id)
    assert {m.name: (m.weight, m.weight_manual) for m in b.members} == {
        "B2": (Decimal("0.5"), True),
        "B3": (Decimal(1), False),
        "B4": (Decimal(1), False),
    }
    assert {m.name: m.value for m in b.members} == {"B2": 240, "B3": 480, "B4": 480}
    assert b4.id in {m.user_id for m in b.members}

    # Moving a person between two teams of the split reuses their row (unique per target).
    c.a2.team_id = c.b.id
    session.flush()
    out = service.resplit(session, ADMIN, target.id)
    assert {m.name for t in out.teams for m in t.members} == {"A1", "A2", "B2", "B3", "B4"}
    assert sum(m.value for t in out.teams for m in t.members) == 1800


def test_inactive_people_are_left_out(session: Session) -> None:
    c = _company(session)
    c.b3.is_active = False
    session.flush()
    target = _create(session, value=10)
    out = service.set_split(session, ADMIN, target.id, SplitIn(teams=[TeamShareIn(team_id=c.b.id)]))
    assert _values(out) == {"B カスタマーサクセス": (10, {"B1": 5, "B2": 5}, 0)}


def test_split_refuses_bad_input_naming_each_field(session: Session) -> None:
    c = _company(session)
    target = _create(session)
    with pytest.raises(Invalid) as caught:
        service.set_split(
            session,
            ADMIN,
            target.id,
            SplitIn(
                teams=[
                    TeamShareIn(team_id=uuid.uuid4()),
                    TeamShareIn(
                        team_id=c.a.id,
                        member_split=SplitMode.HEADCOUNT,
                        members=[MemberShareIn(user_id=c.b1.id)],
                    ),
                    TeamShareIn(team_id=c.a.id),
                ]
            ),
        )
    assert {(p.loc, p.code) for p in caught.value.problems} == {
        (("body", "teams", 0, "team_id"), "unknown_team"),
        (("body", "teams", 1, "member_split"), "invalid_choice"),
        (("body", "teams", 1, "members", 0, "user_id"), "not_member"),
        (("body", "teams", 2, "team_id"), "duplicate"),
    }


# ------------------------------------------------------------------------- create / rules


def test_create_rules(session: Session) -> None:
    _create(session)
    with pytest.raises(Conflict):
        _create(session, value=5)
    # Another metric or source for the same period is fine.
    _create(session, metric="won_amount")
    _create(session, lead_source="marketing")
    with pytest.raises(Invalid) as caught:
        _create(session, metric="lead_count", lead_source="sales", value=10)
    assert caught.value.problems[0].loc == ("body", "lead_source")
    with pytest.raises(Invalid) as caught:
        _create(session, metric="lead_count", value=10, currency="JPY")
    assert caught.value.problems[0].loc == ("body", "currency")
    with pytest.raises(Invalid) as caught:
        _create(session, lead_source="partner", currency="USD")
    assert caught.value.problems[0].code == "currency"
    with pytest.raises(Invalid) as caught:
        _create(session, lead_source="partner", period="2026-Q9")
    assert caught.value.problems[0].loc == ("body", "period")
    with pytest.raises(Invalid):
        _create(session, lead_source="partner", period="2026-04-01..2026-04-30")
    leads = _create(session, metric="lead_count", value=30)
    assert leads.currency is None
    assert leads.period == "2026-Q3"


def test_fiscal_setting_moves_new_periods_only(session: Session) -> None:
    target = _create(session)
    assert (target.starts_on, target.ends_on) == (date(2026, 10, 1), date(2026, 12, 31))
    service.update_settings(session, ADMIN, SettingsUpdate(fiscal_year_start_month=1))
    moved = _create(session, lead_source="marketing")
    assert (moved.starts_on, moved.ends_on) == (date(2026, 7, 1), date(2026, 9, 30))
    # The April-made target keeps its dates; its label follows the calendar year now.
    assert service.get_target(session, ADMIN, target.id).period == "2026-Q4"
    assert [s.key for s in service.target_periods(session, ADMIN)] == ["2026-Q4", "2026-Q3"]


def test_permissions_and_delete(session: Session) -> None:
    c = _company(session)
    csm, manager = _actor(c.b1), _actor(make_user(session, Role.MANAGER))
    target = _create(session)
    assert service.get_target(session, csm, target.id).value == 1_000_000
    with pytest.raises(Forbidden):
        service.update_target(session, csm, target.id, TargetUpdate(value=1))
    with pytest.raises(Forbidden):
        service.update_settings(session, csm, SettingsUpdate(fiscal_year_start_month=1))
    service.set_split(session, manager, target.id, SplitIn(teams=[TeamShareIn(team_id=c.a.id)]))
    service.delete_target(session, manager, target.id)
    with pytest.raises(NotFound):
        service.get_target(session, csm, target.id)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(target.id))
    ).all()
    assert sorted(actions) == ["target.create", "target.delete", "target.split"]


# ------------------------------------------------------------------------- attainment


def _activity(session: Session, c: Company) -> None:
    """Hand-made facts of 2026-Q3 (Oct 1 – Dec 31 2026, JST)."""
    won = {"stage": OpportunityStage.WON}
    _opp(session, c.a1, 300_000, utc(2026, 10, 5), won_at=utc(2026, 11, 1), **won)
    _opp(session, c.b1, 200_000, utc(2026, 9, 30, 15, 30))  # Oct 1 00:30 JST: in
    # Created Sep 30 23:30 JST (out), won Oct 10 (in): won counts, created does not.
    _opp(session, c.b1, 999_000, utc(2026, 9, 30, 14, 30), won_at=utc(2026, 10, 10), **won)
    _opp(session, c.a2, 500_000, utc(2026, 10, 6), lead_source=LeadSource.MARKETING)
    _opp(session, c.outsider, 100_000, utc(2026, 10, 7))  # not in the split
    _opp(session, None, 50_000, utc(2026, 10, 8))  # nobody credited
    _opp(session, c.a2, 70_000, utc(2026, 12, 31, 15))  # Jan 1 JST: out
    _opp(session, c.a2, 80_000, utc(2026, 10, 9), stage=OpportunityStage.LOST)  # created: in
    _lead(session, c.b1, utc(2026, 10, 2))
    _lead(session, c.b1, utc(2026, 10, 3), status=LeadStatus.WITHDRAWN)
    _lead(session, c.b2, utc(2026, 12, 31, 14, 59))  # Dec 31 23:59 JST: in
    _lead(session, c.b3, utc(2026, 12, 31, 15))  # Jan 1 JST: out


def test_attainment_per_level(session: Session) -> None:
    c = _company(session)
    _activity(session, c)
    target = _create(session)
    service.set_split(
        session,
        ADMIN,
        target.id,
        SplitIn(teams=[TeamShareIn(team_id=c.a.id), TeamShareIn(team_id=c.b.id)]),
    )
    period = service.resolve_period(session, "2026-Q3", today=TODAY)
    report = service.attainment(session, ADMIN, period, zone=ZONE, reporting="JPY", today=TODAY)
    assert report.elapsed == Decimal("0.5")
    assert report.period == "2026-Q3"
    (t,) = report.targets
    assert t.secondary_metric is TargetMetric.WON_AMOUNT
    # Company: created 300k + 200k + 100k + 50k + 80k (lost still counts as created).
    assert (t.company.target, t.company.actual, t.company.secondary) == (
        1_000_000,
        730_000,
        1_299_000,
    )
    assert t.company.percent == Decimal("0.73")
    assert (t.company.expected, t.company.pace) == (500_000, Decimal("1.46"))
    assert t.company.measures.lead_count == 3  # withdrawn included, out-of-period not
    teams = {x.name: (x.target, x.actual, x.secondary, x.measures.lead_count) for x in t.teams}
    assert teams == {
        "A カスタマーセールス": (500_000, 380_000, 300_000, 0),
        "B カスタマーサクセス": (500_000, 200_000, 999_000, 3),
        "C フィールドセールス": (None, 100_000, 0, 0),
    }
    people = {x.name: (x.target, x.actual, x.secondary) for x in t.people}
    assert people == {
        "A1": (250_000, 300_000, 300_000),
        "A2": (250_000, 80_000, 0),
        "B1": (166_667, 200_000, 999_000),
        "B2": (166_667, 0, 0),
        "B3": (166_666, 0, 0),
        "Z outsider": (None, 100_000, 0),
        "": (None, 50_000, 0),
    }
    a1 = next(x for x in t.people if x.name == "A1")
    assert a1.percent == Decimal("1.2")
    assert a1.pace == Decimal("2.4")


def test_attainment_of_won_and_lead_count_targets(session: Session) -> None:
    c = _company(session)
    _activity(session, c)
    _create(session, metric="won_amount", value=2_000_000)
    _create(session, metric="lead_count", value=12)
    _create(session, lead_source="marketing", value=1_000_000)
    period = service.resolve_period(session, "this-quarter", today=TODAY)
    report = service.attainment(session, ADMIN, period, zone=ZONE, reporting="JPY", today=TODAY)
    by = {(x.target.lead_source, x.target.metric): x for x in report.targets}
    won = by[(LeadSource.CS, TargetMetric.WON_AMOUNT)]
    assert (won.company.actual, won.company.secondary) == (1_299_000, 730_000)
    assert won.company.percent == Decimal("0.6495")
    leads = by[(LeadSource.CS, TargetMetric.LEAD_COUNT)]
    assert (leads.company.actual, leads.company.percent) == (3, Decimal("0.25"))
    assert (leads.company.expected, leads.company.pace) == (6, Decimal("0.5"))
    marketing = by[(LeadSource.MARKETING, TargetMetric.CREATED_AMOUNT)]
    assert marketing.company.actual == 500_000
    assert marketing.company.measures.lead_count == 0
    only_cs = service.attainment(
        session,
        ADMIN,
        period,
        zone=ZONE,
        reporting="JPY",
        today=TODAY,
        lead_source=LeadSource.MARKETING,
    )
    assert len(only_cs.targets) == 1
    # Before the period starts nothing is expected yet: no pace.
    early = service.attainment(
        session, ADMIN, period, zone=ZONE, reporting="JPY", today=date(2026, 9, 1)
    )
    assert early.targets[0].company.expected == 0
    assert early.targets[0].company.pace is None


def test_foreign_amounts_are_converted_with_the_rate_of_the_day(session: Session) -> None:
    c = _company(session)
    _create(session)
    _opp(session, c.a1, 10_050, utc(2026, 10, 5), currency="USD")  # $100.50
    period = service.resolve_period(session, "2026-Q3", today=TODAY)
    with pytest.raises(MissingRate):
        service.attainment(session, ADMIN, period, zone=ZONE, reporting="JPY", today=TODAY)
    session.add(CurrencyRate(currency="USD", rate=Decimal("150.25"), valid_from=date(2026, 1, 1)))
    session.flush()
    report = service.attainment(session, ADMIN, period, zone=ZONE, reporting="JPY", today=TODAY)
    assert report.targets[0].company.actual == 15_100  # 100.50 × 150.25 = 15,100.125
