"""Mutable working state for one demo account while the generator builds it.

Each generation step fills in part of a ``Story``; the generator finally turns stories
into the frozen values of ``kizuna.demo.model``. Months are indexes into
``DemoData.months``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from kizuna.demo.model import DemoAccount, DemoContact
from kizuna.models.enums import ContactRole, Phase, Tier


@dataclass
class LineDraft:
    """A subscription line before ids are numbered; months are month indexes."""

    product_code: str
    quantity: int
    discount_percent: Decimal
    start: int
    end: int | None = None
    contract_key: tuple[int, int] = (0, 0)
    auto_renew: bool = True


@dataclass
class Story:
    index: int
    external_id: str
    name: str
    name_kana: str
    domain: str
    industry: str
    employee_count: int
    region: str
    area_code: str
    start: int
    billing_period_months: int
    texts: dict[str, str]
    created_at: datetime
    engagement: tuple[float, ...] = ()
    lines: list[LineDraft] = field(default_factory=list)
    # Month indexes: when each tenure began, when it churned, and every renewal.
    tenure_starts: list[int] = field(default_factory=list)
    churns: list[int] = field(default_factory=list)
    renewals: list[int] = field(default_factory=list)
    # Base-plan seats per active month (missing month = no active base line).
    seats: dict[int, int] = field(default_factory=dict)
    value: int = 0
    tier: Tier = Tier.TIER3
    phase: Phase = Phase.ADOPTION
    owners: dict[str, str] = field(default_factory=dict)
    contacts: list[DemoContact] = field(default_factory=list)

    def is_active(self, month: int) -> bool:
        return month in self.seats

    def contacts_with(self, role: ContactRole) -> list[DemoContact]:
        return [c for c in self.contacts if role in c.roles]

    def to_account(self) -> DemoAccount:
        return DemoAccount(
            external_id=self.external_id,
            name=self.name,
            name_kana=self.name_kana,
            domain=self.domain,
            industry=self.industry,
            employee_count=self.employee_count,
            region=self.region,
            tier=self.tier,
            phase=self.phase,
            purpose_of_adoption=self.texts["purpose"],
            business_challenges=self.texts["challenges"],
            success_criteria=self.texts["criteria"],
            expansion_room=self.texts["expansion"],
            csm_owner=self.owners["csm"],
            sales_owner=self.owners["sales"],
            ae_owner=self.owners["ae"],
            support_owner=self.owners["support"],
            created_at=self.created_at,
        )
