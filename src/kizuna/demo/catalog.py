"""The demo vendor's own setup: its teams, staff and price list. Pure data."""

from __future__ import annotations

from kizuna.demo.model import DemoProduct, DemoTeam, DemoUser
from kizuna.models.enums import ProductKind, ProductUnit, Role, TeamKind

# Shared by every demo user; hashed once by the loader (argon2 is deliberately slow).
DEMO_PASSWORD = "kizuna-demo-2026"
DEMO_DOMAIN = "demo.kizuna.jp"

TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam(TeamKind.SUPPORT, "カスタマーサポート", "問い合わせ対応とテクニカルサポート"),
    DemoTeam(TeamKind.CUSTOMER_SALES, "カスタマーセールス", "更新・アップセル・クロスセル"),
    DemoTeam(TeamKind.CUSTOMER_MARKETING, "カスタマーマーケティング", "ユーザー会とナーチャリング"),
    DemoTeam(TeamKind.CSM, "カスタマーサクセス", "オンボーディングと活用支援"),
    DemoTeam(TeamKind.SALES, "フィールドセールス", "新規顧客の獲得"),
    DemoTeam(TeamKind.CS_OPS, "CS Ops", "CS部門の仕組みづくりとデータ管理"),
    DemoTeam(TeamKind.MANAGEMENT, "マネジメント", "CS部門の統括"),
)


def _user(
    local: str, role: Role, name: str, team: TeamKind, capacity: int | None = None
) -> DemoUser:
    return DemoUser(f"{local}@{DEMO_DOMAIN}", name, role, team, capacity)


USERS: tuple[DemoUser, ...] = (
    _user("admin", Role.ADMIN, "佐藤 美咲", TeamKind.CS_OPS),
    _user("manager", Role.MANAGER, "高橋 誠", TeamKind.MANAGEMENT),
    _user("csm1", Role.CSM, "田中 陽菜", TeamKind.CSM, 65),
    _user("csm2", Role.CSM, "伊藤 翔太", TeamKind.CSM, 60),
    _user("csm3", Role.CSM, "渡辺 結衣", TeamKind.CSM, 60),
    _user("csm4", Role.CSM, "山本 大輔", TeamKind.CSM, 55),
    _user("csm5", Role.CSM, "中村 彩", TeamKind.CSM, 55),
    _user("csm6", Role.CSM, "小林 拓也", TeamKind.CSM, 50),
    _user("support1", Role.SUPPORT, "加藤 さくら", TeamKind.SUPPORT),
    _user("support2", Role.SUPPORT, "吉田 健太", TeamKind.SUPPORT),
    _user("cs-sales1", Role.CUSTOMER_SALES, "山口 直樹", TeamKind.CUSTOMER_SALES),
    _user("cs-sales2", Role.CUSTOMER_SALES, "松本 葵", TeamKind.CUSTOMER_SALES),
    _user("cs-sales3", Role.CUSTOMER_SALES, "井上 亮", TeamKind.CUSTOMER_SALES),
    _user("marketing1", Role.CUSTOMER_MARKETING, "木村 恵", TeamKind.CUSTOMER_MARKETING),
    _user("ae1", Role.SALES, "林 隆", TeamKind.SALES),
    _user("ae2", Role.SALES, "斎藤 麻衣", TeamKind.SALES),
    _user("ae3", Role.SALES, "清水 和也", TeamKind.SALES),
    _user("viewer", Role.READ_ONLY, "森 優子", TeamKind.MANAGEMENT),
)

# (email, role, display name) of every demo login; all use DEMO_PASSWORD.
DEMO_USERS: list[tuple[str, Role, str]] = [(u.email, u.role, u.name) for u in USERS]


def users_with(role: Role) -> tuple[str, ...]:
    """E-mails of the demo users holding ``role``, in a stable order."""
    return tuple(u.email for u in USERS if u.role is role)


# Codes the generator and the usage-event generator refer to.
PLAN_STARTER = "PLAN-STARTER"
PLAN_STANDARD = "PLAN-STD"
PLAN_ENTERPRISE = "PLAN-ENT"
OPT_ANALYTICS = "OPT-ANALYTICS"
OPT_API = "OPT-API"
OPT_SSO = "OPT-SSO"
ADD_STORAGE = "ADD-STORAGE"
OPT_WORKFLOW = "OPT-WORKFLOW"
SVC_ONBOARDING = "SVC-ONBOARD"

BASE_PLANS = (PLAN_STARTER, PLAN_STANDARD, PLAN_ENTERPRISE)
OPTIONS = (OPT_ANALYTICS, OPT_API, OPT_SSO, ADD_STORAGE, OPT_WORKFLOW)

PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        PLAN_STARTER,
        "スタータープラン",
        "Starter Plan",
        ProductKind.BASE_PLAN,
        ProductUnit.SEAT,
        1500,
        "小規模チーム向けの基本プラン(1ユーザー/月)",
    ),
    DemoProduct(
        PLAN_STANDARD,
        "スタンダードプラン",
        "Standard Plan",
        ProductKind.BASE_PLAN,
        ProductUnit.SEAT,
        3000,
        "部門導入向けの標準プラン(1ユーザー/月)",
    ),
    DemoProduct(
        PLAN_ENTERPRISE,
        "エンタープライズプラン",
        "Enterprise Plan",
        ProductKind.BASE_PLAN,
        ProductUnit.SEAT,
        5000,
        "全社導入向けの上位プラン(1ユーザー/月)",
    ),
    DemoProduct(
        OPT_ANALYTICS,
        "分析オプション",
        "Analytics Option",
        ProductKind.OPTION,
        ProductUnit.SEAT,
        500,
        "高度なレポートと分析機能(1ユーザー/月)",
    ),
    DemoProduct(
        OPT_API,
        "API連携オプション",
        "API Integration Option",
        ProductKind.OPTION,
        ProductUnit.FIXED,
        30000,
        "基幹システムとのAPI連携(月額固定)",
    ),
    DemoProduct(
        OPT_SSO,
        "SSOオプション",
        "SSO Option",
        ProductKind.OPTION,
        ProductUnit.SEAT,
        300,
        "SAMLによるシングルサインオン(1ユーザー/月)",
    ),
    DemoProduct(
        ADD_STORAGE,
        "追加ストレージ",
        "Additional Storage",
        ProductKind.ADD_ON,
        ProductUnit.FIXED,
        10000,
        "100GB単位の追加ストレージ(月額固定)",
    ),
    DemoProduct(
        OPT_WORKFLOW,
        "ワークフロー自動化オプション",
        "Workflow Automation Option",
        ProductKind.OPTION,
        ProductUnit.FIXED,
        50000,
        "承認フローと定型業務の自動化(月額固定)",
    ),
    DemoProduct(
        SVC_ONBOARDING,
        "導入支援パック",
        "Onboarding Package",
        ProductKind.SERVICE,
        ProductUnit.FIXED,
        50000,
        "初年度の導入・定着支援(初年度のみ、月額)",
    ),
)

PRICES: dict[str, int] = {p.code: p.list_price_amount for p in PRODUCTS}

# Expansion signals (health/expansion.py): usage of the base product that an option sells
# more of — heavy manual exports call for the API integration, a large user base for SSO.
# Stored on the products' custom fields ``expansion_metric`` / ``expansion_threshold``.
EXPANSION_USAGE: dict[str, tuple[str, float]] = {
    OPT_API: ("usage:exported_rows:month", 100_000),
    OPT_SSO: ("usage:active_users:month", 500),
}
SEAT_PRICED: frozenset[str] = frozenset(p.code for p in PRODUCTS if p.unit is ProductUnit.SEAT)
