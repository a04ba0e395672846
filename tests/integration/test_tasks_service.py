"""Tasks: status flow, complete-with-activity atomicity, snooze, the one-open-task-per-
playbook index, and who sees which tasks. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories import make_account, make_activity, make_team, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.auth.service import actor_for_user
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, Forbidden, Invalid, NotFound
from kizuna.models import Activity, AuditEvent, DomainEvent, Playbook
from kizuna.models.enums import ActivityKind, Role, TeamKind
from kizuna.models.task import Task, TaskPriority, TaskStatus
from kizuna.task import service
from kizuna.task.rules import Outcome
from kizuna.task.schemas import (
    Step,
    TaskComplete,
    TaskCreate,
    TaskFilters,
    TaskReassign,
    TaskUpdate,
    View,
)

TODAY = today_in("Asia/Tokyo")


def _csm(session: Session, team_id: uuid.UUID | None = None) -> tuple[Actor, uuid.UUID]:
    user = make_user(session, Role.CSM, team_id=team_id)
    return actor_for_user(user), user.id


def _task(session: Session, actor: Actor, **fields: object) -> Task:
    data = {"account_id": make_account(session).id, "title": "オンボーディング会議を設定", **fields}
    return service.create_task(session, actor, TaskCreate.model_validate(data))


def _ids(session: Session, actor: Actor, **filters: object) -> set[uuid.UUID]:
    page = service.list_tasks(
        session, actor, TaskFilters.model_validate(filters), today=TODAY, limit=500
    )
    return {t.id for t in page.items}


def _playbook(session: Session) -> Playbook:
    playbook = Playbook(key=f"pb-{uuid.uuid4().hex[:8]}", name="ヘルス急落レビュー")
    session.add(playbook)
    session.flush()
    return playbook


def test_create_defaults_to_the_caller_and_their_team(session: Session) -> None:
    team = make_team(session)
    actor, me = _csm(session, team.id)
    task = _task(session, actor, steps=[{"title": "議題を送る"}], due_on=TODAY)
    assert (task.assignee_id, task.team_id, task.source) == (me, team.id, "manual")
    assert task.status is TaskStatus.OPEN
    assert task.priority is TaskPriority.NORMAL
    assert task.steps == [{"title": "議題を送る", "done": False}]
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(task.id)))
    assert [e.action for e in events] == ["task.create"]


def test_create_names_a_bad_assignee_and_unknown_account(session: Session) -> None:
    actor, _ = _csm(session)
    with pytest.raises(Invalid) as exc:
        _task(session, actor, assignee_id=uuid.uuid4(), team_id=uuid.uuid4())
    assert {p.loc for p in exc.value.problems} == {("body", "assignee_id"), ("body", "team_id")}
    with pytest.raises(Invalid) as exc:
        service.create_task(session, actor, TaskCreate(account_id=uuid.uuid4(), title="x"))
    assert exc.value.problems[0].loc == ("body", "account_id")


def test_a_team_alone_is_the_team_queue_and_shows_in_members_mine(session: Session) -> None:
    team = make_team(session)
    actor, _ = _csm(session, team.id)
    colleague, _ = _csm(session, team.id)
    outsider, _ = _csm(session)
    task = _task(session, actor, team_id=team.id)
    assert task.assignee_id is None
    assert task.team_id == team.id
    assert task.id in _ids(session, colleague)
    assert task.id not in _ids(session, outsider)


def test_status_flow_and_illegal_transitions(session: Session) -> None:
    actor, me = _csm(session)
    task = _task(session, actor)
    service.cancel_task(session, actor, task.id, note="顧客都合")
    assert task.status is TaskStatus.CANCELLED
    assert task.completed_by_id == me
    for action in (
        lambda: service.complete_task(
            session, actor, task.id, TaskComplete(outcome=Outcome.DONE_SUCCESS)
        ),
        lambda: service.cancel_task(session, actor, task.id),
        lambda: service.snooze_task(session, actor, task.id, TODAY + timedelta(1), today=TODAY),
        lambda: service.update_task(session, actor, task.id, TaskUpdate(title="新")),
        lambda: service.reassign_task(session, actor, task.id, TaskReassign(assignee_id=me)),
        lambda: service.tick_step(session, actor, task.id, 0, done=True),
    ):
        with pytest.raises(Conflict):
            action()
    service.reopen_task(session, actor, task.id)
    assert task.status is TaskStatus.OPEN
    assert task.completed_at is None
    with pytest.raises(Conflict):
        service.reopen_task(session, actor, task.id)
    service.complete_task(
        session, actor, task.id, TaskComplete(outcome=Outcome.NOT_NEEDED, note="解決済み")
    )
    assert (task.status, task.outcome, task.outcome_note) == (
        TaskStatus.DONE,
        "not_needed",
        "解決済み",
    )
    with pytest.raises(Conflict):
        service.cancel_task(session, actor, task.id)
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(task.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert actions == ["task.create", "task.cancel", "task.reopen", "task.complete"]
    kinds = session.scalars(
        select(DomainEvent.kind).where(DomainEvent.account_id == task.account_id)
    ).all()
    assert kinds == ["task.completed"]


def test_complete_logs_a_linked_activity(session: Session) -> None:
    actor, me = _csm(session)
    task = _task(session, actor, title="更新提案を送る")
    service.complete_task(
        session,
        actor,
        task.id,
        TaskComplete(
            outcome=Outcome.DONE_SUCCESS, note="見積を送付", log_activity=ActivityKind.PROPOSAL
        ),
    )
    activity = session.get(Activity, task.activity_id)
    assert activity is not None
    assert (activity.kind, activity.subject, activity.body, activity.author_id) == (
        ActivityKind.PROPOSAL,
        "更新提案を送る",
        "見積を送付",
        me,
    )
    assert activity.account_id == task.account_id


def test_complete_is_all_or_nothing_when_the_activity_is_refused(session: Session) -> None:
    """An actor who may complete tasks but not write activities: the activity is refused
    after the task was already changed in the session; the transaction keeps nothing."""
    actor, _ = _csm(session)
    task = _task(session, actor)
    before = session.scalar(select(func.count(Activity.id)))
    session.commit()
    no_activities = replace(actor, permissions=actor.permissions - {Permission.ACTIVITY_WRITE})
    with pytest.raises(Forbidden), session.begin():
        service.complete_task(
            session,
            no_activities,
            task.id,
            TaskComplete(outcome=Outcome.DONE_SUCCESS, log_activity=ActivityKind.CALL),
        )
    session.expire_all()
    again = session.get(Task, task.id)
    assert again is not None
    assert (again.status, again.outcome, again.completed_at) == (TaskStatus.OPEN, None, None)
    assert session.scalar(select(func.count(Activity.id))) == before


def test_snooze_hides_from_today_until_the_date(session: Session) -> None:
    actor, _ = _csm(session)
    task = _task(session, actor, due_on=TODAY - timedelta(days=2))
    assert task.id in _ids(session, actor, view="today")
    with pytest.raises(Invalid):
        service.snooze_task(session, actor, task.id, TODAY, today=TODAY)
    service.snooze_task(session, actor, task.id, TODAY + timedelta(days=1), today=TODAY)
    assert task.id not in _ids(session, actor, view="today")
    assert task.id in _ids(session, actor, view="upcoming")
    assert task.id in _ids(session, actor, view="overdue")
    assert service.today_count(session, actor, today=TODAY) == 0
    # the next day it is back
    tomorrow = TODAY + timedelta(days=1)
    page = service.list_tasks(session, actor, TaskFilters(view=View.TODAY), today=tomorrow)
    assert [t.id for t in page.items] == [task.id]


def test_views_and_counts(session: Session) -> None:
    actor, _ = _csm(session)
    late = _task(session, actor, due_on=TODAY - timedelta(days=3))
    now = _task(session, actor, due_on=TODAY)
    later = _task(session, actor, due_on=TODAY + timedelta(days=5))
    undated = _task(session, actor)
    done = _task(session, actor, due_on=TODAY)
    service.complete_task(session, actor, done.id, TaskComplete(outcome=Outcome.DONE_SUCCESS))
    assert _ids(session, actor, view="today") == {late.id, now.id}
    assert _ids(session, actor, view="overdue") == {late.id}
    assert _ids(session, actor, view="upcoming") == {later.id}
    assert _ids(session, actor, view="no_date") == {undated.id}
    assert _ids(session, actor, view="done") == {done.id}
    counts = service.count_tasks(session, actor, TaskFilters(), today=TODAY)
    assert counts.model_dump() == {
        "open": 4,
        "today": 2,
        "overdue": 1,
        "upcoming": 1,
        "no_date": 1,
        "done": 1,
    }
    page = service.list_tasks(session, actor, TaskFilters(view=View.OPEN), today=TODAY)
    assert [t.id for t in page.items] == [late.id, now.id, later.id, undated.id]
    assert [t.bucket for t in page.items] == ["today", "today", "upcoming", "no_date"]


def test_keyset_paging_walks_every_task_once(session: Session) -> None:
    actor, _ = _csm(session)
    made = {_task(session, actor, due_on=TODAY + timedelta(days=i % 3)).id for i in range(7)}
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = service.list_tasks(
            session, actor, TaskFilters(), today=TODAY, cursor=cursor, limit=3
        )
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 7
    assert set(seen) == made


def test_filters_by_priority_and_playbook(session: Session) -> None:
    actor, me = _csm(session)
    urgent = _task(session, actor, priority="urgent")
    _task(session, actor)
    playbook = _playbook(session)
    auto = Task(
        account_id=make_account(session).id,
        title="ヘルス急落: 状況確認",
        source="playbook",
        playbook_id=playbook.id,
        playbook_version=1,
        assignee_id=me,
        why={"trigger": "health_dropped"},
    )
    session.add(auto)
    session.flush()
    assert _ids(session, actor, priority="urgent") == {urgent.id}
    assert _ids(session, actor, playbook_id=playbook.id) == {auto.id}
    out = service.get_task(session, actor, auto.id, today=TODAY)
    assert out.playbook_name == "ヘルス急落レビュー"
    assert out.why == {"trigger": "health_dropped"}


def test_one_open_task_per_account_and_playbook(session: Session) -> None:
    actor, _ = _csm(session)
    account = make_account(session)
    playbook = _playbook(session)

    def playbook_task() -> Task:
        task = Task(
            account_id=account.id, title="QBR準備", source="playbook", playbook_id=playbook.id
        )
        session.add(task)
        session.flush()
        return task

    first = playbook_task()
    with pytest.raises(IntegrityError), session.begin_nested():
        playbook_task()
    service.complete_task(session, actor, first.id, TaskComplete(outcome=Outcome.DONE_SUCCESS))
    second = playbook_task()  # a done one does not block
    with pytest.raises(Conflict):
        service.reopen_task(session, actor, first.id)
    # manual tasks (no playbook) are never limited
    _task(session, actor, account_id=account.id)
    _task(session, actor, account_id=account.id)
    assert second.status is TaskStatus.OPEN


def test_team_view_is_for_managers_of_that_team(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    csm, member = _csm(session, team.id)
    manager = actor_for_user(make_user(session, Role.MANAGER, team_id=team.id))
    other_manager = actor_for_user(make_user(session, Role.MANAGER, team_id=other.id))
    admin = actor_for_user(make_user(session, Role.ADMIN))
    mine = _task(session, csm)
    queue = _task(session, csm, team_id=team.id)
    elsewhere = _task(session, other_manager)
    with pytest.raises(Forbidden):
        _ids(session, csm, scope="team", team_id=team.id)
    with pytest.raises(Forbidden):
        _ids(session, csm, scope="team", team_id=other.id)
    assert _ids(session, manager, scope="team") == {mine.id, queue.id}
    assert _ids(session, manager, scope="team", assignee_id=member) == {mine.id}
    with pytest.raises(Forbidden):
        _ids(session, manager, scope="team", team_id=other.id)
    assert _ids(session, admin, scope="team", team_id=other.id) == {elsewhere.id}
    assert {mine.id, queue.id, elsewhere.id} <= _ids(session, admin, scope="all")
    with pytest.raises(Forbidden):
        _ids(session, manager, scope="all")
    assert [t.id for t in service.visible_teams(session, manager)] == [team.id]
    assert service.visible_teams(session, csm) == []


def test_managers_in_a_management_team_see_every_team(session: Session) -> None:
    management, csm_team = make_team(session, TeamKind.MANAGEMENT), make_team(session)
    head = actor_for_user(make_user(session, Role.MANAGER, team_id=management.id))
    viewer = actor_for_user(make_user(session, Role.READ_ONLY, team_id=management.id))
    csm, _ = _csm(session, csm_team.id)
    task = _task(session, csm)
    assert _ids(session, head, scope="team", team_id=csm_team.id) == {task.id}
    assert task.id in _ids(session, head, scope="all")
    assert {t.id for t in service.visible_teams(session, head)} >= {management.id, csm_team.id}
    with pytest.raises(Forbidden):
        _ids(session, viewer, scope="team", team_id=csm_team.id)


def test_account_scope_and_hidden_ids(session: Session) -> None:
    actor, _ = _csm(session)
    someone, _ = _csm(session)
    task = _task(session, someone)
    assert _ids(session, actor, scope="account", account_id=task.account_id) == {task.id}
    with pytest.raises(Invalid):
        _ids(session, actor, scope="account")
    with pytest.raises(NotFound):
        service.get_task(session, actor, uuid.uuid4(), today=TODAY)


def test_reassign_to_a_person_brings_their_team_and_to_a_team_empties_the_person(
    session: Session,
) -> None:
    team = make_team(session)
    actor, _ = _csm(session)
    _, colleague = _csm(session, team.id)
    task = _task(session, actor)
    service.reassign_task(session, actor, task.id, TaskReassign(assignee_id=colleague))
    assert (task.assignee_id, task.team_id) == (colleague, team.id)
    service.reassign_task(session, actor, task.id, TaskReassign(team_id=team.id))
    assert (task.assignee_id, task.team_id) == (None, team.id)
    with pytest.raises(Invalid):
        service.reassign_task(session, actor, task.id, TaskReassign())


def test_update_and_tick_steps(session: Session) -> None:
    actor, _ = _csm(session)
    task = _task(session, actor, due_on=TODAY)
    service.update_task(
        session,
        actor,
        task.id,
        TaskUpdate(steps=[Step(title="資料"), Step(title="日程")], due_on=None, priority="high"),
    )
    assert task.due_on is None
    assert task.priority is TaskPriority.HIGH
    service.tick_step(session, actor, task.id, 1, done=True)
    assert task.steps == [{"title": "資料", "done": False}, {"title": "日程", "done": True}]
    with pytest.raises(Invalid):
        service.tick_step(session, actor, task.id, 5, done=True)


def test_read_only_users_cannot_write_tasks(session: Session) -> None:
    actor, _ = _csm(session)
    task = _task(session, actor)
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    assert service.get_task(session, viewer, task.id, today=TODAY).id == task.id
    with pytest.raises(Forbidden):
        service.complete_task(session, viewer, task.id, TaskComplete(outcome=Outcome.NOT_NEEDED))


def test_proposal_is_a_storable_activity_kind(session: Session) -> None:
    """Migration 0013 widened the activity_kind CHECK constraint on both engines (and kept
    it: an unknown kind is still refused by the database)."""
    account = make_account(session)
    made = make_activity(session, account, kind=ActivityKind.PROPOSAL)
    session.expire(made)
    assert made.kind is ActivityKind.PROPOSAL
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO activity (id, account_id, kind, subject, body, occurred_at,"
                " is_pre_sale, custom_fields, created_at, updated_at) VALUES"
                " (:id, :account, 'bogus', 's', '', :at, false, '{}', :at, :at)"
            ),
            {"id": uuid.uuid4().hex, "account": account.id.hex, "at": "2026-01-05 00:00:00"},
        )
