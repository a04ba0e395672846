"""Plain value objects produced by the demo generator (no ORM, no database).

Objects refer to each other by natural keys: users by e-mail, teams by kind, products by
code and everything else by ``external_id``. The loader turns those into row ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    Influence,
    InquiryStatus,
    Phase,
    ProductKind,
    ProductUnit,
    Role,
    SurveyKind,
    TeamKind,
    Tier,
)


@dataclass(frozen=True, slots=True)
class DemoTeam:
    kind: TeamKind
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    role: Role
    team: TeamKind
    capacity_accounts: int | None = None


@dataclass(frozen=True, slots=True)
class DemoProduct:
    code: str
    name: str
    name_en: str
    kind: ProductKind
    unit: ProductUnit
    list_price_amount: int
    description: str


@dataclass(frozen=True, slots=True)
class DemoAccount:
    external_id: str
    name: str
    name_kana: str
    domain: str
    industry: str
    employee_count: int
    region: str
    tier: Tier
    phase: Phase
    purpose_of_adoption: str
    business_challenges: str
    success_criteria: str
    expansion_room: str
    csm_owner: str
    sales_owner: str
    ae_owner: str
    support_owner: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoContact:
    external_id: str
    account: str
    name: str
    name_kana: str
    email: str
    phone: str
    title: str
    department: str
    influence: Influence
    roles: tuple[ContactRole, ...]
    is_primary: bool
    email_opt_out: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoLine:
    """One subscription line; active on d when ``start_on <= d < end_on``."""

    external_id: str
    account: str
    product_code: str
    contract_ref: str
    quantity: int
    unit_list_price_amount: int
    discount_percent: Decimal
    mrr_amount: int
    start_on: date
    end_on: date
    term_months: int
    billing_period_months: int
    auto_renew: bool


@dataclass(frozen=True, slots=True)
class DemoActivity:
    external_id: str
    account: str
    kind: ActivityKind
    subject: str
    body: str
    occurred_at: datetime
    duration_minutes: int | None
    is_pre_sale: bool
    author: str
    users: tuple[str, ...]
    contacts: tuple[str, ...]
    inquiry_status: InquiryStatus | None = None
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DemoSurvey:
    external_id: str
    account: str
    contact: str | None
    kind: SurveyKind
    score: int
    comment: str
    responded_on: date


@dataclass(frozen=True)
class DemoData:
    """Everything the demo consists of.

    ``months`` are the first days of the months from the earliest possible account start
    up to the current month; ``engagement[external_id][i]`` is the hidden engagement
    (0–1) of that account in ``months[i]``. Outcomes (churn, expansion, activity mix,
    survey scores, product usage) are all drawn from it.
    """

    seed: int
    today: date
    window_start: date
    months: tuple[date, ...]
    teams: tuple[DemoTeam, ...]
    users: tuple[DemoUser, ...]
    products: tuple[DemoProduct, ...]
    accounts: tuple[DemoAccount, ...]
    contacts: tuple[DemoContact, ...]
    lines: tuple[DemoLine, ...]
    activities: tuple[DemoActivity, ...]
    surveys: tuple[DemoSurvey, ...]
    engagement: Mapping[str, tuple[float, ...]]

    def month_index(self, day: date) -> int:
        """Index into ``months`` (and each engagement list) of the month holding ``day``."""
        first = self.months[0]
        return (day.year - first.year) * 12 + day.month - first.month
