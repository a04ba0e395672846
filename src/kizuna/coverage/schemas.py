"""Coverage model, tier rules, assignment rules, runs and books: API/CLI shapes."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.models.coverage import AssignmentStrategy, OwnerField, TouchModel
from kizuna.models.enums import Tier


class TierCoverage(BaseModel):
    """How one tier is covered. ``stored`` is false while seed 000's defaults apply."""

    tier: Tier
    touch_model: TouchModel
    team_id: uuid.UUID | None
    team_name: str | None = None
    accounts_per_person: int | None = Field(default=None, ge=1, le=100_000)
    cadence_days: int | None = Field(default=None, ge=1, le=3_650)
    description: str = Field(default="", max_length=2000)
    stored: bool = False


class TierCoverageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    touch_model: TouchModel
    team_id: uuid.UUID | None = None
    accounts_per_person: int | None = Field(default=None, ge=1, le=100_000)
    cadence_days: int | None = Field(default=None, ge=1, le=3_650)
    description: str = Field(default="", max_length=2000)


class TierRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=200)
    condition: dict[str, Any] = Field(default_factory=dict)
    tier: Tier
    enabled: bool = True


class TierRuleOut(TierRuleIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID | None = None
    position: int = 0


class AssignmentRuleIn(BaseModel):
    """``user_id`` for fixed_user; ``team_id`` for round_robin and least_loaded.
    ``reassign``: also matched accounts that already have an owner (outside the team)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=200)
    condition: dict[str, Any] = Field(default_factory=dict)
    owner_field: OwnerField
    strategy: AssignmentStrategy
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    reassign: bool = False
    enabled: bool = True


class AssignmentRuleOut(AssignmentRuleIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID | None = None
    position: int = 0
    last_user_id: uuid.UUID | None = None


class TierRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[TierRuleIn] = Field(max_length=200)


class AssignmentRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[AssignmentRuleIn] = Field(max_length=200)


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True
    tiers: bool = True
    assignment: bool = True


class TierChange(BaseModel):
    account_id: uuid.UUID
    account_name: str
    old: Tier | None
    new: Tier
    rule: str | None = Field(description="The rule that matched; null: none did (Tier 3)")


class OwnerChange(BaseModel):
    account_id: uuid.UUID
    account_name: str
    field: OwnerField
    old_user_id: uuid.UUID | None
    old_user_name: str | None
    new_user_id: uuid.UUID
    new_user_name: str
    rule: str


class Unassigned(BaseModel):
    account_id: uuid.UUID
    account_name: str
    field: OwnerField
    rule: str
    reason: str = Field(description="no_room | no_members | inactive_user")


class TierRun(BaseModel):
    dry_run: bool
    rules: int
    accounts: int
    pinned: int
    changes: list[TierChange]


class AssignmentRun(BaseModel):
    dry_run: bool
    rules: int
    changes: list[OwnerChange]
    unassigned: list[Unassigned]


class ApplyOut(BaseModel):
    tiers: TierRun | None = None
    assignment: AssignmentRun | None = None


class BookOut(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    team_id: uuid.UUID | None
    team_name: str | None
    capacity: int | None
    accounts: int
    by_tier: dict[str, int]
    mrr_amount: int = Field(description="Minor units of the reporting currency (signal.mrr)")
    health: dict[str, int]
    utilisation: float | None
    over_capacity: bool
    target_load: float | None


class MoveOut(BaseModel):
    account_id: uuid.UUID
    account_name: str
    tier: Tier | None
    mrr_amount: int
    from_user_id: uuid.UUID
    from_user_name: str
    to_user_id: uuid.UUID
    to_user_name: str


class TeamTotalOut(BaseModel):
    team_id: uuid.UUID | None
    team_name: str | None
    people: int
    accounts: int
    capacity: int
    mrr_amount: int
    health: dict[str, int]
    utilisation: float | None


class BooksOut(BaseModel):
    field: OwnerField
    currency: str
    books: list[BookOut]
    teams: list[TeamTotalOut]
    moves: list[MoveOut]
    unowned: int = Field(description="Accounts with nobody in this owner field")


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID


class RebalanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: OwnerField = OwnerField.CSM_OWNER
    moves: list[MoveIn] = Field(min_length=1, max_length=5000)


class RebalanceOut(BaseModel):
    moved: int
    stale: list[uuid.UUID] = Field(description="Accounts whose owner changed meanwhile: skipped")


class TierCoverageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    touch_model: TouchModel
    team: str | None = Field(default=None, description="Team name")
    accounts_per_person: int | None = Field(default=None, ge=1, le=100_000)
    cadence_days: int | None = Field(default=None, ge=1, le=3_650)
    description: str = Field(default="", max_length=2000)


class TierRuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    condition: dict[str, Any] = Field(default_factory=dict)
    tier: Tier
    enabled: bool = True


class AssignmentRuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    condition: dict[str, Any] = Field(default_factory=dict)
    owner_field: OwnerField
    strategy: AssignmentStrategy
    user: str | None = Field(default=None, description="E-mail of the fixed user")
    team: str | None = Field(default=None, description="Team name")
    reassign: bool = False
    enabled: bool = True


class RulesFile(BaseModel):
    """``kizuna coverage rules export/import``: the coverage model and both rule lists, with
    teams by name and users by e-mail so a file moves between installations."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[TierCoverageFile] = Field(default_factory=list)
    tier_rules: list[TierRuleFile] = Field(default_factory=list)
    assignment_rules: list[AssignmentRuleFile] = Field(default_factory=list)


class TierPinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pinned: bool
    tier: Tier | None = Field(default=None, description="Also set the tier (else keep it)")


class TierPinOut(BaseModel):
    account_id: uuid.UUID
    tier: Tier | None
    tier_pinned: bool
