"""Demo renewals and mutual closing plans (C8).

Call ``load_renewals(session, seed)`` after the demo company, its health scores and the
users exist (after ``_demo_success``), in one transaction. It back-fills the renewals of
the last six months by running the sync as of past days (without events, so playbooks do
not react to old news), so "forecast vs actual" has settled renewals; runs today's sync;
sets forecasts by hand (with notes) on about ten upcoming renewals as their owners; and
writes four closing plans of four to seven steps on upcoming renewals, one of them shared.
Deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.kit.clock import today as today_in
from kizuna.models import Account, Contact, Renewal, User
from kizuna.models.renewal import ClosingPlanSide, ClosingStepStatus, RenewalForecast
from kizuna.models.renewal import RenewalOutcome as Outcome
from kizuna.renewal import closing_plans, service
from kizuna.renewal.schemas import ForecastSet, PlanCreate, ShareCreate, StepCreate

_BACKFILL_DAYS = 182
_STEP_DAYS = 7

_NOTES: dict[RenewalForecast, tuple[str, ...]] = {
    RenewalForecast.COMMIT: (
        "決裁者と更新条件で合意済み。稟議のみ。",
        "QBRで次年度の活用計画を確認。継続の意向あり。",
        "複数年契約の前向きな検討をいただいている。",
    ),
    RenewalForecast.LIKELY: (
        "予算確定待ち。担当者は継続を希望。",
        "部門の統合があり、決裁ルートを確認中。",
        "利用は安定。価格改定の説明が必要。",
    ),
    RenewalForecast.AT_RISK: (
        "決裁者が交代。新任者との面談を設定中。",
        "利用率が低下。活用支援の提案を準備。",
        "競合の提案を受けているとの情報あり。",
    ),
    RenewalForecast.CHURN: (
        "事業縮小のため解約の意向を伝えられた。",
        "社内システム統合で他社製品に集約予定。",
    ),
}

_PLANS: tuple[tuple[str, str, str, tuple[tuple[str, ClosingPlanSide, int, str], ...]], ...] = (
    (
        "{name} 次年度更新に向けたクロージングプラン",
        "全社展開を完了し、問い合わせ対応工数を前年比30%削減する。",
        "値引きは最大5%まで。複数年契約なら追加で検討可。",
        (
            ("利用状況と成果のレビュー(QBR)", ClosingPlanSide.OURS, -35, "成果レポートを事前送付"),
            ("次年度の活用計画を共同で作成", ClosingPlanSide.CUSTOMER, -20, ""),
            ("更新見積の提示", ClosingPlanSide.OURS, -10, ""),
            ("社内稟議の申請", ClosingPlanSide.CUSTOMER, 5, "経営会議は毎月第2火曜"),
            ("契約書の締結", ClosingPlanSide.CUSTOMER, 20, ""),
            ("キックオフ(次年度)", ClosingPlanSide.OURS, 30, ""),
        ),
    ),
    (
        "{name} 利用回復と更新",
        "主要部門のアクティブ率を60%以上に戻し、更新判断の材料にする。",
        "解約の示唆あり。エスカレーション済み。",
        (
            ("決裁者との面談", ClosingPlanSide.OURS, -14, ""),
            ("活用ワークショップの開催", ClosingPlanSide.OURS, -3, "各部門のキーマンが参加"),
            ("部門ごとの利用目標の合意", ClosingPlanSide.CUSTOMER, 7, ""),
            ("利用状況の中間確認", ClosingPlanSide.OURS, 21, ""),
            ("更新可否のご判断", ClosingPlanSide.CUSTOMER, 40, ""),
        ),
    ),
    (
        "{name} 上位プラン移行を含む更新",
        "分析オプションの導入で月次レポート作成を自動化する。",
        "AEと同行。見積は更新と同時に提示。",
        (
            ("要件ヒアリング", ClosingPlanSide.OURS, -25, ""),
            ("トライアル環境の提供", ClosingPlanSide.OURS, -12, ""),
            ("トライアル結果の評価", ClosingPlanSide.CUSTOMER, 3, "評価シートを共有"),
            ("見積と移行計画の提示", ClosingPlanSide.OURS, 12, ""),
        ),
    ),
    (
        "{name} 更新手続きの段取り",
        "契約更新を期限内に完了し、管理者の交代を円滑に進める。",
        "新任の管理者はツールに不慣れ。",
        (
            ("新任管理者の紹介", ClosingPlanSide.CUSTOMER, -18, ""),
            ("管理者向けトレーニング", ClosingPlanSide.OURS, -6, ""),
            ("契約条件の確認", ClosingPlanSide.CUSTOMER, 4, ""),
            ("発注書の受領", ClosingPlanSide.CUSTOMER, 15, ""),
            ("請求先情報の更新", ClosingPlanSide.OURS, 25, ""),
        ),
    ),
)


@dataclass(frozen=True)
class DemoRenewals:
    renewals: int
    settled: int
    forecasts_set: int
    plans: int
    shared_path: str | None


def load_renewals(
    session: Session, seed: int, *, today: date | None = None, reporting: str = "JPY"
) -> DemoRenewals:
    rng = random.Random(f"renewals-{seed}")
    day = today or today_in()
    system = Actor.system("demo")
    for back in range(_BACKFILL_DAYS, 0, -_STEP_DAYS):
        service.sync(
            session, day - timedelta(days=back), actor=system, reporting=reporting, publish=False
        )
    service.sync(session, day, actor=system, reporting=reporting)
    upcoming = list(
        session.scalars(
            select(Renewal)
            .where(Renewal.renews_on > day, Renewal.outcome == Outcome.PENDING)
            .order_by(Renewal.renews_on, Renewal.id)
        )
    )
    users = {u.id: u for u in session.scalars(select(User))}
    forecasts = _set_forecasts(session, rng, upcoming, users, day)
    plans, shared = _plans(session, rng, upcoming, users, day)
    settled = len(
        session.scalars(select(Renewal.id).where(Renewal.outcome != Outcome.PENDING)).all()
    )
    total = len(session.scalars(select(Renewal.id)).all())
    return DemoRenewals(total, settled, forecasts, plans, shared)


def _actor(users: dict[uuid.UUID, User], owner_id: uuid.UUID | None) -> Actor:
    user = users.get(owner_id) if owner_id is not None else None
    return actor_for_user(user) if user is not None else Actor.system("demo")


def _set_forecasts(
    session: Session,
    rng: random.Random,
    upcoming: list[Renewal],
    users: dict[uuid.UUID, User],
    day: date,
) -> int:
    """About ten renewals get a person's forecast: mostly confirming or correcting the
    suggestion, a few churn calls, with notes."""
    chosen = rng.sample(upcoming, min(10, len(upcoming)))
    for i, renewal in enumerate(chosen):
        if i < 2:
            category = RenewalForecast.CHURN if i == 0 else RenewalForecast.AT_RISK
        elif renewal.suggested_forecast is RenewalForecast.AT_RISK and rng.random() < 0.5:
            category = RenewalForecast.LIKELY  # the owner knows better than the score
        else:
            category = rng.choice(
                (RenewalForecast.COMMIT, RenewalForecast.COMMIT, RenewalForecast.LIKELY)
            )
        expected = None
        if category is RenewalForecast.AT_RISK:
            expected = renewal.mrr_amount * rng.choice((60, 70, 80)) // 100
        elif category is RenewalForecast.COMMIT and rng.random() < 0.3:
            expected = renewal.mrr_amount * rng.choice((110, 120)) // 100
        service.set_forecast(
            session,
            _actor(users, renewal.owner_id),
            renewal.id,
            ForecastSet(
                forecast=category,
                note=rng.choice(_NOTES[category]),
                forecast_mrr_amount=expected,
            ),
            today=day,
        )
    return len(chosen)


def _plans(
    session: Session,
    rng: random.Random,
    upcoming: list[Renewal],
    users: dict[uuid.UUID, User],
    day: date,
) -> tuple[int, str | None]:
    """Four plans on the largest upcoming renewals (at risk first), one shared."""
    ranked = sorted(
        upcoming,
        key=lambda r: (r.forecast not in (RenewalForecast.AT_RISK,), -r.mrr_amount, str(r.id)),
    )
    shared: str | None = None
    count = 0
    for template, renewal in zip(_PLANS, ranked[: len(_PLANS)], strict=False):
        title, goal, note, steps = template
        account = session.get(Account, renewal.account_id)
        if account is None:
            continue
        actor = _actor(users, renewal.owner_id)
        plan = closing_plans.create_plan(
            session,
            actor,
            PlanCreate(
                account_id=account.id,
                renewal_id=renewal.id,
                title=title.format(name=account.name)[:200],
                goal=goal,
                internal_note=note,
                owner_id=renewal.owner_id,
            ),
        )
        contacts = list(
            session.scalars(
                select(Contact.id).where(Contact.account_id == account.id).order_by(Contact.name)
            )
        )
        for i, (step_title, side, offset, shared_note) in enumerate(steps):
            due = day + timedelta(days=offset)
            status = ClosingStepStatus.PLANNED
            if offset < 0:
                status = (
                    ClosingStepStatus.DONE if rng.random() < 0.75 else ClosingStepStatus.IN_PROGRESS
                )
            elif offset < 10 and rng.random() < 0.3:
                status = ClosingStepStatus.IN_PROGRESS
            if i == len(steps) - 2 and count == 1:
                status = ClosingStepStatus.BLOCKED
            values: dict[str, object] = {
                "title": step_title,
                "side": side,
                "due_on": due,
                "status": status,
                "done_on": due if status is ClosingStepStatus.DONE else None,
                "note": shared_note,
                "internal_note": "温度感は高い" if i == 0 else "",
            }
            if side is ClosingPlanSide.OURS:
                values["owner_user_id"] = renewal.owner_id
            elif contacts:
                values["owner_contact_id"] = rng.choice(contacts)
            else:
                values["owner_name"] = "情報システム部"
            closing_plans.add_step(
                session, actor, plan.id, StepCreate.model_validate(values), today=day
            )
        if shared is None:
            link = closing_plans.share(
                session, actor, plan.id, ShareCreate(language="ja"), zone="Asia/Tokyo"
            )
            shared = link.path
        count += 1
    return count, shared
