"""Playbook inputs and outputs (API, pages, CLI)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.playbook import PlaybookStatus, VersionStatus

KEY_PATTERN = r"^[a-z][a-z0-9_\-]{0,63}$"


class PlaybookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN, description="stable identifier, e.g. onboarding_stalled")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    team_id: uuid.UUID | None = Field(default=None, description="the team tasks are routed to")
    definition: dict[str, Any] = Field(description="trigger / audience / actions (see docs)")
    note: str = Field(default="", max_length=2000)


class PlaybookUpdate(BaseModel):
    """Fields left out are unchanged. A new ``definition`` goes into the draft version."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    team_id: uuid.UUID | None = None
    definition: dict[str, Any] | None = None
    note: str | None = Field(default=None, max_length=2000)


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class ApplyRequest(BaseModel):
    """Accounts to run a manual playbook on: ids, the members of a segment, or both."""

    model_config = ConfigDict(extra="forbid")

    account_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    segment_id: uuid.UUID | None = None


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft: bool = Field(default=True, description="use the draft version when there is one")
    account_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=10_000, description="manual playbooks: these accounts"
    )


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    until: date = Field(description="the playbook does not fire for the account before this day")
    reason: str = Field(default="", max_length=1000)


class SnoozeOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    until: date
    reason: str
    created_at: datetime


class VersionOut(BaseModel):
    number: int
    status: VersionStatus
    note: str
    definition: dict[str, Any]
    created_by_name: str | None
    created_at: datetime
    published_at: datetime | None


class PlaybookOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    description: str
    status: PlaybookStatus
    team_id: uuid.UUID | None
    team_name: str | None
    published_version: int | None
    latest_version: int
    has_draft: bool
    trigger_type: str
    trigger_summary: str
    trigger: dict[str, Any] = Field(description="the published (else latest) version's trigger")
    fired_7d: int = 0
    fired_30d: int = 0
    open_tasks: int = 0
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PlaybookDetail(PlaybookOut):
    definition: dict[str, Any] = Field(description="the latest version's (draft if any)")
    published_definition: dict[str, Any] | None
    versions: list[VersionOut]


class TaskPreview(BaseModel):
    title: str
    due_on: date
    priority: str
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    assignee_email: str | None
    team_id: uuid.UUID | None
    team_name: str | None
    route: str
    primary: bool = Field(description="the task that de-duplicates (one open per account)")


class FiredOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    why: dict[str, Any]
    tasks: list[TaskPreview] = Field(default_factory=list)
    notifications: list[str] = Field(default_factory=list)
    updates: list[str] = Field(default_factory=list)


class SkipOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    reason: str  # already_open | cooldown | snoozed


class PlaybookReport(BaseModel):
    playbook_id: uuid.UUID
    key: str
    name: str
    version: int
    trigger_type: str
    trigger_summary: str
    fired_count: int = 0
    tasks_created: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    fired: list[FiredOut] = Field(default_factory=list, description="the first 200")
    skipped_accounts: list[SkipOut] = Field(default_factory=list, description="the first 200")
    error: str | None = None


class RunReport(BaseModel):
    run_id: uuid.UUID | None = Field(description="None for a dry run (nothing was written)")
    dry_run: bool
    today: date
    started_at: datetime
    duration_ms: int
    accounts: int
    fired: int
    tasks_created: int
    playbooks: list[PlaybookReport]


class FiringOut(BaseModel):
    id: uuid.UUID
    playbook_id: uuid.UUID
    playbook_key: str
    version: int
    account_id: uuid.UUID
    account_name: str
    fired_at: datetime
    why: dict[str, Any]
    actions: dict[str, Any]


class RunOut(BaseModel):
    id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int
    origin: str
    playbooks: int
    accounts: int
    fired: int
    skipped: int
    tasks_created: int
    stats: dict[str, Any]
    errors: list[dict[str, Any]]


class ImportResult(BaseModel):
    playbook: PlaybookDetail
    created: bool
