"""/api/v1/tasks"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from kizuna.api.deps import AccountReader, DbSession, need
from kizuna.api.schemas import PageOut
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.task import service
from kizuna.task.schemas import (
    TaskComplete,
    TaskCounts,
    TaskCreate,
    TaskFilters,
    TaskOut,
    TaskReassign,
    TaskSnooze,
    TaskUpdate,
)

router = APIRouter(prefix="/tasks", tags=["tasks"])
TaskWriter = Annotated[Actor, Depends(need(Permission.TASK_WRITE))]

SORT_HELP = (
    "due (undated last), priority (urgent first), created_at, completed_at; prefix '-' for "
    "descending. Default: due, or -completed_at for view=done"
)


@router.get("", response_model=PageOut[TaskOut], summary="List tasks")
def list_tasks(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[TaskFilters, Depends()],
    sort: Annotated[str | None, Query(description=SORT_HELP)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[TaskOut]:
    """`scope`: mine (assigned to you, plus your team's unassigned queue), team (TEAM_READ;
    managers their own team; administrators and managers of a management team any
    `team_id`), account (needs `account_id`), all (those who see every team).
    `view`: today (due today or earlier and not snoozed), overdue, upcoming (due later or
    snoozed), no_date, open, done (done or cancelled), all. Dates are judged in your time
    zone."""
    with session.begin():
        page = service.list_tasks(
            session,
            actor,
            filters,
            today=today(actor.timezone),
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.get("/counts", response_model=TaskCounts, summary="Count tasks per cockpit tab")
def count_tasks(
    actor: AccountReader, session: DbSession, filters: Annotated[TaskFilters, Depends()]
) -> TaskCounts:
    """Open tasks today / overdue / upcoming / without a date, and those closed in the last
    14 days, for the same `scope` and filters as the list (`view` and `status` ignored)."""
    with session.begin():
        return service.count_tasks(session, actor, filters, today=today(actor.timezone))


@router.post("", response_model=TaskOut, status_code=201, summary="Create a task")
def create_task(body: TaskCreate, actor: TaskWriter, session: DbSession) -> TaskOut:
    """A manual task. Without `assignee_id` and `team_id` it is yours; a person brings their
    team along; a team alone puts it in that team's queue."""
    with session.begin():
        task = service.create_task(session, actor, body)
        return service.get_task(session, actor, task.id, today=today(actor.timezone))


@router.get("/{task_id}", response_model=TaskOut, summary="Get a task")
def get_task(task_id: uuid.UUID, actor: AccountReader, session: DbSession) -> TaskOut:
    with session.begin():
        return service.get_task(session, actor, task_id, today=today(actor.timezone))


@router.patch("/{task_id}", response_model=TaskOut, summary="Update an open task")
def update_task(
    task_id: uuid.UUID, body: TaskUpdate, actor: TaskWriter, session: DbSession
) -> TaskOut:
    """Title, description, priority, due date (`null` clears it) and the checklist (`steps`
    replaces it; tick a step by sending it back with `done: true`). 409 unless open."""
    with session.begin():
        service.update_task(session, actor, task_id, body)
        return service.get_task(session, actor, task_id, today=today(actor.timezone))


@router.post("/{task_id}/complete", response_model=TaskOut, summary="Complete a task")
def complete_task(
    task_id: uuid.UUID, body: TaskComplete, actor: TaskWriter, session: DbSession
) -> TaskOut:
    """Close with an `outcome` (done_success, done_no_response, done_rescheduled,
    not_needed) and a note; `log_activity` (call, meeting, proposal, …) also records an
    activity now, authored by you, linked as `activity_id`. All or nothing."""
    with session.begin():
        service.complete_task(session, actor, task_id, body)
        return service.get_task(session, actor, task_id, today=today(actor.timezone))


@router.post("/{task_id}/snooze", response_model=TaskOut, summary="Snooze a task")
def snooze_task(
    task_id: uuid.UUID, body: TaskSnooze, actor: TaskWriter, session: DbSession
) -> TaskOut:
    """Hidden from Today until `until` (a later date in your time zone)."""
    with session.begin():
        day = today(actor.timezone)
        service.snooze_task(session, actor, task_id, body.until, today=day)
        return service.get_task(session, actor, task_id, today=day)


@router.post("/{task_id}/reassign", response_model=TaskOut, summary="Reassign a task")
def reassign_task(
    task_id: uuid.UUID, body: TaskReassign, actor: TaskWriter, session: DbSession
) -> TaskOut:
    with session.begin():
        service.reassign_task(session, actor, task_id, body)
        return service.get_task(session, actor, task_id, today=today(actor.timezone))


@router.post("/{task_id}/cancel", response_model=TaskOut, summary="Cancel a task")
def cancel_task(
    task_id: uuid.UUID,
    actor: TaskWriter,
    session: DbSession,
    note: Annotated[str, Body(embed=True, max_length=20_000)] = "",
) -> TaskOut:
    with session.begin():
        service.cancel_task(session, actor, task_id, note=note)
        return service.get_task(session, actor, task_id, today=today(actor.timezone))


@router.post("/{task_id}/reopen", response_model=TaskOut, summary="Reopen a closed task")
def reopen_task(task_id: uuid.UUID, actor: TaskWriter, session: DbSession) -> TaskOut:
    """409 when the task is open, or when its playbook already has another open task on
    the account."""
    with session.begin():
        service.reopen_task(session, actor, task_id)
        return service.get_task(session, actor, task_id, today=today(actor.timezone))
