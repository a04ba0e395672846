"""The success journey through its services (SQLite and PostgreSQL): the default journey the
migration seeds, criteria evaluation with missing data, sticky completion, entering and
advancing (several phases at once), phase history with durations and overdue, manual
checks and moves with their audit, the facts it exposes, board and stalled lists."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_contact, make_line, make_product, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import ROLE_PERMISSIONS
from kizuna.facts.catalogue import fact_specs, load_facts
from kizuna.journey import definition, service, views
from kizuna.journey.schemas import StepCreate, StepUpdate
from kizuna.kit.clock import today as local_today
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, Forbidden, Invalid, NotFound
from kizuna.models import (
    Account,
    AccountJourneyStep,
    AuditEvent,
    DomainEvent,
    JourneyPhaseHistory,
    JourneyStep,
)
from kizuna.models.enums import ContactRole, Phase, Role
from kizuna.models.segment import AccountTag
from kizuna.models.user import User

ZONE = "Asia/Tokyo"
SYSTEM = Actor.system("test")

# A small journey whose criteria read facts the tests set directly (tags, employees).
TEST_JOURNEY = {
    "phases": [
        {
            "phase": "onboarding",
            "name": "導入期",
            "name_en": "Onboarding",
            "target_days": 30,
            "steps": [
                {
                    "key": "setup",
                    "name": "初期設定",
                    "criteria": {"all": [{"fact": "tags", "op": "has", "value": "setup"}]},
                },
                {
                    "key": "training",
                    "name": "トレーニング",
                    "manual": False,
                    "criteria": {"all": [{"fact": "tags", "op": "has", "value": "trained"}]},
                },
                {"key": "kickoff", "name": "キックオフ", "required": False},
            ],
        },
        {
            "phase": "adoption",
            "name": "定着期",
            "target_days": 60,
            "steps": [
                {
                    "key": "habit",
                    "name": "習慣化",
                    "criteria": {
                        "any": [
                            {"fact": "account.employee_count", "op": "gte", "value": 100},
                            {"fact": "tags", "op": "has", "value": "habit"},
                        ]
                    },
                }
            ],
        },
        {
            "phase": "expansion",
            "name": "拡大・更新期",
            "target_days": 365,
            "steps": [{"key": "renewal", "name": "契約更新"}],
        },
    ]
}


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, role=user.role, permissions=ROLE_PERMISSIONS[user.role], name=user.name
    )


@pytest.fixture
def journey(session: Session) -> None:
    definition.import_yaml(session, SYSTEM, yaml.safe_dump(TEST_JOURNEY, allow_unicode=True))


def tag(session: Session, account: Account, *names: str) -> None:
    for name in names:
        session.add(AccountTag(account_id=account.id, tag=name))
    session.flush()


def paying(session: Session, **fields: object) -> Account:
    account = make_account(session, **fields)
    make_line(session, account, make_product(session), mrr=10_000, start=date(2025, 1, 1))
    return account


def evaluate(session: Session, tmp_path: Path, **kw: object) -> service.EvaluationResult:
    return service.evaluate_journey(
        session, SYSTEM, today=local_today(ZONE), zone=ZONE, data_dir=tmp_path, **kw
    )


def state(session: Session, account: Account, key: str) -> AccountJourneyStep | None:
    return session.scalar(
        select(AccountJourneyStep)
        .join(JourneyStep, JourneyStep.id == AccountJourneyStep.step_id)
        .where(AccountJourneyStep.account_id == account.id, JourneyStep.key == key)
    )


def history(session: Session, account: Account) -> list[JourneyPhaseHistory]:
    return list(
        session.scalars(
            select(JourneyPhaseHistory)
            .where(JourneyPhaseHistory.account_id == account.id)
            .order_by(JourneyPhaseHistory.entered_at, JourneyPhaseHistory.exited_at.is_(None))
        )
    )


# -- the default journey -------------------------------------------------------------------


def test_the_migration_seeds_the_default_journey_of_seed_001(session: Session) -> None:
    journey = definition.get_journey(session, SYSTEM)
    assert [p.phase for p in journey.phases] == list(Phase)
    assert [p.name for p in journey.phases] == ["導入期", "定着期", "拡大・更新期"]
    assert [[s.name for s in p.steps] for p in journey.phases] == [
        ["初期設定", "基礎理解", "操作習得"],
        ["運用習慣化", "活用習熟", "利用者浸透"],
        ["成果実感", "契約更新", "利用拡大"],
    ]
    assert all(p.target_days > 0 for p in journey.phases)
    # every default criterion parses against facts that always exist (no usage metrics)
    specs = definition.criteria_specs(session)
    for phase in journey.phases:
        for step in phase.steps:
            assert step.criteria is not None
            assert step.manual
            definition.parse_criteria(step.criteria, specs)
            assert "usage:" not in str(step.criteria)


def test_the_default_journey_evaluates_on_real_data(session: Session, tmp_path: Path) -> None:
    account = paying(session, name="既定ジャーニー")
    make_contact(session, account, roles=[ContactRole.ADMIN])
    result = evaluate(session, tmp_path, account_ids=[account.id])
    assert result.entered == 1
    assert result.skipped_steps == []
    session.refresh(account)
    assert account.phase is Phase.ONBOARDING
    # an admin alone is not 40% of onboarding: nothing is complete yet
    assert state(session, account, "initial_setup") is None


# -- criteria and completion ---------------------------------------------------------------


def test_criteria_complete_steps_with_their_evidence_and_missing_data_fails(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session, name="A")
    b = paying(session, name="B", employee_count=None)
    tag(session, a, "setup")
    result = evaluate(session, tmp_path)
    assert result.entered == 2
    assert result.steps_completed == 1
    done = state(session, a, "setup")
    assert done is not None
    assert done.done
    assert done.completed_by_system == "journey"
    assert done.evidence == {
        "checks": [
            {
                "fact": "tags",
                "op": "has",
                "value": "setup",
                "actual": ["setup"],
                "passed": True,
                "negated": False,
            }
        ]
    }
    assert state(session, b, "setup") is None
    # b has no employee count: "employees ≥ 100" is false, not an error; its tag completes it
    tag(session, b, "habit")
    evaluate(session, tmp_path)
    habit = state(session, b, "habit")
    assert habit is not None
    assert habit.done
    checks = habit.evidence["checks"]
    assert checks[0] == {
        "fact": "account.employee_count", "op": "gte", "value": 100.0, "actual": None,
        "passed": False, "negated": False,
    }  # fmt: skip
    assert checks[1]["passed"] is True


def test_completion_is_sticky_when_the_data_changes(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    tag(session, a, "setup")
    evaluate(session, tmp_path)
    first = state(session, a, "setup")
    assert first is not None
    assert first.done
    completed_at = first.completed_at
    session.query(AccountTag).filter_by(account_id=a.id).delete()
    result = evaluate(session, tmp_path)
    assert result.steps_completed == 0
    again = state(session, a, "setup")
    assert again is not None
    assert again.done
    assert again.completed_at == completed_at


def test_no_active_line_no_journey(session: Session, tmp_path: Path, journey: None) -> None:
    lapsed = make_account(session, name="解約済み")
    make_line(
        session, lapsed, make_product(session), mrr=1, start=date(2020, 1, 1), end=date(2021, 1, 1)
    )
    tag(session, lapsed, "setup")
    result = evaluate(session, tmp_path, account_ids=[lapsed.id])
    session.refresh(lapsed)
    assert result.entered == 0
    assert lapsed.phase is None
    assert state(session, lapsed, "setup") is None  # steps count for journey members only


def test_advancing_through_several_phases_in_one_evaluation(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session, employee_count=500)
    tag(session, a, "setup", "trained")
    result = evaluate(session, tmp_path)
    session.refresh(a)
    # onboarding's required steps pass, adoption's too (500 employees): straight to expansion
    assert a.phase is Phase.EXPANSION
    assert result.entered == 1
    assert result.phases_advanced == 2
    assert result.accounts_advanced == 1
    rows = history(session, a)
    assert [r.phase for r in rows] == ["onboarding", "adoption", "expansion"]
    assert [r.exited_at is None for r in rows] == [False, False, True]
    assert {r.moved_by_system for r in rows} == {"journey"}
    assert rows[0].reason == service.REASON_ENTERED
    assert rows[2].reason == service.REASON_ADVANCED
    events = session.scalars(
        select(DomainEvent)
        .where(DomainEvent.account_id == a.id)
        .order_by(DomainEvent.occurred_at, DomainEvent.id)
    ).all()
    assert [(e.kind, e.payload["from"], e.payload["to"]) for e in events] == [
        (service.PHASE_CHANGED, None, "onboarding"),
        (service.PHASE_CHANGED, "onboarding", "adoption"),
        (service.PHASE_CHANGED, "adoption", "expansion"),
    ]
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_id == str(a.id), AuditEvent.action == "journey.move"
        )
    ).all()
    assert [e.changes for e in audit] == [{"phase": [None, "expansion"]}]


def test_an_optional_or_unmet_step_holds_or_not(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    tag(session, a, "setup")  # training (required) still open; kickoff is optional
    evaluate(session, tmp_path)
    session.refresh(a)
    assert a.phase is Phase.ONBOARDING
    tag(session, a, "trained")
    evaluate(session, tmp_path)
    session.refresh(a)
    assert a.phase is Phase.ADOPTION


def test_only_the_accounts_asked_for_are_written(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a, b = paying(session), paying(session)
    tag(session, a, "setup")
    tag(session, b, "setup")
    result = evaluate(session, tmp_path, account_ids=[a.id])
    assert result.accounts == 1
    assert result.steps_completed == 1
    assert state(session, b, "setup") is None
    session.refresh(b)
    assert b.phase is None


def test_steps_whose_criteria_no_longer_parse_are_skipped(
    session: Session, tmp_path: Path, journey: None
) -> None:
    step = definition.get_step(session, "setup")
    step.criteria = {"all": [{"fact": "signal.usage:gone:day", "op": "gt", "value": 1}]}
    session.flush()
    a = paying(session)
    result = evaluate(session, tmp_path)
    assert result.skipped_steps == ["setup"]
    assert result.entered == 1
    assert state(session, a, "setup") is None


# -- history, durations, estimates ---------------------------------------------------------


def test_existing_phases_get_an_estimated_open_history_row(
    session: Session, tmp_path: Path, journey: None
) -> None:
    start = local_today(ZONE) - timedelta(days=200)
    onboarding = make_account(session, phase=Phase.ONBOARDING)
    adoption = make_account(session, phase=Phase.ADOPTION)
    plan = make_product(session)
    for acc in (onboarding, adoption):
        make_line(session, acc, plan, mrr=1000, start=start)
    no_lines = make_account(session, phase=Phase.EXPANSION)
    result = evaluate(session, tmp_path)
    assert result.history_opened == 3
    view = views.account_journey(
        session, SYSTEM, onboarding.id, today=local_today(ZONE), zone=ZONE, data_dir=tmp_path
    )
    # onboarding since the first line started: 200 days against a 30-day target
    assert view.days_in_phase == 200
    assert view.target_days == 30
    assert view.overdue
    assert view.history[0].moved_by_system == "estimate"
    later = views.account_journey(
        session, SYSTEM, adoption.id, today=local_today(ZONE), zone=ZONE, data_dir=tmp_path
    )
    # adoption: after the first start plus onboarding's 30-day target
    assert later.days_in_phase == 170
    assert later.target_days == 60
    third = views.account_journey(
        session, SYSTEM, no_lines.id, today=local_today(ZONE), zone=ZONE, data_dir=tmp_path
    )
    assert third.days_in_phase == 0  # no subscription: since the account was created (now)
    # a second evaluation opens nothing more
    assert evaluate(session, tmp_path).history_opened == 0


def test_days_in_phase_and_overdue_follow_the_calendar(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    today = local_today(ZONE)
    for offset, overdue in ((0, False), (30, False), (31, True)):
        view = views.account_journey(
            session, SYSTEM, a.id, today=today + timedelta(days=offset), zone=ZONE,
            data_dir=tmp_path, live=False,
        )  # fmt: skip
        assert (view.days_in_phase, view.overdue) == (offset, overdue)
    facts = load_facts(
        session,
        ["journey.phase", "journey.days_in_phase", "journey.phase_target_days", "journey.overdue"],
        today=today + timedelta(days=45),
        zone=ZONE,
        data_dir=tmp_path,
    )
    row = facts.row_of(str(a.id))
    assert row is not None
    assert facts.value("journey.phase", row) == "onboarding"
    assert facts.value("journey.days_in_phase", row) == 45.0
    assert facts.value("journey.phase_target_days", row) == 30.0
    assert facts.value("journey.overdue", row) == 1.0


def test_history_durations_after_moves(session: Session, tmp_path: Path, journey: None) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    rows = history(session, a)
    # pretend onboarding started 40 days ago
    rows[0].entered_at = utc_now() - timedelta(days=40)
    session.flush()
    csm = make_user(session, Role.CSM)
    service.move_phase(session, actor_of(csm), a.id, Phase.ADOPTION, reason="キックオフ完了")
    view = views.account_journey(
        session, SYSTEM, a.id, today=local_today(ZONE), zone=ZONE, data_dir=tmp_path, live=False
    )
    assert [h.phase for h in view.history] == [Phase.ADOPTION, Phase.ONBOARDING]
    assert view.history[1].days == 40
    assert view.history[1].overdue
    assert view.history[0].days == 0
    assert not view.history[0].overdue
    assert view.history[0].moved_by == csm.name
    assert view.history[0].reason == "キックオフ完了"


def test_a_phase_changed_on_the_account_record_is_reconciled(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    a.phase = Phase.EXPANSION  # e.g. the account form or an import
    session.flush()
    facts = load_facts(session, ["journey.days_in_phase"], today=local_today(ZONE), zone=ZONE,
                       data_dir=tmp_path)  # fmt: skip
    row = facts.row_of(str(a.id))
    assert row is not None
    assert facts.value("journey.days_in_phase", row) is None
    evaluate(session, tmp_path)
    rows = history(session, a)
    assert [(r.phase, r.exited_at is None, r.moved_by_system) for r in rows] == [
        ("onboarding", False, "journey"),
        ("expansion", True, "account"),
    ]


# -- manual checks and moves ----------------------------------------------------------------


def test_manual_check_advances_and_uncheck_reopens_with_audit(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    tag(session, a, "trained")
    evaluate(session, tmp_path)
    csm = actor_of(make_user(session, Role.CSM))
    assert service.check_step(session, csm, a.id, "setup", done=True, note="設定会で確認")
    session.refresh(a)
    assert a.phase is Phase.ADOPTION  # setup by hand + training from data: onboarding done
    checked = state(session, a, "setup")
    assert checked is not None
    assert checked.completed_by_id == csm.user_id
    assert checked.evidence == {"note": "設定会で確認"}
    assert not service.check_step(session, csm, a.id, "setup", done=True)  # no change
    assert service.check_step(session, csm, a.id, "setup", done=False)
    reopened = state(session, a, "setup")
    assert reopened is not None
    assert not reopened.done
    assert reopened.reopened_at is not None
    session.refresh(a)
    assert a.phase is Phase.ADOPTION  # phases never move back by themselves
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(a.id), AuditEvent.action.like("journey.%"))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert actions == [
        "journey.move",  # entered (evaluation)
        "journey.step.check",
        "journey.move",  # advanced after the check
        "journey.step.uncheck",
    ]


def test_a_reopened_manual_step_waits_for_a_person_but_a_data_only_step_does_not(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    tag(session, a, "setup", "trained")
    evaluate(session, tmp_path)
    csm = actor_of(make_user(session, Role.CSM))
    service.check_step(session, csm, a.id, "setup", done=False)
    service.check_step(session, csm, a.id, "training", done=False)
    result = evaluate(session, tmp_path)
    setup, training = state(session, a, "setup"), state(session, a, "training")
    assert setup is not None
    assert not setup.done
    assert training is not None
    assert training.done
    assert result.steps_completed == 1


def test_data_only_steps_cannot_be_checked_by_hand(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    with pytest.raises(Conflict):
        service.check_step(session, SYSTEM, a.id, "training", done=True)


def test_moving_needs_write_and_a_reason_and_is_audited(
    session: Session, tmp_path: Path, journey: None
) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    viewer = actor_of(make_user(session, Role.READ_ONLY))
    with pytest.raises(Forbidden):
        service.move_phase(session, viewer, a.id, Phase.EXPANSION, reason="x")
    csm = actor_of(make_user(session, Role.CSM))
    with pytest.raises(Invalid) as exc:
        service.move_phase(session, csm, a.id, Phase.EXPANSION, reason="  ")
    assert exc.value.problems[0].loc == ("body", "reason")
    with pytest.raises(Invalid):
        service.move_phase(session, csm, a.id, "graduated", reason="x")
    with pytest.raises(NotFound):
        service.move_phase(session, csm, uuid.uuid4(), Phase.EXPANSION, reason="x")
    service.move_phase(session, csm, a.id, Phase.EXPANSION, reason="大型契約の更新")
    service.move_phase(session, csm, a.id, Phase.EXPANSION, reason="again")  # same: nothing
    session.refresh(a)
    assert a.phase is Phase.EXPANSION
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_id == str(a.id), AuditEvent.action == "journey.move")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).first()
    assert event is not None
    assert event.actor_user_id == csm.user_id
    assert event.changes == {"phase": ["onboarding", "expansion"]}
    assert event.summary == "大型契約の更新"


def test_playbooks_move_with_a_system_name(session: Session, tmp_path: Path, journey: None) -> None:
    a = paying(session)
    evaluate(session, tmp_path)
    service.move_phase(
        session, Actor.system("playbook"), a.id, "adoption", reason="", system="playbook:kickoff"
    )
    rows = history(session, a)
    assert rows[-1].phase == "adoption"
    assert rows[-1].moved_by_system == "playbook:kickoff"
    assert rows[0].exited_at is not None


# -- definition editing ---------------------------------------------------------------------


def test_steps_are_validated_with_paths_and_reordered(session: Session, journey: None) -> None:
    admin = actor_of(make_user(session, Role.ADMIN))
    with pytest.raises(Invalid) as exc:
        definition.create_step(
            session,
            admin,
            StepCreate(
                key="bad",
                phase=Phase.ADOPTION,
                name="x",
                criteria={
                    "all": [
                        {"fact": "nope", "op": "eq", "value": 1},
                        {"fact": "journey.overdue", "op": "is_true"},
                    ]
                },
            ),
        )
    paths = [p.loc[1] for p in exc.value.problems]
    assert paths == ["criteria.all[0].fact", "criteria.all[1].fact"]  # journey facts refused
    with pytest.raises(Invalid) as exc:
        definition.create_step(
            session, admin, StepCreate(key="never", phase=Phase.ADOPTION, name="x", manual=False)
        )
    assert exc.value.problems[0].loc == ("body", "manual")
    definition.create_step(
        session, admin, StepCreate(key="first", phase=Phase.ADOPTION, name="先頭", position=0)
    )
    keys = [s.key for s in definition.load_definition(session).by_phase["adoption"]]
    assert keys == ["first", "habit"]
    definition.move_step(session, admin, "first", 1)
    assert [s.key for s in definition.load_definition(session).by_phase["adoption"]] == [
        "habit",
        "first",
    ]
    definition.update_step(session, admin, "first", StepUpdate(phase=Phase.EXPANSION, position=0))
    loaded = definition.load_definition(session)
    assert [s.key for s in loaded.by_phase["expansion"]] == ["first", "renewal"]
    assert [s.position for s in loaded.by_phase["expansion"]] == [0, 1]
    definition.delete_step(session, admin, "first")
    assert definition.load_definition(session).step("first") is None
    csm = actor_of(make_user(session, Role.CSM))
    with pytest.raises(Forbidden):
        definition.delete_step(session, csm, "habit")


def test_yaml_round_trip_and_a_bad_file_changes_nothing(session: Session, journey: None) -> None:
    text = definition.export_yaml(session, SYSTEM)
    assert yaml.safe_load(text) == definition.export_document(session, SYSTEM)
    result = definition.import_yaml(session, SYSTEM, text)
    assert (result.steps_created, result.steps_updated, result.steps_deleted) == (0, 0, 0)
    broken = yaml.safe_load(text)
    broken["phases"][0]["steps"][0]["criteria"] = {"all": [{"fact": "tags", "op": "gte"}]}
    broken["phases"][1]["target_days"] = 0
    del broken["phases"][2]
    with pytest.raises(Invalid) as exc:
        definition.import_yaml(session, SYSTEM, yaml.safe_dump(broken, allow_unicode=True))
    paths = {".".join(map(str, p.loc[1:])) for p in exc.value.problems}
    assert "phases[0].steps[0].criteria.all[0].op" in paths
    assert any(p.startswith("phases[1]") and "target_days" in p for p in paths)
    assert "phases" in paths  # the missing phase
    assert definition.export_yaml(session, SYSTEM) == text


def test_changing_phases_is_audited(session: Session) -> None:
    from kizuna.journey.schemas import PhaseUpdate

    admin = actor_of(make_user(session, Role.ADMIN))
    definition.update_phase(session, admin, "onboarding", PhaseUpdate(target_days=45))
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "journey.phase.update")
    ).one()
    assert event.changes == {"target_days": [90, 45]}
    with pytest.raises(NotFound):
        definition.update_phase(session, admin, "graduated", PhaseUpdate(target_days=1))


# -- facts, board, stalled -----------------------------------------------------------------


def test_step_facts_and_the_catalogue(session: Session, tmp_path: Path, journey: None) -> None:
    a, b = paying(session), paying(session)
    tag(session, a, "setup")
    evaluate(session, tmp_path)
    specs = fact_specs(session)
    assert {"journey.phase", "journey.step.setup", "journey.goals_achieved_ratio"} <= set(specs)
    facts = load_facts(
        session, ["journey.step.setup"], today=local_today(ZONE), zone=ZONE, data_dir=tmp_path
    )
    ra, rb = facts.row_of(str(a.id)), facts.row_of(str(b.id))
    assert ra is not None
    assert rb is not None
    assert facts.value("journey.step.setup", ra) == 1.0
    assert facts.value("journey.step.setup", rb) == 0.0


def test_board_and_stalled_lists(session: Session, tmp_path: Path, journey: None) -> None:
    csm = make_user(session, Role.CSM)
    slow = paying(session, name="遅い", csm_owner_id=csm.id)
    fast = paying(session, name="速い")
    tag(session, fast, "setup")
    evaluate(session, tmp_path)
    history(session, slow)[0].entered_at = utc_now() - timedelta(days=50)
    session.flush()
    today = local_today(ZONE)
    board = views.board(session, SYSTEM, today=today, zone=ZONE)
    onboarding = board.columns[0]
    assert (onboarding.count, onboarding.overdue) == (2, 1)
    assert [c.name for c in onboarding.cards] == ["遅い", "速い"]  # most overdue first
    card = onboarding.cards[0]
    assert card.days_in_phase == 50
    assert card.days_over == 20
    assert card.csm_name == csm.name
    assert card.first_open_step == "setup"
    assert (card.steps_done, card.steps_total) == (0, 3)
    assert onboarding.cards[1].first_open_step == "training"
    assert [c.name for c in views.board(session, SYSTEM, today=today, zone=ZONE, limit=1)
            .columns[0].cards] == ["遅い"]  # fmt: skip
    only = views.board(session, SYSTEM, today=today, zone=ZONE, csm_owner_id=csm.id)
    assert only.columns[0].count == 1
    stalled = views.stalled(session, SYSTEM, today=today, zone=ZONE)
    assert [c.name for c in stalled.items] == ["遅い"]
    assert stalled.total == 1
    everyone = views.stalled(session, SYSTEM, today=today, zone=ZONE, overdue_only=False,
                             sort="name")  # fmt: skip
    assert [c.name for c in everyone.items] == ["速い", "遅い"]  # by name (code point)
    assert views.stalled(session, SYSTEM, today=today, zone=ZONE, phase=Phase.ADOPTION).total == 0
    assert views.stalled(session, SYSTEM, today=today, zone=ZONE, phase=None).total == 1
