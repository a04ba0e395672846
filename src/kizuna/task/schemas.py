"""API shapes of tasks and KAI."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.enums import ActivityKind
from kizuna.models.task import TaskPriority, TaskStatus
from kizuna.task.rules import Bucket, Outcome


class Step(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    done: bool = False


class TaskCreate(BaseModel):
    """A manual task on an account; assignee defaults to the caller."""

    account_id: uuid.UUID
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    steps: list[Step] = Field(default_factory=list, max_length=50)
    priority: TaskPriority = TaskPriority.NORMAL
    due_on: date | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="defaults to the caller")
    team_id: uuid.UUID | None = Field(
        default=None, description="defaults to the assignee's team; alone: the team's queue"
    )


class TaskUpdate(BaseModel):
    """Partial update of an open task; ``steps``, when sent, replaces the checklist."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    steps: list[Step] | None = Field(default=None, max_length=50)
    priority: TaskPriority | None = None
    due_on: date | None = None


class TaskComplete(BaseModel):
    """Close a task with an outcome; ``log_activity`` also records an activity (same
    transaction) whose subject defaults to the task's title and body to the note."""

    outcome: Outcome
    note: str = Field(default="", max_length=20_000)
    log_activity: ActivityKind | None = None
    activity_subject: str | None = Field(default=None, min_length=1, max_length=300)
    duration_minutes: int | None = Field(default=None, ge=0, le=100_000)


class TaskSnooze(BaseModel):
    until: date = Field(description="hidden from Today until this date (must be after today)")


class TaskReassign(BaseModel):
    """To a person (their team follows unless ``team_id`` is sent) or to a team's queue."""

    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


class Scope(StrEnum):
    MINE = "mine"  # assigned to me, plus my team's unassigned queue
    TEAM = "team"  # a team's members and queue (TEAM_READ; managers: their own team)
    ACCOUNT = "account"  # one account's tasks (needs account_id)
    ALL = "all"  # every task (administrators, managers of a management team)


class View(StrEnum):
    TODAY = "today"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"  # due later or snoozed, then undated
    NO_DATE = "no_date"
    OPEN = "open"
    DONE = "done"  # done or cancelled, newest first
    ALL = "all"


class TaskFilters(BaseModel):
    scope: Scope = Scope.MINE
    view: View = View.OPEN
    account_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = Field(default=None, description="scope=team: defaults to yours")
    assignee_id: uuid.UUID | None = None
    playbook_id: uuid.UUID | None = None
    priority: TaskPriority | None = None
    status: TaskStatus | None = None
    source: str | None = Field(default=None, pattern="^(manual|playbook)$")


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    title: str
    description: str
    steps: list[dict[str, Any]]
    status: TaskStatus
    priority: TaskPriority
    due_on: date | None
    snoozed_until: date | None
    bucket: Bucket | None = Field(description="open tasks: where they sit as of today")
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    team_id: uuid.UUID | None
    team_name: str | None
    playbook_id: uuid.UUID | None
    playbook_version: int | None
    playbook_name: str | None
    source: str
    why: dict[str, Any]
    outcome: Outcome | None
    outcome_note: str
    completed_at: datetime | None
    completed_by_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class TaskCounts(BaseModel):
    """Open tasks per cockpit tab, and those closed in the last 14 days."""

    open: int
    today: int
    overdue: int
    upcoming: int
    no_date: int
    done: int


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


class KaiCounts(BaseModel):
    calls: int = 0
    meetings: int = 0
    proposals: int = 0
    qbrs: int = 0
    trainings: int = 0
    tasks_completed: int = 0
    tasks_overdue: int = 0


class KaiPeriod(BaseModel):
    start: date
    end: date = Field(description="last day of the period (inclusive)")
    counts: KaiCounts


class KaiPerson(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    periods: list[KaiPeriod]
    total: KaiCounts


class KaiReport(BaseModel):
    period: Period
    from_on: date
    to_on: date
    zone: str
    team_id: uuid.UUID | None
    team_name: str | None
    everyone: bool = Field(default=False, description="every active user (all teams)")
    people: list[KaiPerson]
    totals: list[KaiPeriod] = Field(description="everybody in the report, per period")
    total: KaiCounts
