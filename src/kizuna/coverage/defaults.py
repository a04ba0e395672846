"""Seed 000's coverage model, and which owner field each kind of team fills.

Seed 000 splits customer success into support, customer sales and customer marketing:
Tier 1 (upsell/cross-sell likely) is covered high-touch by customer sales; Tier 2 by
customer sales where the odds are high and low-touch by customer marketing otherwise;
Tier 3 (aim only at lower churn) low/tech-touch by customer marketing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kizuna.models.coverage import OwnerField, TouchModel
from kizuna.models.enums import Role, TeamKind, Tier


@dataclass(frozen=True)
class DefaultCoverage:
    tier: Tier
    touch_model: TouchModel
    team_kinds: tuple[TeamKind, ...]  # the first team of the first kind present owns it
    accounts_per_person: int | None
    cadence_days: int | None
    description: str


DEFAULT_COVERAGE: tuple[DefaultCoverage, ...] = (
    DefaultCoverage(
        Tier.TIER1,
        TouchModel.HIGH_TOUCH,
        (TeamKind.CUSTOMER_SALES, TeamKind.CSM),
        20,
        14,
        "アップセル/クロスセルの可能性が高い企業。カスタマーセールスがハイタッチで担当"
        "(KPI: アップセル/クロスセル金額、パイプライン)。",
    ),
    DefaultCoverage(
        Tier.TIER2,
        TouchModel.LOW_TOUCH,
        (TeamKind.CUSTOMER_SALES, TeamKind.CSM),
        60,
        30,
        "角度の高い企業はカスタマーセールスがハイタッチ、その他はカスタマーマーケティングが"
        "ロータッチで支援。",
    ),
    DefaultCoverage(
        Tier.TIER3,
        TouchModel.TECH_TOUCH,
        (TeamKind.CUSTOMER_MARKETING, TeamKind.CSM),
        300,
        90,
        "チャーンレートの低減を目指す企業。カスタマーマーケティングがロータッチ/テックタッチで"
        "支援(KPI: オンボーディング完了率、ヘルススコア、チャーンレート)。",
    ),
)

# The owner field whose holders a team of this kind provides (books and re-balancing).
TEAM_FIELD: dict[TeamKind, OwnerField] = {
    TeamKind.CSM: OwnerField.CSM_OWNER,
    TeamKind.CUSTOMER_SALES: OwnerField.SALES_OWNER,
    TeamKind.SUPPORT: OwnerField.SUPPORT_OWNER,
    TeamKind.SALES: OwnerField.AE_OWNER,
}
# The people a book-of-business view lists by default for an owner field.
ROLE_FIELD: dict[Role, OwnerField] = {
    Role.CSM: OwnerField.CSM_OWNER,
    Role.CUSTOMER_SALES: OwnerField.SALES_OWNER,
    Role.SUPPORT: OwnerField.SUPPORT_OWNER,
    Role.SALES: OwnerField.AE_OWNER,
}
