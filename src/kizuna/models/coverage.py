"""Tiers, the coverage model and assignment rules (C6, seed 000 and seed 001 §6).

* ``CoverageTier`` — one row per tier: how it is covered (touch model), which team owns
  it, how many accounts one person of that team should hold, how often to touch them.
  Rows are created on first edit; until then the defaults of seed 000 apply
  (``coverage/defaults.py``).
* ``TierRule`` — ordered (condition → tier); the first matching rule wins, accounts no
  rule matches get Tier 3, accounts with ``Account.tier_pinned`` are never changed.
* ``AssignmentRule`` — ordered (condition → owner field → strategy); ``last_user_id`` is
  the round-robin pointer, so a run continues where the previous one stopped.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, TimestampMixin
from kizuna.models.enums import Tier, str_enum


class TouchModel(StrEnum):
    HIGH_TOUCH = "high_touch"
    LOW_TOUCH = "low_touch"
    TECH_TOUCH = "tech_touch"


class OwnerField(StrEnum):
    """The account owner columns an assignment rule can fill."""

    CSM_OWNER = "csm_owner"
    SALES_OWNER = "sales_owner"
    AE_OWNER = "ae_owner"
    SUPPORT_OWNER = "support_owner"


class AssignmentStrategy(StrEnum):
    FIXED_USER = "fixed_user"  # always the rule's user
    ROUND_ROBIN = "round_robin"  # next active member of the team with free capacity
    LEAST_LOADED = "least_loaded"  # the team's member holding the fewest accounts


class CoverageTier(IdMixin, TimestampMixin, Base):
    __tablename__ = "coverage_tier"

    tier: Mapped[Tier] = mapped_column(str_enum(Tier, "tier"), unique=True)
    touch_model: Mapped[TouchModel] = mapped_column(str_enum(TouchModel, "touch_model"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    accounts_per_person: Mapped[int | None] = mapped_column(Integer)
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")


class TierRule(IdMixin, TimestampMixin, Base):
    __tablename__ = "tier_rule"

    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tier: Mapped[Tier] = mapped_column(str_enum(Tier, "tier"))
    enabled: Mapped[bool] = mapped_column(default=True)


class AssignmentRule(IdMixin, TimestampMixin, Base):
    __tablename__ = "assignment_rule"

    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_field: Mapped[OwnerField] = mapped_column(str_enum(OwnerField, "owner_field"))
    strategy: Mapped[AssignmentStrategy] = mapped_column(
        str_enum(AssignmentStrategy, "assignment_strategy")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    reassign: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Round-robin pointer: the member who got the last account from this rule.
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


# Seed 000: Tier 1 high touch, Tier 2 low touch, Tier 3 low/tech touch. Used until the
# tier's CoverageTier row says otherwise (the facts provider reads it too).
DEFAULT_TOUCH_MODEL: dict[Tier, TouchModel] = {
    Tier.TIER1: TouchModel.HIGH_TOUCH,
    Tier.TIER2: TouchModel.LOW_TOUCH,
    Tier.TIER3: TouchModel.TECH_TOUCH,
}
