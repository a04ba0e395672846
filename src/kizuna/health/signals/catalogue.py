"""The catalogue of signals a measure or the model can read, with their meaning."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.sources import GRAINS
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import CustomFieldObject, CustomFieldType
from kizuna.models.usage_metric import UsageMetric


class Group(StrEnum):
    """DEAR (seed 001 §4-4…4-7) plus the sources a scorecard may also draw on."""

    DEPLOYMENT = "deployment"  # 導入完了度
    ENGAGEMENT = "engagement"  # 関係性
    ADOPTION = "adoption"  # 活用度
    ROI = "roi"  # 費用対効果
    SUPPORT = "support"
    REVENUE = "revenue"
    ACCOUNT = "account"


class Unit(StrEnum):
    COUNT = "count"
    NUMBER = "number"  # a quantity with decimals (a rate, events per ¥10,000)
    DAYS = "days"
    HOURS = "hours"
    SCORE = "score"
    RATIO = "ratio"  # 0–1, shown as %
    PERCENT = "percent"  # already ×100
    YEN = "yen"  # reporting currency, whole units
    FLAG = "flag"  # 0/1


@dataclass(frozen=True)
class SignalSpec:
    """One signal. ``key`` is a built-in name (``nps_latest``), ``usage:<metric>:<grain>``
    for a usage metric, or ``field:<name>`` / ``field:custom.<key>`` for an account field.
    ``backtestable`` is False for values that have no history (current field values): a
    back-test or the model must treat them as missing for past dates."""

    key: str
    group: Group
    name: str  # Japanese
    name_en: str
    unit: Unit
    higher_is_better: bool
    description: str = ""
    description_en: str = ""
    backtestable: bool = True
    # A state read off every record up to the day before (MRR, tenure, a champion named):
    # its ``observed_on`` is when the state last changed, but the value is current.
    state: bool = False


def _b(
    key: str,
    group: Group,
    unit: Unit,
    higher_is_better: bool,
    names: tuple[str, str],
    descriptions: tuple[str, str],
) -> SignalSpec:
    return SignalSpec(
        key=key,
        group=group,
        name=names[0],
        name_en=names[1],
        unit=unit,
        higher_is_better=higher_is_better,
        description=descriptions[0],
        description_en=descriptions[1],
    )


_D, _E, _S, _R, _V = Group.DEPLOYMENT, Group.ENGAGEMENT, Group.SUPPORT, Group.ROI, Group.REVENUE

# The built-in signals (computed in ``signals/builtins.py``). Windows end the day before
# the as-of day: "90 d" is [as_of − 90, as_of).
_BUILTINS = [
    _b(
        "onboarding_completeness", _D, Unit.RATIO, True,
        ("オンボーディング完了度", "Onboarding completeness"),
        (
            "5つの節目の達成割合: 初回の利用イベント、キックオフ(会議・電話)、トレーニング、"
            "管理者担当者の登録、ライセンス席の50%以上が利用",
            "Share of 5 milestones reached: first usage event, kickoff meeting or call, "
            "a training, an admin contact named, at least 50% of licensed seats active",
        ),
    ),
    _b(
        "tenure_days", _D, Unit.DAYS, True,
        ("契約継続日数", "Tenure"),
        ("最初の契約開始日からの日数", "Days since the first subscription line started"),
    ),
    _b(
        "seat_activation", _D, Unit.RATIO, True,
        ("シート稼働率", "Seat activation"),
        (
            "直近の完了した月のアクティブユーザー数 ÷ 契約シート数",
            "Active users of the last complete month ÷ licensed seats",
        ),
    ),
    _b(
        "nps_latest", _E, Unit.SCORE, True,
        ("最新NPS", "Latest NPS"),
        ("365日以内で最新のNPS回答 (0〜10)", "The latest NPS answer within 365 days (0–10)"),
    ),
    _b(
        "nps_trend", _E, Unit.SCORE, True,
        ("NPSの推移", "NPS trend"),
        (
            "直近180日のNPS平均 − その前の180日の平均 (両方に回答がある場合のみ)",
            "Mean NPS of the last 180 days minus the 180 days before (needs answers in both)",
        ),
    ),
    _b(
        "csat_avg_90d", _E, Unit.SCORE, True,
        ("CSAT平均 (90日)", "CSAT average (90 days)"),
        ("直近90日のCSAT回答の平均 (1〜5)", "Mean CSAT answer of the last 90 days (1–5)"),
    ),
    _b(
        "days_since_touch", _E, Unit.DAYS, False,
        ("最終接点からの日数", "Days since last touch"),
        (
            "最後の会議・電話・QBR・メール・トレーニング・イベントからの日数",
            "Days since the last meeting, call, QBR, email, training or event",
        ),
    ),
    _b(
        "days_since_dm_touch", _E, Unit.DAYS, False,
        ("決裁者との最終接点からの日数", "Days since decision-maker touch"),
        (
            "決裁者またはエグゼクティブスポンサーが参加した最後の活動からの日数",
            "Days since the last activity with a decision maker or executive sponsor",
        ),
    ),
    _b(
        "touches_90d", _E, Unit.COUNT, True,
        ("接点数 (90日)", "Touches (90 days)"),
        (
            "直近90日の会議・電話・QBR・トレーニングの数",
            "Meetings, calls, QBRs and trainings in the last 90 days",
        ),
    ),
    _b(
        "champion_present", _E, Unit.FLAG, True,
        ("チャンピオンの有無", "Champion present"),
        (
            "チャンピオンの役割を持つ有効な担当者がいる",
            "An active contact holds the champion role",
        ),
    ),
    _b(
        "contacts_engaged_90d", _E, Unit.COUNT, True,
        ("関与した担当者数 (90日)", "Contacts engaged (90 days)"),
        (
            "直近90日の活動に参加した担当者の人数",
            "Distinct contacts taking part in activities of the last 90 days",
        ),
    ),
    _b(
        "open_inquiries", _S, Unit.COUNT, False,
        ("未解決の問い合わせ", "Open inquiries"),
        ("受付済みで未解決の問い合わせの数", "Inquiries opened and not yet resolved"),
    ),
    _b(
        "inquiries_90d", _S, Unit.COUNT, False,
        ("問い合わせ数 (90日)", "Inquiries (90 days)"),
        ("直近90日に受け付けた問い合わせの数", "Inquiries opened in the last 90 days"),
    ),
    _b(
        "first_response_hours_90d", _S, Unit.HOURS, False,
        ("初回応答時間 (90日)", "First response time (90 days)"),
        (
            "直近90日に受け付けた問い合わせの初回応答までの平均時間",
            "Mean hours to first response of inquiries opened in the last 90 days",
        ),
    ),
    _b(
        "resolution_hours_90d", _S, Unit.HOURS, False,
        ("解決時間 (90日)", "Resolution time (90 days)"),
        (
            "直近90日に受け付け解決済みの問い合わせの平均解決時間",
            "Mean hours to resolution of inquiries opened in the last 90 days",
        ),
    ),
    _b(
        "usage_per_mrr", _R, Unit.NUMBER, True,
        ("MRRあたり利用量", "Usage per MRR"),
        (
            "直近30日の利用イベント数 (MRR 1万円あたり)",
            "Usage events of the last 30 days per ¥10,000 of MRR",
        ),
    ),
    _b(
        "days_since_qbr", _R, Unit.DAYS, False,
        ("最終QBRからの日数", "Days since last QBR"),
        ("最後のQBR (定例レビュー) からの日数", "Days since the last QBR"),
    ),
    _b(
        "mrr", _V, Unit.YEN, True,
        ("MRR", "MRR"),
        ("前日時点のMRR (報告通貨換算)", "MRR on the day before, in the reporting currency"),
    ),
    _b(
        "mrr_change_90d_pct", _V, Unit.PERCENT, True,
        ("MRR増減率 (90日)", "MRR change (90 days)"),
        ("前日のMRRと91日前のMRRの増減率", "Change of MRR from 91 days before to the day before"),
    ),
    _b(
        "seats", _V, Unit.COUNT, True,
        ("契約シート数", "Licensed seats"),
        ("有効なシート課金の契約明細の数量の合計", "Quantity of active per-seat lines"),
    ),
    SignalSpec(
        key="days_to_renewal",
        group=_V,
        name="更新までの日数",
        name_en="Days to renewal",
        unit=Unit.DAYS,
        higher_is_better=True,
        description=(
            "有効な契約明細の次の契約更新日 (開始日 + 契約期間の倍数) までの最短日数"
            " (方向性はなく、近いことは注意のきっかけ)"
        ),
        description_en=(
            "Days to the nearest term anniversary (start + a multiple of the term) of an"
            " active line (no good direction: a near renewal is a reason to look)"
        ),
    ),
    _b(
        "contraction_180d", _V, Unit.FLAG, False,
        ("縮小あり (180日)", "Contraction (180 days)"),
        (
            "直近180日にMRRが減少した (0にはならずに)",
            "MRR fell in the last 180 days while staying above zero",
        ),
    ),
    _b(
        "option_count", _V, Unit.COUNT, True,
        ("オプション数", "Options"),
        ("有効なオプション・アドオンの契約明細の数", "Active lines of options and add-ons"),
    ),
]  # fmt: skip
_STATES = frozenset(
    {
        "onboarding_completeness",
        "tenure_days",
        "champion_present",
        "days_since_touch",
        "days_since_dm_touch",
        "days_since_qbr",
        "open_inquiries",
        "mrr",
        "mrr_change_90d_pct",
        "seats",
        "days_to_renewal",
        "contraction_180d",
        "option_count",
    }
)
BUILTIN_SIGNALS: dict[str, SignalSpec] = {
    s.key: replace(s, state=s.key in _STATES) for s in _BUILTINS
}

USAGE_PREFIX = "usage:"
FIELD_PREFIX = "field:"
CUSTOM_PREFIX = "field:custom."
NUMERIC_FIELD_TYPES = (CustomFieldType.INTEGER, CustomFieldType.DECIMAL, CustomFieldType.MONEY)
_GRAIN_NAMES = {"day": ("日次", "daily"), "week": ("週次", "weekly"), "month": ("月次", "monthly")}
EMPLOYEE_COUNT = SignalSpec(
    key="field:employee_count",
    group=Group.ACCOUNT,
    name="従業員数",
    name_en="Employees",
    unit=Unit.COUNT,
    higher_is_better=True,
    description="顧客の現在の従業員数 (履歴なし)",
    description_en="The account's current employee count (no history)",
    backtestable=False,
)


def usage_key(metric: str, grain: str) -> str:
    return f"{USAGE_PREFIX}{metric}:{grain}"


def parse_usage_key(key: str) -> tuple[str, str] | None:
    """(metric, grain) of a ``usage:<metric>:<grain>`` key; None for any other key."""
    if not key.startswith(USAGE_PREFIX):
        return None
    metric, sep, grain = key[len(USAGE_PREFIX) :].rpartition(":")
    if not sep or not metric or grain not in GRAINS:
        return None
    return metric, grain


# How each usage metric kind's values read (analytics/metrics): pct_change is already ×100,
# per_seat is a share of the seats, ratio and tenure_scaled have decimals.
_USAGE_UNITS = {
    "days_since_last": Unit.DAYS,
    "pct_change": Unit.PERCENT,
    "per_seat": Unit.RATIO,
    "ratio": Unit.NUMBER,
    "tenure_scaled": Unit.NUMBER,
}


def usage_spec(metric: UsageMetric, grain: str) -> SignalSpec:
    """The signal of one usage metric at one grain: the value of the last complete period.
    Every usage metric counts as "higher is better" except ``days_since_last``."""
    ja, en = _GRAIN_NAMES[grain]
    return SignalSpec(
        key=usage_key(metric.key, grain),
        group=Group.ADOPTION,
        name=f"{metric.name} ({ja})",
        name_en=f"{metric.name_en or metric.name} ({en})",
        unit=_USAGE_UNITS.get(metric.kind, Unit.COUNT),
        higher_is_better=metric.kind != "days_since_last",
        description=f"直近の完了した期間の値。{metric.description}".strip(),
        description_en=f"Value of the last complete period. {metric.description}".strip(),
    )


def custom_spec(field: CustomFieldDefinition) -> SignalSpec:
    return SignalSpec(
        key=f"{CUSTOM_PREFIX}{field.key}",
        group=Group.ACCOUNT,
        name=field.label_ja,
        name_en=field.label_en or field.label_ja,
        unit=Unit.COUNT,
        higher_is_better=True,
        description="顧客のカスタム項目の現在の値 (履歴なし)",
        description_en="The account custom field's current value (no history)",
        backtestable=False,
    )


def _usage_metrics(session: Session) -> list[UsageMetric]:
    stmt = select(UsageMetric).where(UsageMetric.enabled.is_(True))
    return list(session.scalars(stmt.order_by(UsageMetric.position, UsageMetric.key)))


def custom_fields(session: Session) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).where(
        CustomFieldDefinition.object_type == CustomFieldObject.ACCOUNT,
        CustomFieldDefinition.is_active.is_(True),
        CustomFieldDefinition.field_type.in_(NUMERIC_FIELD_TYPES),
    )
    return list(session.scalars(stmt.order_by(CustomFieldDefinition.position)))


def available_signals(session: Session) -> list[SignalSpec]:
    """Every signal a measure may read: the built-ins, each enabled usage metric at each of
    its grains, the employee count and the numeric account custom fields."""
    usage = [usage_spec(m, g) for m in _usage_metrics(session) for g in m.grains if g in GRAINS]
    fields = [EMPLOYEE_COUNT, *(custom_spec(f) for f in custom_fields(session))]
    return [*BUILTIN_SIGNALS.values(), *usage, *fields]


def resolve_signal(session: Session, key: str) -> SignalSpec:
    """The spec of ``key``; Invalid naming the key when no such signal is available."""
    if key in BUILTIN_SIGNALS:
        return BUILTIN_SIGNALS[key]
    if key == EMPLOYEE_COUNT.key:
        return EMPLOYEE_COUNT
    parsed = parse_usage_key(key)
    if parsed is not None:
        metric = session.scalar(select(UsageMetric).where(UsageMetric.key == parsed[0]))
        if metric is not None and metric.enabled and parsed[1] in metric.grains:
            return usage_spec(metric, parsed[1])
    elif key.startswith(CUSTOM_PREFIX):
        for field in custom_fields(session):
            if field.key == key[len(CUSTOM_PREFIX) :]:
                return custom_spec(field)
    raise Invalid(FieldProblem(("body", "signal"), "unknown_signal", f"unknown signal {key!r}"))
