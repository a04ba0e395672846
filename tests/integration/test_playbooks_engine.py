"""The playbook engine on both databases: each trigger fires on its edge (and not again),
the gates (audience, touch model, snooze, cooldown, one open task), the why on tasks,
routing, the dry run writing nothing, versions, field updates and phase changes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_team, make_user
from health_factories import make_score, make_version
from kizuna.analytics.sources import DAILY_SCHEMA, VALUE_SCHEMA
from kizuna.auth.actor import Actor
from kizuna.kit.errors import Conflict, Invalid
from kizuna.models import (
    Account,
    AccountTag,
    AuditEvent,
    CustomFieldDefinition,
    DomainEvent,
    Job,
    PlaybookFiring,
    PlaybookMatchSet,
    PlaybookRun,
    Segment,
    Task,
)
from kizuna.models.enums import CustomFieldObject, CustomFieldType, Phase, ProductUnit, Role
from kizuna.models.journey import JourneyPhaseHistory
from kizuna.models.playbook import PlaybookStatus, VersionStatus
from kizuna.models.task import TaskStatus
from kizuna.outbox import service as outbox
from kizuna.playbook import service
from kizuna.playbook.engine import evaluate_playbooks
from kizuna.playbook.schemas import (
    ApplyRequest,
    PlaybookCreate,
    PlaybookReport,
    PlaybookUpdate,
    RunReport,
    SnoozeIn,
)
from kizuna.survey import service as surveys
from kizuna.survey.schemas import SurveyResponseCreate
from kizuna.usage.values import ValueStore

SYSTEM = Actor.system("test")
ZONE = "Asia/Tokyo"
TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


def employees_at_least(n: int) -> dict[str, Any]:
    return {"fact": "account.employee_count", "op": "gte", "value": n}


def task(title: str = "Call {account}", **fields: Any) -> dict[str, Any]:
    return {"type": "create_task", "title": title, **fields}


def playbook(
    session: Session, key: str, trigger: dict[str, Any], *, publish: bool = True, **extra: Any
) -> str:
    definition = {"trigger": trigger, "actions": extra.pop("actions", [task()]), **extra}
    team_id = definition.pop("team_id", None)
    service.create_playbook(
        session, SYSTEM, PlaybookCreate(key=key, name=key, definition=definition, team_id=team_id)
    )
    if publish:
        service.publish(session, SYSTEM, key)
    return key


def run(
    session: Session, data_dir: Path, *, day: date = TODAY, dry: bool = False, **kw: Any
) -> RunReport:
    now = kw.pop("now", datetime.combine(day, NOW.timetz()))
    return evaluate_playbooks(
        session, SYSTEM, today=day, zone=ZONE, data_dir=data_dir, dry_run=dry, now=now, **kw
    )


def fired(report: RunReport, key: str) -> set[str]:
    found = next(p for p in report.playbooks if p.key == key)
    assert found.error is None, found.error
    return {f.account_name for f in found.fired}


def of(report: RunReport, key: str) -> PlaybookReport:
    return next(p for p in report.playbooks if p.key == key)


def skipped(report: RunReport, key: str) -> dict[str, int]:
    return of(report, key).skipped


def tasks_of(session: Session, account: Account) -> list[Task]:
    return list(
        session.scalars(select(Task).where(Task.account_id == account.id).order_by(Task.created_at))
    )


def close(session: Session, account: Account) -> None:
    for t in tasks_of(session, account):
        t.status = TaskStatus.DONE
    session.flush()


# --------------------------------------------------------------------------- condition edges


def test_condition_trigger_fires_on_the_edge_and_not_again(
    session: Session, tmp_path: Path
) -> None:
    big = make_account(session, name="大", employee_count=150)
    small = make_account(session, name="小", employee_count=50)
    playbook(session, "big", {"type": "condition", "condition": employees_at_least(100)})

    first = run(session, tmp_path)
    assert fired(first, "big") == {"大"}  # first evaluation: today's matches fire once
    assert [t.title for t in tasks_of(session, big)] == ["Call 大"]
    assert fired(run(session, tmp_path), "big") == set()  # still true: no edge

    small.employee_count = 200
    session.flush()
    assert fired(run(session, tmp_path), "big") == {"小"}

    # big goes false → true again while its task is still open: skipped, counted.
    big.employee_count = 10
    session.flush()
    assert fired(run(session, tmp_path), "big") == set()
    big.employee_count = 300
    session.flush()
    report = run(session, tmp_path)
    assert fired(report, "big") == set()
    assert skipped(report, "big")["already_open"] == 1
    # The task closed, the next edge fires again.
    close(session, big)
    big.employee_count = 10
    session.flush()
    run(session, tmp_path)
    big.employee_count = 300
    session.flush()
    assert fired(run(session, tmp_path), "big") == {"大"}
    assert len(tasks_of(session, big)) == 2


def test_segment_entered_and_left(session: Session, tmp_path: Path) -> None:
    a = make_account(session, name="A社", employee_count=150)
    b = make_account(session, name="B社", employee_count=50)
    segment = Segment(name="大企業", definition={"fact": "account.employee_count", "op": "gte",
                      "value": 100}, shared=True)  # fmt: skip
    session.add(segment)
    session.flush()
    playbook(session, "in", {"type": "segment_entered", "segment_id": str(segment.id)})
    playbook(session, "out", {"type": "segment_left", "segment_id": str(segment.id)})

    first = run(session, tmp_path)
    assert fired(first, "in") == {"A社"}
    assert fired(first, "out") == set()  # nobody was known to be a member before
    b.employee_count = 120
    a.employee_count = 20
    session.flush()
    second = run(session, tmp_path)
    assert fired(second, "in") == {"B社"}
    assert fired(second, "out") == {"A社"}
    assert of(second, "out").fired[0].why["edge"] == "true_to_false"
    third = run(session, tmp_path)
    assert fired(third, "in") == set()
    assert fired(third, "out") == set()


def test_health_dropped_over_7_and_over_14_days(session: Session, tmp_path: Path) -> None:
    version = make_version(session)
    fell = make_account(session, name="急落")
    slipped = make_account(session, name="微減")
    slow = make_account(session, name="じわじわ")
    make_score(session, fell, version, score=40, band="yellow", today=TODAY, change_7d=-12)
    make_score(session, slipped, version, score=60, band="yellow", today=TODAY, change_7d=-5)
    make_score(session, slow, version, score=50, band="yellow", today=TODAY, change_7d=-6,
               history=((14, 65.0),))  # fmt: skip
    playbook(session, "drop7", {"type": "health_dropped", "points": 10})
    playbook(session, "drop14", {"type": "health_dropped", "points": 10, "days": 14})

    report = run(session, tmp_path)
    assert fired(report, "drop7") == {"急落"}
    assert fired(report, "drop14") == {"じわじわ"}  # 50 now, 65 fourteen days ago
    check = of(report, "drop14").fired[0].why["checks"][0]
    assert check == {"fact": "health.change_14d", "op": "lte", "value": -10, "actual": -15,
                     "passed": True, "negated": False}  # fmt: skip
    assert fired(run(session, tmp_path), "drop7") == set()


def test_phase_stalled_by_days_in_phase(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="停滞", phase=Phase.ONBOARDING)
    session.add(JourneyPhaseHistory(account_id=account.id, phase="onboarding",
                                    entered_at=NOW - timedelta(days=20)))  # fmt: skip
    session.flush()
    playbook(session, "stall", {"type": "phase_stalled", "phase": "onboarding", "days": 30})

    assert fired(run(session, tmp_path), "stall") == set()  # 20 days
    assert fired(run(session, tmp_path, day=TODAY + timedelta(days=5)), "stall") == set()
    later = run(session, tmp_path, day=TODAY + timedelta(days=10))
    assert fired(later, "stall") == {"停滞"}
    assert {c["fact"]: c["actual"] for c in later.playbooks[0].fired[0].why["checks"]} == {
        "journey.phase": "onboarding",
        "journey.days_in_phase": 30,
    }
    assert fired(run(session, tmp_path, day=TODAY + timedelta(days=11)), "stall") == set()


def test_renewal_in_days(session: Session, tmp_path: Path) -> None:
    product = make_product(session)
    near = make_account(session, name="更新間近")
    far = make_account(session, name="まだ先")
    # The renewal is the next anniversary of the line's start (yearly terms here).
    make_line(session, near, product, mrr=100_000, start=date(2025, 8, 9), term_months=12)
    make_line(session, far, product, mrr=100_000, start=date(2026, 1, 1), term_months=12)
    playbook(session, "renew", {"type": "renewal_in", "days": 90})

    assert fired(run(session, tmp_path), "renew") == {"更新間近"}
    assert fired(run(session, tmp_path), "renew") == set()
    # 110 days later the far one is within 90 days (and the near one renewed or not: gone).
    assert "まだ先" in fired(run(session, tmp_path, day=TODAY + timedelta(days=115)), "renew")


def _write_active_users(data_dir: Path, rows: list[tuple[str, date, float]]) -> None:
    values = pa.Table.from_pylist(
        [dict(zip(VALUE_SCHEMA.names, ("active_users", "month", a, d, v), strict=True))
         for a, d, v in rows],
        schema=VALUE_SCHEMA,
    )  # fmt: skip
    daily = pa.Table.from_pylist([], schema=DAILY_SCHEMA)
    ValueStore.under(data_dir).write(values, daily)


def test_seats_nearly_used(session: Session, tmp_path: Path) -> None:
    seats = make_product(session, unit=ProductUnit.SEAT)
    full = make_account(session, name="満席")
    roomy = make_account(session, name="余裕")
    for account in (full, roomy):
        make_line(session, account, seats, mrr=100_000, start=date(2025, 1, 1), quantity=10)
    _write_active_users(tmp_path, [(str(full.id), date(2026, 5, 1), 9.0),
                                   (str(roomy.id), date(2026, 5, 1), 5.0)])  # fmt: skip
    playbook(session, "seats", {"type": "seats_nearly_used", "ratio": 0.9})

    report = run(session, tmp_path)
    assert fired(report, "seats") == {"満席"}
    assert report.playbooks[0].fired[0].why["checks"][0]["actual"] == 0.9
    assert fired(run(session, tmp_path), "seats") == set()


# --------------------------------------------------------------------------- events, dates, manual


def test_nps_detractor_from_a_survey_answer(session: Session, tmp_path: Path) -> None:
    unhappy = make_account(session, name="不満")
    happy = make_account(session, name="満足")
    playbook(session, "nps", {"type": "nps_detractor", "max_score": 6})
    actor = Actor.system("survey")

    def answer(account: Account, score: int) -> None:
        surveys.create_survey_response(
            session, actor, SurveyResponseCreate(account_id=account.id, kind="nps", score=score)
        )

    answer(unhappy, 3)
    answer(happy, 9)
    event = session.scalar(select(DomainEvent).where(DomainEvent.account_id == unhappy.id))
    assert event is not None
    assert event.kind == "survey.answered"
    assert event.payload["score"] == 3
    assert event.payload["kind"] == "nps"
    assert session.scalar(select(Job).where(Job.name == "playbooks.evaluate")) is not None

    later = datetime.now(UTC) + timedelta(minutes=1)
    report = run(session, tmp_path, now=later, day=TODAY)
    assert fired(report, "nps") == {"不満"}
    why = report.playbooks[0].fired[0].why
    assert why["event"]["payload"]["score"] == 3
    # Read again within the overlap: the same event does not fire twice.
    assert fired(run(session, tmp_path, now=later + timedelta(minutes=2)), "nps") == set()
    # A second detractor answer while the task is open: skipped.
    answer(unhappy, 2)
    report = run(session, tmp_path, now=later + timedelta(minutes=5))
    assert skipped(report, "nps")["already_open"] == 1


def test_handoff_received(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="新規受注")
    playbook(session, "handoff", {"type": "handoff_received"})
    outbox.publish(session, "handoff.accepted", account.id, {"handoff_id": "h-1"})
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert fired(run(session, tmp_path, now=later), "handoff") == {"新規受注"}
    assert fired(run(session, tmp_path, now=later + timedelta(minutes=1)), "handoff") == set()


def test_events_before_publishing_do_not_fire(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="過去")
    outbox.publish(session, "handoff.accepted", account.id, {},
                   occurred_at=datetime.now(UTC) - timedelta(days=2))  # fmt: skip
    playbook(session, "handoff", {"type": "handoff_received"})
    assert fired(run(session, tmp_path, now=datetime.now(UTC)), "handoff") == set()


def test_date_field_with_offset_and_anniversary(session: Session, tmp_path: Path) -> None:
    session.add(
        CustomFieldDefinition(
            object_type=CustomFieldObject.ACCOUNT, key="go_live", label_ja="本稼働日",
            label_en="Go-live", field_type=CustomFieldType.DATE,
        )
    )  # fmt: skip
    session.flush()
    soon = make_account(session, name="来週稼働", custom_fields={"go_live": "2026-07-07"})
    anniversary = make_account(session, name="一周年", custom_fields={"go_live": "2025-07-02"})
    playbook(session, "before", {"type": "date_field", "fact": "account.custom.go_live",
             "offset_days": -7})  # fmt: skip
    playbook(session, "yearly", {"type": "date_field", "fact": "account.custom.go_live",
             "offset_days": -2, "anniversary": True})  # fmt: skip

    first = run(session, tmp_path)  # 30 June: 7 days before 7 July; 2 days before 2 July
    assert fired(first, "before") == {"来週稼働"}
    assert fired(first, "yearly") == {"一周年"}
    assert fired(run(session, tmp_path, day=TODAY + timedelta(days=1)), "before") == set()
    # A year later, the anniversary comes round again (days skipped are caught up).
    close(session, anniversary)
    next_year = run(session, tmp_path, day=date(2027, 7, 1))
    assert fired(next_year, "yearly") == {"一周年"}
    assert soon.name not in fired(next_year, "yearly")


def test_manual_playbook_runs_on_chosen_accounts(session: Session, tmp_path: Path) -> None:
    chosen = make_account(session, name="選択")
    make_account(session, name="対象外")
    playbook(session, "by_hand", {"type": "manual"})
    assert fired(run(session, tmp_path), "by_hand") == set()  # never by itself
    csm = make_user(session, Role.CSM)
    actor = Actor(user_id=csm.id, role=Role.CSM, permissions=frozenset(
        p for p in Actor.system().permissions if p.value != "playbook:admin"))  # fmt: skip
    report = service.apply(session, actor, "by_hand", ApplyRequest(account_ids=[chosen.id]),
                           today=TODAY, zone=ZONE, data_dir=tmp_path)  # fmt: skip
    assert fired(report, "by_hand") == {"選択"}
    assert tasks_of(session, chosen)[0].created_by_id == csm.id
    playbook(session, "auto", {"type": "renewal_in", "days": 30})
    with pytest.raises(Conflict):
        service.apply(session, actor, "auto", ApplyRequest(account_ids=[chosen.id]),
                      today=TODAY, zone=ZONE, data_dir=tmp_path)  # fmt: skip


# --------------------------------------------------------------------------- gates


def test_audience_and_touch_model_gate(session: Session, tmp_path: Path) -> None:
    make_account(session, name="T1", tier="tier1", employee_count=500)
    make_account(session, name="T3", tier="tier3", employee_count=500)
    make_account(session, name="T1小", tier="tier1", employee_count=5)
    playbook(
        session, "gated",
        {"type": "condition", "condition": employees_at_least(1)},
        audience={"condition": employees_at_least(100)},
        touch_models=["high_touch"],
    )  # fmt: skip
    report = run(session, tmp_path)
    assert fired(report, "gated") == {"T1"}
    assert skipped(report, "gated") == {"outside_audience": 1, "touch_model": 1}
    assert report.playbooks[0].fired[0].why["touch_model"] == "high_touch"
    assert report.playbooks[0].fired[0].why["audience"][0]["actual"] == 500


def test_cooldown_after_a_done_task(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="冷却", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "cool", {"type": "condition", "condition": cond}, cooldown_days=30)
    assert fired(run(session, tmp_path), "cool") == {"冷却"}
    close(session, account)

    def flip(day: date) -> RunReport:
        account.employee_count = 10
        session.flush()
        run(session, tmp_path, day=day)
        account.employee_count = 150
        session.flush()
        return run(session, tmp_path, day=day)

    report = flip(TODAY + timedelta(days=10))
    assert fired(report, "cool") == set()
    assert skipped(report, "cool")["cooldown"] == 1
    assert fired(flip(TODAY + timedelta(days=31)), "cool") == {"冷却"}


def test_snooze_until_a_day(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="保留", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "snoozy", {"type": "condition", "condition": cond})
    service.snooze(session, SYSTEM, "snoozy", SnoozeIn(account_id=account.id,
                   until=TODAY + timedelta(days=3), reason="決算期"), today=TODAY)  # fmt: skip
    report = run(session, tmp_path)
    assert fired(report, "snoozy") == set()
    assert skipped(report, "snoozy")["snoozed"] == 1
    with pytest.raises(Invalid):
        service.snooze(session, SYSTEM, "snoozy", SnoozeIn(account_id=account.id, until=TODAY),
                       today=TODAY)  # fmt: skip
    assert [
        s.account_name for s in service.list_snoozes(session, SYSTEM, "snoozy", today=TODAY)
    ] == ["保留"]
    # The edge happened while snoozed: it is consumed, so flip again after the snooze.
    account.employee_count = 1
    session.flush()
    run(session, tmp_path, day=TODAY + timedelta(days=3))
    account.employee_count = 150
    session.flush()
    assert fired(run(session, tmp_path, day=TODAY + timedelta(days=3)), "snoozy") == {"保留"}


# --------------------------------------------------------------------------- tasks and routing


def test_tasks_carry_the_why_and_route_to_people_and_teams(
    session: Session, tmp_path: Path
) -> None:
    team = make_team(session, name="CSチーム")
    alice = make_user(session, Role.CSM, name="A 有子", team_id=team.id)
    make_user(session, Role.CSM, name="B 坊", team_id=team.id)
    seller = make_user(session, Role.CUSTOMER_SALES, email="seller@example.jp")
    accounts = [make_account(session, name=f"顧客{n}", employee_count=150, csm_owner_id=alice.id)
                for n in range(3)]  # fmt: skip
    accounts[0].sales_owner_id = seller.id
    session.flush()
    playbook(
        session, "routes", {"type": "condition", "condition": employees_at_least(100)},
        team_id=team.id,
        actions=[
            task("Primary {account}", assignee="owner:csm", due_in_days=2,
                 priority="high", steps=["確認", "電話"], description="{why}"),
            task("Sales {account}", assignee="owner:sales"),
            task("Named", assignee="user:seller@example.jp"),
            task("Queue", assignee="team:queue"),
        ],
    )  # fmt: skip
    run(session, tmp_path)
    rows = {a.name: tasks_of(session, a) for a in accounts}
    first = rows["顧客0"][0]
    assert first.title == "Primary 顧客0"
    assert first.priority.value == "high"
    assert first.assignee_id == alice.id
    assert first.team_id == team.id
    assert first.playbook_id is not None
    assert first.due_on == TODAY + timedelta(days=2)
    assert first.steps == [{"title": "確認", "done": False}, {"title": "電話", "done": False}]
    assert first.source == "playbook"
    assert first.playbook_version == 1
    assert first.why["trigger"]["type"] == "condition"
    assert first.why["playbook"]["key"] == "routes"
    assert first.why["checks"] == [{"fact": "account.employee_count", "op": "gte", "value": 100,
                                    "actual": 150, "passed": True, "negated": False}]  # fmt: skip
    assert "150" in first.description  # {why} rendered
    assert rows["顧客0"][1].assignee_id == seller.id
    assert rows["顧客1"][1].assignee_id == alice.id  # no sales owner: the CSM
    assert all(rows[a.name][2].assignee_id == seller.id for a in accounts)
    assert all(rows[a.name][3].assignee_id is None for a in accounts)
    assert all(rows[a.name][3].team_id == team.id for a in accounts)
    assert all(t.playbook_id is None for a in accounts for t in rows[a.name][1:])


def test_round_robin_takes_turns_across_evaluations(session: Session, tmp_path: Path) -> None:
    team = make_team(session, name="オンボーディング")
    alice = make_user(session, Role.CSM, name="A 有子", team_id=team.id)
    bob = make_user(session, Role.CSM, name="B 坊", team_id=team.id)
    make_user(session, Role.CSM, name="C 退職", team_id=team.id, is_active=False)
    accounts = [make_account(session, name=f"順番{n}", employee_count=150) for n in range(3)]
    playbook(session, "turns", {"type": "condition", "condition": employees_at_least(100)},
             team_id=team.id, actions=[task(assignee="team:round_robin")])  # fmt: skip
    run(session, tmp_path)
    in_turn = sorted(accounts, key=lambda a: str(a.id))  # the engine goes by account id
    assert [tasks_of(session, a)[0].assignee_id for a in in_turn] == [alice.id, bob.id, alice.id]
    late = make_account(session, name="順番3", employee_count=150)
    run(session, tmp_path)
    assert tasks_of(session, late)[0].assignee_id == bob.id


def test_field_updates_and_phase_change(session: Session, tmp_path: Path) -> None:
    session.add(CustomFieldDefinition(object_type=CustomFieldObject.ACCOUNT, key="risk",
                label_ja="リスク", label_en="Risk", field_type=CustomFieldType.TEXT))  # fmt: skip
    session.flush()
    account = make_account(session, name="更新対象", employee_count=150, phase=Phase.ONBOARDING)
    session.add(AccountTag(account_id=account.id, tag="old"))
    session.flush()
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "updates", {"type": "condition", "condition": cond}, actions=[
        {"type": "update_field", "field": "tags", "add": ["renewal-risk"], "remove": ["old"]},
        {"type": "update_field", "field": "custom.risk", "value": "高"},
        {"type": "update_field", "field": "region", "value": "関西"},
        {"type": "change_phase", "phase": "adoption"},
    ])  # fmt: skip
    dry = run(session, tmp_path, dry=True)
    assert dry.playbooks[0].fired[0].updates == [
        "tags +renewal-risk -old",
        "custom.risk → 高",
        "region → 関西",
        "phase → adoption",
    ]
    run(session, tmp_path)
    session.refresh(account)
    tags = set(session.scalars(select(AccountTag.tag).where(AccountTag.account_id == account.id)))
    assert tags == {"renewal-risk"}
    assert account.custom_fields["risk"] == "高"
    assert account.region == "関西"
    assert account.phase == Phase.ADOPTION
    history = session.scalars(select(JourneyPhaseHistory).where(
        JourneyPhaseHistory.account_id == account.id)).all()  # fmt: skip
    assert any(h.phase == "adoption" and h.moved_by_system == "playbook:updates" for h in history)
    actions = {e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.object_id == str(account.id)))}  # fmt: skip
    assert {"account.tags", "account.update"} <= actions


# --------------------------------------------------------------------------- dry run, versions


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (
            Task,
            PlaybookFiring,
            PlaybookMatchSet,
            PlaybookRun,
            Job,
            AuditEvent,
            AccountTag,
        )
    }


def test_dry_run_writes_nothing(session: Session, tmp_path: Path) -> None:
    make_account(session, name="乾式", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "dry", {"type": "condition", "condition": cond}, actions=[
        task(), {"type": "email_owner", "subject": "s", "body": "b"},
        {"type": "slack", "text": "{account}"},
        {"type": "update_field", "field": "tags", "add": ["x"], "remove": []},
    ])  # fmt: skip
    before = _counts(session)
    report = service.dry_run(session, SYSTEM, "dry", today=TODAY, zone=ZONE, data_dir=tmp_path)
    assert report.run_id is None
    assert report.fired == 1
    assert report.tasks_created == 1
    assert report.playbooks[0].fired[0].tasks[0].title == "Call 乾式"
    assert _counts(session) == before
    assert fired(run(session, tmp_path), "dry") == {"乾式"}  # the real run still fires
    assert _counts(session) != before


def test_versions_draft_publish_and_state(session: Session, tmp_path: Path) -> None:
    make_account(session, name="版", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "ver", {"type": "condition", "condition": cond}, publish=False)
    detail = service.get_playbook(session, SYSTEM, "ver")
    assert detail.status == PlaybookStatus.DRAFT
    assert detail.published_version is None
    assert run(session, tmp_path).playbooks == []  # drafts are not evaluated
    service.publish(session, SYSTEM, "ver", note="first")
    assert fired(run(session, tmp_path), "ver") == {"版"}

    # Editing the published playbook makes draft v2; v1 keeps running.
    definition = {**service.get_playbook(session, SYSTEM, "ver").definition,
                  "actions": [task("New title")]}  # fmt: skip
    service.update_playbook(session, SYSTEM, "ver", PlaybookUpdate(definition=definition))
    detail = service.get_playbook(session, SYSTEM, "ver")
    assert [(v.number, v.status) for v in detail.versions] == [
        (2, VersionStatus.DRAFT), (1, VersionStatus.PUBLISHED)]  # fmt: skip
    assert detail.published_version == 1
    assert detail.has_draft
    service.publish(session, SYSTEM, "ver")
    detail = service.get_playbook(session, SYSTEM, "ver")
    assert [(v.number, v.status) for v in detail.versions] == [
        (2, VersionStatus.PUBLISHED), (1, VersionStatus.RETIRED)]  # fmt: skip
    with pytest.raises(Conflict):
        service.publish(session, SYSTEM, "ver")
    # Same trigger: the state carries over, nothing fires again.
    assert fired(run(session, tmp_path), "ver") == set()
    # A new trigger starts afresh: today's matches fire once (the old task is closed first).
    close(session, session.scalars(select(Account).where(Account.name == "版")).one())
    new = {**definition, "trigger": {"type": "condition", "condition":
           {"fact": "account.employee_count", "op": "gte", "value": 120}}}  # fmt: skip
    service.update_playbook(session, SYSTEM, "ver", PlaybookUpdate(definition=new))
    service.publish(session, SYSTEM, "ver")
    report = run(session, tmp_path)
    assert fired(report, "ver") == {"版"}
    assert report.playbooks[0].version == 3
    publishes = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "playbook.publish")).all()  # fmt: skip
    assert len(publishes) == 3


def test_pause_stops_and_resume_fires_only_new_edges(session: Session, tmp_path: Path) -> None:
    account = make_account(session, name="休止", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "p", {"type": "condition", "condition": cond})
    run(session, tmp_path)
    service.set_status(session, SYSTEM, "p", PlaybookStatus.PAUSED)
    close(session, account)
    assert run(session, tmp_path).playbooks == []
    service.set_status(session, SYSTEM, "p", PlaybookStatus.ACTIVE)
    assert fired(run(session, tmp_path), "p") == set()


def test_definition_problems_name_their_path(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        service.create_playbook(session, SYSTEM, PlaybookCreate(key="bad", name="bad", definition={
            "trigger": {"type": "health_dropped", "points": "ten"},
            "actions": [task(""), task("x", assignee="user:nobody@x"),
                        {"type": "email_owner", "subject": "{nope}", "body": "b"}],
        }))  # fmt: skip
    paths = {p.loc[1] for p in caught.value.problems}
    assert paths == {
        "definition.trigger.points",
        "definition.actions[0].title",
        "definition.actions[1].assignee",
        "definition.actions[2].subject",
    }


def test_a_broken_playbook_does_not_stop_the_others(session: Session, tmp_path: Path) -> None:
    make_account(session, name="健全", employee_count=150)
    segment = Segment(name="s", definition={"fact": "account.employee_count", "op": "gte",
                      "value": 1}, shared=True)  # fmt: skip
    session.add(segment)
    session.flush()
    playbook(session, "broken", {"type": "segment_entered", "segment_id": str(segment.id)})
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "fine", {"type": "condition", "condition": cond})
    segment.definition = {"fact": "no.such.fact", "op": "eq", "value": 1}
    session.flush()
    report = run(session, tmp_path)
    assert fired(report, "fine") == {"健全"}
    broken = next(p for p in report.playbooks if p.key == "broken")
    assert broken.error
    assert "no.such.fact" in broken.error
    run_row = session.get(PlaybookRun, report.run_id)
    assert run_row is not None
    assert run_row.errors[0]["playbook"] == "broken"


def test_firings_and_runs_are_listed(session: Session, tmp_path: Path) -> None:
    make_account(session, name="履歴", employee_count=150)
    cond = {"fact": "account.employee_count", "op": "gte", "value": 100}
    playbook(session, "hist", {"type": "condition", "condition": cond})
    report = run(session, tmp_path, day=datetime.now(UTC).date(), now=datetime.now(UTC))
    firings = service.list_firings(session, SYSTEM, key="hist")
    assert [f.account_name for f in firings] == ["履歴"]
    assert firings[0].actions["results"][0]["type"] == "create_task"
    runs = service.list_runs(session, SYSTEM, key="hist")
    assert runs[0].id == report.run_id
    assert runs[0].fired == 1
    listed = {p.key: p for p in service.list_playbooks(session, SYSTEM)}
    assert listed["hist"].fired_7d == 1
    assert listed["hist"].open_tasks == 1
    assert uuid.UUID(str(listed["hist"].id))


@pytest.mark.parametrize(
    ("trigger", "event"),
    [
        ("lead_passed", "lead.passed"),
        ("lead_accepted", "lead.accepted"),
        ("renewal_at_risk", "renewal.at_risk"),
    ],
)
def test_customer_sales_event_triggers(
    session: Session, tmp_path: Path, trigger: str, event: str
) -> None:
    account = make_account(session, name="顧客セールス")
    other = make_account(session, name="対象外")
    playbook(session, "sales", {"type": trigger})
    outbox.publish(session, event, account.id, {"id": "x"})
    outbox.publish(session, "handoff.accepted", other.id, {})  # another kind: not read
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert fired(run(session, tmp_path, now=later), "sales") == {"顧客セールス"}
    assert fired(run(session, tmp_path, now=later + timedelta(minutes=1)), "sales") == set()
