"""Tiers, coverage and assignment through the coverage service: first-match tier rules,
pinned tiers, dry runs, the coverage model's defaults, round robin with capacity across
runs, least loaded, re-balancing moves, the rules file (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_team, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import ROLE_PERMISSIONS
from kizuna.coverage import service
from kizuna.coverage.schemas import (
    ApplyIn,
    AssignmentRuleIn,
    MoveIn,
    RebalanceIn,
    TierCoverageIn,
    TierRuleIn,
)
from kizuna.facts.catalogue import load_facts
from kizuna.kit.errors import Forbidden, Invalid
from kizuna.models import Account, AuditEvent, DomainEvent
from kizuna.models.coverage import AssignmentRule, AssignmentStrategy, OwnerField, TouchModel
from kizuna.models.enums import Role, TeamKind, Tier
from kizuna.segment.evaluation import FactSource

TODAY = date(2026, 6, 15)
SYSTEM = Actor.system("test")


def src(session: Session, tmp_path: Path) -> FactSource:
    return FactSource(session, today=TODAY, zone="Asia/Tokyo", data_dir=tmp_path)


def big_mrr(value: int) -> dict[str, object]:
    return {"fact": "signal.mrr", "op": "gte", "value": value}


@pytest.fixture
def book(session: Session) -> dict[str, Account]:
    plan = make_product(session, code="PLAN-COV")
    accounts = {
        "huge": make_account(session, name="A 巨大", tier=Tier.TIER3, region="関東"),
        "big": make_account(session, name="B 大口", tier=Tier.TIER3, region="関西"),
        "small": make_account(session, name="C 小口", tier=Tier.TIER1, region="関東"),
        "pinned": make_account(session, name="D 固定", tier=Tier.TIER3, tier_pinned=True),
    }
    for key, mrr in (("huge", 900_000), ("big", 300_000), ("small", 10_000), ("pinned", 950_000)):
        make_line(session, accounts[key], plan, mrr=mrr, start=date(2025, 1, 1))
    return accounts


def test_first_matching_rule_wins_pinned_stay_and_the_rest_get_tier3(
    session: Session, tmp_path: Path, book: dict[str, Account]
) -> None:
    rules = [
        TierRuleIn(name="超大口", condition=big_mrr(500_000), tier=Tier.TIER1),
        TierRuleIn(name="大口", condition=big_mrr(100_000), tier=Tier.TIER2),
    ]
    service.set_tier_rules(session, SYSTEM, rules, source=src(session, tmp_path))
    dry = service.apply_tier_rules(session, SYSTEM, dry_run=True, source=src(session, tmp_path))
    got = {c.account_name: (c.old, c.new, c.rule) for c in dry.changes}
    assert got == {
        "A 巨大": (Tier.TIER3, Tier.TIER1, "超大口"),  # matches both: the first wins
        "B 大口": (Tier.TIER3, Tier.TIER2, "大口"),
        "C 小口": (Tier.TIER1, Tier.TIER3, None),  # no rule: Tier 3
    }
    assert dry.pinned == 1  # D matches 超大口 but is pinned
    session.expire_all()
    assert book["huge"].tier is Tier.TIER3  # the dry run wrote nothing
    assert session.scalar(select(func.count()).select_from(DomainEvent)) == 0

    real = service.apply_tier_rules(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert len(real.changes) == 3
    session.expire_all()
    tiers = {a.name: a.tier for a in session.scalars(select(Account))}
    assert tiers == {"A 巨大": Tier.TIER1, "B 大口": Tier.TIER2, "C 小口": Tier.TIER3,
                     "D 固定": Tier.TIER3}  # fmt: skip
    field_audits = session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.action == "account.update", AuditEvent.object_id == str(book["big"].id)
        )
    ).all()
    assert field_audits == [{"tier": ["tier3", "tier2"]}]
    kinds = session.scalars(select(DomainEvent.kind)).all()
    assert kinds == ["account.tier_changed"] * 3
    # A second run changes nothing.
    again = service.apply_tier_rules(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert again.changes == []


def test_no_rules_changes_nothing(
    session: Session, tmp_path: Path, book: dict[str, Account]
) -> None:
    run = service.apply_tier_rules(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert (run.rules, run.changes) == (0, [])


def test_rule_conditions_are_validated_with_their_position(
    session: Session, tmp_path: Path
) -> None:
    rules = [
        TierRuleIn(name="ok", condition=big_mrr(1), tier=Tier.TIER1),
        TierRuleIn(name="bad", condition={"fact": "account.nope", "op": "is_set"}, tier=Tier.TIER2),
    ]
    with pytest.raises(Invalid) as caught:
        service.set_tier_rules(session, SYSTEM, rules, source=src(session, tmp_path))
    assert [p.loc for p in caught.value.problems] == [("body", "rules[1].condition.fact")]


def test_editing_rules_needs_coverage_admin(session: Session, tmp_path: Path) -> None:
    csm = make_user(session, Role.CSM)
    actor = Actor(user_id=csm.id, role=csm.role, permissions=ROLE_PERMISSIONS[csm.role])
    with pytest.raises(Forbidden):
        service.set_tier_rules(session, actor, [], source=src(session, tmp_path))
    with pytest.raises(Forbidden):
        service.apply_tier_rules(session, actor, dry_run=True, source=src(session, tmp_path))


def test_coverage_model_defaults_follow_seed_000_and_can_be_changed(session: Session) -> None:
    sales = make_team(session, TeamKind.CUSTOMER_SALES, name="カスタマーセールス")
    marketing = make_team(session, TeamKind.CUSTOMER_MARKETING, name="カスタマーマーケティング")
    model = {c.tier: c for c in service.coverage_model(session, SYSTEM)}
    assert model[Tier.TIER1].touch_model is TouchModel.HIGH_TOUCH
    assert model[Tier.TIER1].team_id == sales.id
    assert model[Tier.TIER2].touch_model is TouchModel.LOW_TOUCH
    assert model[Tier.TIER3].touch_model is TouchModel.TECH_TOUCH
    assert model[Tier.TIER3].team_id == marketing.id
    assert not any(c.stored for c in model.values())
    service.update_coverage_model(
        session,
        SYSTEM,
        [TierCoverageIn(tier=Tier.TIER2, touch_model=TouchModel.HIGH_TOUCH, team_id=sales.id,
                        accounts_per_person=40, cadence_days=21)],
    )  # fmt: skip
    model = {c.tier: c for c in service.coverage_model(session, SYSTEM)}
    assert model[Tier.TIER2].stored
    assert (model[Tier.TIER2].touch_model, model[Tier.TIER2].cadence_days) == (
        TouchModel.HIGH_TOUCH,
        21,
    )


def test_touch_model_and_pin_are_facts(
    session: Session, tmp_path: Path, book: dict[str, Account]
) -> None:
    facts = load_facts(
        session,
        ["account.touch_model", "account.tier_pinned"],
        today=TODAY,
        zone="Asia/Tokyo",
        data_dir=tmp_path,
    )
    small = facts.row_of(str(book["small"].id))
    pinned = facts.row_of(str(book["pinned"].id))
    assert small is not None
    assert pinned is not None
    assert facts.value("account.touch_model", small) == "high_touch"
    assert facts.value("account.touch_model", pinned) == "tech_touch"
    assert (
        facts.value("account.tier_pinned", small),
        facts.value("account.tier_pinned", pinned),
    ) == (0.0, 1.0)


def _round_robin_team(session: Session) -> tuple[object, list[object]]:
    team = make_team(session, TeamKind.CSM, name="RR")
    members = [
        make_user(session, Role.CSM, name="Aoki", team_id=team.id, capacity_accounts=2),
        make_user(session, Role.CSM, name="Baba", team_id=team.id, capacity_accounts=1),
        make_user(session, Role.CSM, name="Chiba", team_id=team.id, capacity_accounts=5),
    ]
    return team, members


def test_round_robin_skips_full_people_and_continues_across_runs(
    session: Session, tmp_path: Path
) -> None:
    team, (aoki, baba, chiba) = _round_robin_team(session)
    first = [make_account(session, name=f"R{n}") for n in range(1, 5)]
    rule = AssignmentRuleIn(
        name="全員", condition={}, owner_field=OwnerField.CSM_OWNER,
        strategy=AssignmentStrategy.ROUND_ROBIN, team_id=team.id,  # type: ignore[attr-defined]
    )  # fmt: skip
    service.set_assignment_rules(session, SYSTEM, [rule], source=src(session, tmp_path))
    dry = service.apply_assignment(session, SYSTEM, dry_run=True, source=src(session, tmp_path))
    owners = [c.new_user_name for c in dry.changes]
    # R1 Aoki, R2 Baba (now full), R3 Chiba, R4 Aoki (full after), in account-id order.
    assert owners == ["Aoki", "Baba", "Chiba", "Aoki"]
    stored = session.scalars(select(AssignmentRule)).one()
    assert stored.last_user_id is None  # a dry run does not move the pointer
    run = service.apply_assignment(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert [c.new_user_name for c in run.changes] == owners
    session.expire_all()
    assert stored.last_user_id == aoki.id  # type: ignore[attr-defined]
    assert {a.csm_owner_id for a in first} == {aoki.id, baba.id, chiba.id}  # type: ignore[attr-defined]

    # The next run continues after Aoki: Baba and Aoki are full, so Chiba takes both.
    later = [make_account(session, name=f"S{n}") for n in range(1, 3)]
    run2 = service.apply_assignment(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert [c.new_user_name for c in run2.changes] == ["Chiba", "Chiba"]
    assert {a.id for a in later} == {c.account_id for c in run2.changes}
    # Everybody full: the next account is reported, not forced on someone.
    for n in range(3):
        make_account(session, name=f"T{n}")
    run3 = service.apply_assignment(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert [c.new_user_name for c in run3.changes] == ["Chiba", "Chiba"]  # up to 5
    assert [u.reason for u in run3.unassigned] == ["no_room"]


def test_least_loaded_fixed_user_and_reassign(session: Session, tmp_path: Path) -> None:
    team = make_team(session, TeamKind.CUSTOMER_SALES, name="CS")
    busy = make_user(session, Role.CUSTOMER_SALES, name="Busy", team_id=team.id)
    idle = make_user(session, Role.CUSTOMER_SALES, name="Idle", team_id=team.id)
    boss = make_user(session, Role.MANAGER, name="Boss")
    outsider = make_user(session, Role.CUSTOMER_SALES, name="Outsider")
    make_account(session, name="held1", sales_owner_id=busy.id)
    make_account(session, name="held2", sales_owner_id=busy.id)
    vip = make_account(session, name="VIP", region="本社")
    stray = make_account(session, name="stray", sales_owner_id=outsider.id)
    rules = [
        AssignmentRuleIn(name="本社はボス", condition={"fact": "account.region", "op": "eq",
                         "value": "本社"}, owner_field=OwnerField.SALES_OWNER,
                         strategy=AssignmentStrategy.FIXED_USER, user_id=boss.id),
        AssignmentRuleIn(name="残りはチーム", condition={}, owner_field=OwnerField.SALES_OWNER,
                         strategy=AssignmentStrategy.LEAST_LOADED, team_id=team.id),
    ]  # fmt: skip
    service.set_assignment_rules(session, SYSTEM, rules, source=src(session, tmp_path))
    run = service.apply_assignment(session, SYSTEM, dry_run=True, source=src(session, tmp_path))
    assert {c.account_name: c.new_user_name for c in run.changes} == {"VIP": "Boss"}
    # With reassign, the outsider's account goes to the least loaded member; the team's own
    # accounts stay where they are.
    rules[1] = rules[1].model_copy(update={"reassign": True})
    service.set_assignment_rules(session, SYSTEM, rules, source=src(session, tmp_path))
    run = service.apply_assignment(session, SYSTEM, dry_run=False, source=src(session, tmp_path))
    assert {c.account_name: c.new_user_name for c in run.changes} == {
        "VIP": "Boss",
        "stray": "Idle",
    }
    session.expire_all()
    assert (vip.sales_owner_id, stray.sales_owner_id) == (boss.id, idle.id)


def test_assignment_targets_are_checked(session: Session, tmp_path: Path) -> None:
    rules = [
        AssignmentRuleIn(name="x", owner_field=OwnerField.CSM_OWNER,
                         strategy=AssignmentStrategy.ROUND_ROBIN),
        AssignmentRuleIn(name="y", owner_field=OwnerField.CSM_OWNER,
                         strategy=AssignmentStrategy.FIXED_USER),
    ]  # fmt: skip
    with pytest.raises(Invalid) as caught:
        service.set_assignment_rules(session, SYSTEM, rules, source=src(session, tmp_path))
    assert [p.loc for p in caught.value.problems] == [
        ("body", "rules", 0, "team_id"),
        ("body", "rules", 1, "user_id"),
    ]


def test_apply_runs_assignment_on_the_new_tiers_even_in_a_dry_run(
    session: Session, tmp_path: Path, book: dict[str, Account]
) -> None:
    boss = make_user(session, Role.MANAGER, name="Boss")
    service.set_tier_rules(
        session, SYSTEM, [TierRuleIn(name="大", condition=big_mrr(500_000), tier=Tier.TIER1)],
        source=src(session, tmp_path),
    )  # fmt: skip
    service.set_assignment_rules(
        session,
        SYSTEM,
        [AssignmentRuleIn(name="T1", condition={"fact": "account.tier", "op": "eq",
                          "value": "tier1"}, owner_field=OwnerField.AE_OWNER,
                          strategy=AssignmentStrategy.FIXED_USER, user_id=boss.id)],
        source=src(session, tmp_path),
    )  # fmt: skip
    out = service.apply(session, SYSTEM, ApplyIn(dry_run=True), source=src(session, tmp_path))
    assert out.assignment is not None
    # "huge" becomes Tier 1 in this run; "small" stops being Tier 1; "pinned" stays Tier 3.
    assert [c.account_name for c in out.assignment.changes] == ["A 巨大"]


def test_rebalance_moves_and_stale_owners(session: Session, tmp_path: Path) -> None:
    team = make_team(session, TeamKind.CSM, name="CSM")
    full = make_user(session, Role.CSM, name="Full", team_id=team.id, capacity_accounts=2)
    free = make_user(session, Role.CSM, name="Free", team_id=team.id, capacity_accounts=5)
    owned = [make_account(session, name=f"F{n}", tier=t, csm_owner_id=full.id)
             for n, t in enumerate([Tier.TIER1, Tier.TIER3, Tier.TIER2, Tier.TIER3])]  # fmt: skip
    out = service.books_of_business(
        session, SYSTEM, field=OwnerField.CSM_OWNER, source=src(session, tmp_path)
    )
    by_name = {b.name: b for b in out.books}
    assert by_name["Full"].over_capacity
    assert by_name["Full"].utilisation == 2.0
    assert [(m.account_name, m.to_user_name) for m in out.moves] == [("F1", "Free"), ("F3", "Free")]
    moves = [MoveIn(account_id=m.account_id, from_user_id=m.from_user_id, to_user_id=m.to_user_id)
             for m in out.moves]  # fmt: skip
    owned[3].csm_owner_id = free.id  # someone moved F3 meanwhile
    session.flush()
    result = service.apply_moves(session, SYSTEM, RebalanceIn(moves=moves))
    assert (result.moved, result.stale) == (1, [owned[3].id])
    session.expire_all()
    assert owned[1].csm_owner_id == free.id
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "coverage.rebalance")
        )
        == 1
    )


def test_rules_file_round_trip(session: Session, tmp_path: Path) -> None:
    team = make_team(session, TeamKind.CSM, name="エンタープライズ")
    make_user(session, Role.CSM, email="lead@example.test", team_id=team.id)
    service.set_tier_rules(
        session, SYSTEM, [TierRuleIn(name="大", condition=big_mrr(1), tier=Tier.TIER1)],
        source=src(session, tmp_path),
    )  # fmt: skip
    service.set_assignment_rules(
        session, SYSTEM,
        [AssignmentRuleIn(name="RR", owner_field=OwnerField.CSM_OWNER,
                          strategy=AssignmentStrategy.ROUND_ROBIN, team_id=team.id)],
        source=src(session, tmp_path),
    )  # fmt: skip
    exported = service.export_rules(session, SYSTEM)
    assert exported.assignment_rules[0].team == "エンタープライズ"
    service.set_tier_rules(session, SYSTEM, [], source=src(session, tmp_path))
    service.set_assignment_rules(session, SYSTEM, [], source=src(session, tmp_path))
    again = service.import_rules(session, SYSTEM, exported, source=src(session, tmp_path))
    assert again == exported
    broken = exported.model_copy(deep=True)
    broken.assignment_rules[0].team = "消えたチーム"
    with pytest.raises(Invalid) as caught:
        service.import_rules(session, SYSTEM, broken, source=src(session, tmp_path))
    assert caught.value.problems[0].code == "unknown_team"


def test_pinning_a_tier_is_audited(session: Session, book: dict[str, Account]) -> None:
    account = service.pin_tier(session, SYSTEM, book["big"].id, pinned=True, tier=Tier.TIER1)
    assert (account.tier, account.tier_pinned) == (Tier.TIER1, True)
    changes = session.scalars(
        select(AuditEvent.changes).where(AuditEvent.object_id == str(book["big"].id))
    ).all()
    assert {"tier": ["tier3", "tier1"], "tier_pinned": [False, True]} in changes
