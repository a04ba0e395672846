"""Task use cases: create, change, snooze, reassign, cancel, complete (optionally logging an
activity in the same transaction), and the cockpit's lists and counts.

Who sees what:
- every task hangs off an account, so reading one goes through ``access_account``;
- "mine" = assigned to me, plus my team's unassigned queue;
- the team view needs TEAM_READ; managers see their own team (its members' tasks and its
  queue); administrators and managers in a management team see any team and "all".
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    case,
    column,
    false,
    func,
    literal,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session, aliased

from kizuna.account.service import access_account, access_account_for_input
from kizuna.activity import service as activities
from kizuna.activity.schemas import ActivityCreate
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_date, parse_datetime
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.enums import Role, TeamKind
from kizuna.models.task import Task, TaskPriority, TaskStatus
from kizuna.models.user import Team, User
from kizuna.outbox import service as outbox
from kizuna.task import rules
from kizuna.task.schemas import (
    Scope,
    TaskComplete,
    TaskCounts,
    TaskCreate,
    TaskFilters,
    TaskOut,
    TaskReassign,
    TaskUpdate,
    View,
)

# The playbook table belongs to the playbook feature (a layer above this one); its name is
# all the cockpit shows, so it is read through a lightweight table construct.
_playbook = table("playbook", column("id", Uuid), column("name", String))
_assignee = aliased(User, name="assignee")

_FAR_FUTURE = date(9999, 12, 31)
_PRIORITY_RANK = case(
    (Task.priority == TaskPriority.URGENT, 0),
    (Task.priority == TaskPriority.HIGH, 1),
    (Task.priority == TaskPriority.NORMAL, 2),
    else_=3,
)
SORT_FIELDS = {
    "due": SortField(func.coalesce(Task.due_on, literal(_FAR_FUTURE)), parse=parse_date),
    "priority": SortField(_PRIORITY_RANK, parse=int),
    "created_at": SortField(Task.created_at, parse=parse_datetime),
    "completed_at": SortField(
        func.coalesce(Task.completed_at, Task.created_at), parse=parse_datetime
    ),
}
RECENT_DONE_DAYS = 14
_AUDITED = (
    "account_id",
    "title",
    "description",
    "steps",
    "priority",
    "due_on",
    "assignee_id",
    "team_id",
    "source",
)


# ---------------------------------------------------------------------------- reading


def sees_every_team(session: Session, actor: Actor) -> bool:
    """Who may look at any team's tasks and KAI: administrators (and the system), and
    managers who sit in a management team (they lead the team leads)."""
    if not actor.can(Permission.TEAM_READ):
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.role is not Role.MANAGER or actor.team_id is None:
        return False
    return session.scalar(select(Team.kind).where(Team.id == actor.team_id)) is TeamKind.MANAGEMENT


def team_for_view(session: Session, actor: Actor, team_id: uuid.UUID | None) -> Team:
    """The team whose work ``actor`` asks to see; TEAM_READ, and one's own unless admin."""
    actor.require(Permission.TEAM_READ)
    wanted = team_id or actor.team_id
    if wanted is None:
        raise Invalid(FieldProblem(("query", "team_id"), "missing", "choose a team"))
    if wanted != actor.team_id and not sees_every_team(session, actor):
        raise Forbidden("only your own team's work is visible to you", code="other_team")
    team = session.get(Team, wanted)
    if team is None:
        raise NotFound("team not found")
    return team


def visible_teams(session: Session, actor: Actor) -> list[Team]:
    """Teams ``actor`` may pick in the team view (empty without TEAM_READ)."""
    if not actor.can(Permission.TEAM_READ):
        return []
    stmt = select(Team).order_by(Team.name)
    if not sees_every_team(session, actor):
        if actor.team_id is None:
            return []
        stmt = stmt.where(Team.id == actor.team_id)
    return list(session.scalars(stmt))


def access_task(session: Session, actor: Actor, task_id: uuid.UUID) -> Task:
    """The task if ``actor`` may see its account; the same NotFound otherwise."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task not found")
    try:
        access_account(session, actor, task.account_id)
    except NotFound:
        raise NotFound("task not found") from None
    return task


def _select() -> Select[Any]:
    return (
        select(
            Task,
            Account.name.label("account_name"),
            _assignee.name.label("assignee_name"),
            Team.name.label("team_name"),
            _playbook.c.name.label("playbook_name"),
        )
        .join(Account, Account.id == Task.account_id)
        .outerjoin(_assignee, _assignee.id == Task.assignee_id)
        .outerjoin(Team, Team.id == Task.team_id)
        .outerjoin(_playbook, _playbook.c.id == Task.playbook_id)
    )


def to_out(row: Any, today: date) -> TaskOut:
    task: Task = row[0]
    data = {k: getattr(task, k) for k in TaskOut.model_fields if hasattr(task, k)}
    data |= {
        "account_name": row.account_name,
        "assignee_name": row.assignee_name,
        "team_name": row.team_name,
        "playbook_name": row.playbook_name,
        "steps": list(task.steps or []),
        "why": dict(task.why or {}),
        "bucket": rules.bucket(task.due_on, task.snoozed_until, today)
        if task.status is TaskStatus.OPEN
        else None,
    }
    return TaskOut.model_validate(data)


def get_task(session: Session, actor: Actor, task_id: uuid.UUID, *, today: date) -> TaskOut:
    access_task(session, actor, task_id)
    return to_out(session.execute(_select().where(Task.id == task_id)).one(), today)


def _scope_condition(
    session: Session, actor: Actor, filters: TaskFilters
) -> ColumnElement[bool] | None:
    if filters.scope is Scope.MINE:
        if actor.user_id is None:
            return false()
        mine: ColumnElement[bool] = Task.assignee_id == actor.user_id
        if actor.team_id is not None:
            queue = and_(Task.assignee_id.is_(None), Task.team_id == actor.team_id)
            mine = or_(mine, queue)
        return mine
    if filters.scope is Scope.TEAM:
        team = team_for_view(session, actor, filters.team_id)
        members = select(User.id).where(User.team_id == team.id).scalar_subquery()
        return or_(Task.team_id == team.id, Task.assignee_id.in_(members))
    if filters.scope is Scope.ACCOUNT:
        if filters.account_id is None:
            raise Invalid(FieldProblem(("query", "account_id"), "missing", "choose an account"))
        return None
    if not sees_every_team(session, actor):
        raise Forbidden("only those who see every team can list every task", code="all_tasks")
    return None


def _view_condition(view: View, today: date) -> ColumnElement[bool] | None:
    is_open = Task.status == TaskStatus.OPEN
    not_snoozed = or_(Task.snoozed_until.is_(None), Task.snoozed_until <= today)
    conditions: dict[View, ColumnElement[bool] | None] = {
        View.TODAY: and_(is_open, Task.due_on <= today, not_snoozed),
        View.OVERDUE: and_(is_open, Task.due_on < today),
        View.UPCOMING: and_(is_open, or_(Task.due_on > today, Task.snoozed_until > today)),
        View.NO_DATE: and_(is_open, Task.due_on.is_(None), not_snoozed),
        View.OPEN: is_open,
        View.DONE: Task.status.in_([TaskStatus.DONE, TaskStatus.CANCELLED]),
        View.ALL: None,
    }
    return conditions[view]


def _filtered(
    session: Session, actor: Actor, filters: TaskFilters, stmt: Select[Any]
) -> Select[Any]:
    actor.require(Permission.ACCOUNT_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    scope = _scope_condition(session, actor, filters)
    if scope is not None:
        stmt = stmt.where(scope)
    for value, col in (
        (filters.account_id, Task.account_id),
        (filters.assignee_id, Task.assignee_id),
        (filters.playbook_id, Task.playbook_id),
        (filters.priority, Task.priority),
        (filters.status, Task.status),
        (filters.source, Task.source),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if filters.team_id is not None and filters.scope is not Scope.TEAM:
        stmt = stmt.where(Task.team_id == filters.team_id)
    return stmt


def list_tasks(
    session: Session,
    actor: Actor,
    filters: TaskFilters,
    *,
    today: date,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[TaskOut]:
    """Tasks in ``filters.scope`` and ``filters.view`` as of ``today`` (the viewer's date).

    Default order: due date first (undated last) for open views, newest closed first for
    ``done``.
    """
    stmt = _filtered(session, actor, filters, _select())
    view = _view_condition(filters.view, today)
    if view is not None:
        stmt = stmt.where(view)
    if sort is None:
        sort = "-completed_at" if filters.view is View.DONE else "due"
    return keyset_page(
        session,
        stmt,
        fields=SORT_FIELDS,
        sort=sort,
        id_column=Task.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: to_out(row, today),
    )


def _condition(view: View, today: date) -> ColumnElement[bool]:
    condition = _view_condition(view, today)
    if condition is None:
        raise ValueError(f"view {view} has no condition")
    return condition


def count_tasks(session: Session, actor: Actor, filters: TaskFilters, *, today: date) -> TaskCounts:
    """How many tasks each cockpit tab holds (one query); ``done`` = closed in 14 days."""
    since = utc_now() - timedelta(days=RECENT_DONE_DAYS)
    views = (View.OPEN, View.TODAY, View.OVERDUE, View.UPCOMING, View.NO_DATE)
    conditions = [_condition(v, today) for v in views]
    conditions.append(and_(_condition(View.DONE, today), Task.completed_at >= since))
    sums = [func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in conditions]
    stmt = _filtered(session, actor, filters.model_copy(update={"status": None}), select(*sums))
    open_n, today_n, overdue, upcoming, no_date, done = session.execute(stmt).one()
    return TaskCounts(
        open=int(open_n),
        today=int(today_n),
        overdue=int(overdue),
        upcoming=int(upcoming),
        no_date=int(no_date),
        done=int(done),
    )


def today_count(session: Session, actor: Actor, *, today: date) -> int:
    """The nav badge: my open tasks for today (due today or earlier, not snoozed)."""
    stmt = _filtered(session, actor, TaskFilters(), select(func.count(Task.id)))
    return int(session.scalar(stmt.where(_condition(View.TODAY, today))) or 0)


# ---------------------------------------------------------------------------- writing


def _check_people(
    session: Session, assignee_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> User | None:
    problems: list[FieldProblem] = []
    user = None
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.is_active:
            problems.append(
                FieldProblem(("body", "assignee_id"), "unknown_user", "no active user with this id")
            )
    if team_id is not None and session.get(Team, team_id) is None:
        problems.append(FieldProblem(("body", "team_id"), "unknown_team", "no such team"))
    if problems:
        raise Invalid(problems)
    return user


def _route(
    session: Session,
    actor: Actor,
    assignee_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    *,
    default_to_actor: bool,
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(assignee, team) for a new or reassigned task: a person brings their team along
    unless a team is named; a team alone is that team's queue."""
    if assignee_id is None and team_id is None:
        if not default_to_actor or actor.user_id is None:
            raise Invalid.field("assignee_id", "choose a person or a team", code="missing")
        assignee_id = actor.user_id
    user = _check_people(session, assignee_id, team_id)
    if user is not None and team_id is None:
        team_id = user.team_id
    return assignee_id, team_id


def create_task(session: Session, actor: Actor, data: TaskCreate) -> Task:
    """A manual task; assigned to the caller unless a person or a team is named."""
    actor.require(Permission.TASK_WRITE)
    access_account_for_input(session, actor, data.account_id)
    steps = rules.clean_steps([s.model_dump() for s in data.steps])
    assignee_id, team_id = _route(
        session, actor, data.assignee_id, data.team_id, default_to_actor=True
    )
    task = Task(
        account_id=data.account_id,
        title=data.title.strip(),
        description=data.description,
        steps=steps,
        status=TaskStatus.OPEN,
        priority=data.priority,
        due_on=data.due_on,
        assignee_id=assignee_id,
        team_id=team_id,
        source="manual",
        why={},
        outcome_note="",
        created_by_id=actor.user_id,
    )
    session.add(task)
    session.flush()
    audit.record(
        session,
        actor,
        "task.create",
        "task",
        task.id,
        summary=task.title,
        changes=audit.snapshot(task, _AUDITED),
    )
    return task


def _writable(session: Session, actor: Actor, task_id: uuid.UUID, action: str) -> Task:
    task = access_task(session, actor, task_id)
    actor.require(Permission.TASK_WRITE)
    rules.check_transition(task.status, action)
    return task


def _record(
    session: Session, actor: Actor, action: str, task: Task, changes: dict[str, Any]
) -> None:
    session.flush()
    audit.record(session, actor, action, "task", task.id, summary=task.title, changes=changes)


def update_task(session: Session, actor: Actor, task_id: uuid.UUID, data: TaskUpdate) -> Task:
    """Change the fields sent (``due_on: null`` clears the date) of an open task."""
    task = _writable(session, actor, task_id, "update")
    values = data.model_dump(exclude_unset=True)
    for name in ("title", "description", "priority", "steps"):
        if name in values and values[name] is None:
            values.pop(name)
    if "steps" in values:
        values["steps"] = rules.clean_steps(values["steps"])
    if "title" in values:
        values["title"] = values["title"].strip()
    changes = audit.apply_changes(task, values)
    if changes:
        _record(session, actor, "task.update", task, changes)
    return task


def tick_step(
    session: Session, actor: Actor, task_id: uuid.UUID, index: int, *, done: bool
) -> Task:
    """Mark checklist step ``index`` (0-based) done or not done."""
    task = _writable(session, actor, task_id, "tick")
    steps = rules.tick(task.steps or [], index, done)
    old = bool((task.steps or [])[index].get("done"))
    if old != done:
        task.steps = steps
        _record(session, actor, "task.step", task, {f"steps[{index}].done": [old, done]})
    return task


def snooze_task(
    session: Session, actor: Actor, task_id: uuid.UUID, until: date, *, today: date
) -> Task:
    """Hide the task from Today until ``until`` (after ``today``, the actor's date)."""
    task = _writable(session, actor, task_id, "snooze")
    rules.check_snooze_date(until, today)
    changes = audit.apply_changes(task, {"snoozed_until": until})
    if changes:
        _record(session, actor, "task.snooze", task, changes)
    return task


def reassign_task(session: Session, actor: Actor, task_id: uuid.UUID, data: TaskReassign) -> Task:
    """Give the task to a person (and their team) or to a team's queue."""
    task = _writable(session, actor, task_id, "reassign")
    assignee_id, team_id = _route(
        session, actor, data.assignee_id, data.team_id, default_to_actor=False
    )
    changes = audit.apply_changes(task, {"assignee_id": assignee_id, "team_id": team_id})
    if changes:
        _record(session, actor, "task.reassign", task, changes)
    return task


def cancel_task(session: Session, actor: Actor, task_id: uuid.UUID, *, note: str = "") -> Task:
    """Close the task without doing it (``completed_at`` records when it was closed)."""
    task = _writable(session, actor, task_id, "cancel")
    changes = audit.apply_changes(
        task,
        {
            "status": TaskStatus.CANCELLED,
            "outcome_note": note,
            "completed_at": utc_now(),
            "completed_by_id": actor.user_id,
        },
    )
    _record(session, actor, "task.cancel", task, changes)
    return task


def reopen_task(session: Session, actor: Actor, task_id: uuid.UUID) -> Task:
    """Open a done or cancelled task again (a playbook task only if no other is open)."""
    task = _writable(session, actor, task_id, "reopen")
    if task.playbook_id is not None:
        clash = session.scalar(
            select(Task.id).where(
                Task.account_id == task.account_id,
                Task.playbook_id == task.playbook_id,
                Task.status == TaskStatus.OPEN,
            )
        )
        if clash is not None:
            raise Conflict(
                "this playbook already has an open task on the account",
                code="open_playbook_task",
                task_id=str(clash),
            )
    changes = audit.apply_changes(
        task,
        {
            "status": TaskStatus.OPEN,
            "outcome": None,
            "completed_at": None,
            "completed_by_id": None,
            "snoozed_until": None,
        },
    )
    _record(session, actor, "task.reopen", task, changes)
    return task


def complete_task(session: Session, actor: Actor, task_id: uuid.UUID, data: TaskComplete) -> Task:
    """Close the task with an outcome and note; with ``log_activity`` also record an
    activity (subject = the task's title unless given, body = the note, now, by the actor)
    and link it. The caller's transaction makes the two one change: if the activity is
    refused, nothing of the completion is kept."""
    task = _writable(session, actor, task_id, "complete")
    now = utc_now()
    changes = audit.apply_changes(
        task,
        {
            "status": TaskStatus.DONE,
            "outcome": data.outcome.value,
            "outcome_note": data.note,
            "completed_at": now,
            "completed_by_id": actor.user_id,
        },
    )
    session.flush()
    if data.log_activity is not None:
        try:
            entry = ActivityCreate(
                account_id=task.account_id,
                kind=data.log_activity,
                subject=(data.activity_subject or task.title)[:300],
                body=data.note,
                occurred_at=now,
                duration_minutes=data.duration_minutes,
            )
        except ValidationError as exc:
            raise Invalid(
                [
                    FieldProblem(("body", "log_activity", *map(str, e["loc"])), e["type"], e["msg"])
                    for e in exc.errors()
                ]
            ) from None
        activity = activities.create_activity(session, actor, entry)
        changes |= audit.apply_changes(task, {"activity_id": activity.id})
    _record(session, actor, "task.complete", task, changes)
    outbox.publish(
        session,
        "task.completed",
        task.account_id,
        {
            "task_id": str(task.id),
            "playbook_id": str(task.playbook_id) if task.playbook_id else None,
            "outcome": data.outcome.value,
        },
    )
    return task


def playbook_choices(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Playbooks that have created tasks (for the cockpit's filter), by name."""
    actor.require(Permission.ACCOUNT_READ)
    rows = session.execute(
        select(_playbook.c.id, _playbook.c.name)
        .where(_playbook.c.id.in_(select(Task.playbook_id).where(Task.playbook_id.is_not(None))))
        .order_by(_playbook.c.name)
    )
    return [(r[0], r[1]) for r in rows]


def assignable_users(session: Session, actor: Actor) -> list[User]:
    """Active users a task can be given to (for the reassign form)."""
    actor.require(Permission.ACCOUNT_READ)
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


def all_teams(session: Session, actor: Actor) -> list[Team]:
    actor.require(Permission.ACCOUNT_READ)
    return list(session.scalars(select(Team).order_by(Team.name)))
