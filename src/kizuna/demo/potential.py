"""Demo expansion potential and PoCs (C8). Deterministic for a seed.

``load_potential``: about 40 % of the Tier 1/2 customers get potential on 2–3 option
products they do not hold (seats from their size, amounts from list prices, a confidence,
an expected month, evidence in words and a recent activity linked).

``load_pocs``: three PoCs run by CSMs: one running with 4 accounts and partial results,
one decided "adopt" with results and product feedback, one planned.

Rows are written directly (demo history, like the hand-offs): no audit events.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kizuna.demo.catalog import DEMO_DOMAIN, OPT_ANALYTICS, OPT_API, OPT_SSO, OPT_WORKFLOW
from kizuna.kit.clock import today as local_today
from kizuna.kit.ids import uuid7
from kizuna.models.account import Account
from kizuna.models.activity import Activity
from kizuna.models.contact import Contact
from kizuna.models.enums import ProductUnit, Tier
from kizuna.models.poc import Poc, PocAccount, PocDecision, PocFeedback, PocOutcome, PocStatus
from kizuna.models.potential import (
    ExpansionPotential,
    PotentialConfidence,
    expansion_potential_activity,
)
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import User

SHARE = 0.4
TARGETS = (OPT_ANALYTICS, OPT_API, OPT_SSO, OPT_WORKFLOW)
EVIDENCE = {
    OPT_ANALYTICS: (
        "経営会議用のレポートを毎月手作業で作っていると伺った。分析オプションで自動化できる。",
        "部門別の利用状況を見たいという要望が定例で繰り返し出ている。",
    ),
    OPT_API: (
        "基幹システムへの二重入力が負担とのこと。API連携で解消できる見込み。",
        "情報システム部から連携仕様の問い合わせあり。来期予算で検討中。",
    ),
    OPT_SSO: (
        "全社のID管理をAzure ADに統一する方針。SSOが導入の条件になりそう。",
        "退職者のアカウント削除漏れが監査で指摘された。SSOで対応可能。",
    ),
    OPT_WORKFLOW: (
        "承認フローの手戻りが多く、ワークフロー自動化に強い関心。",
        "定例で申請業務の効率化が課題に挙がった。ワークフローで解決できる。",
    ),
}
CONFIDENCES = (
    (PotentialConfidence.LOW, 0.35),
    (PotentialConfidence.MEDIUM, 0.4),
    (PotentialConfidence.HIGH, 0.25),
)


@dataclass(frozen=True)
class DemoPotentialSummary:
    accounts: int
    potentials: int


@dataclass(frozen=True)
class DemoPocSummary:
    pocs: int
    accounts: int
    feedback: int


def _active(day: date) -> tuple[Any, ...]:
    return (
        Subscription.start_on <= day,
        Subscription.end_on.is_(None) | (Subscription.end_on > day),
    )


def _customers(session: Session, day: date) -> list[Account]:
    """Tier 1/2 accounts with an active line today, by id (stable)."""
    paying = select(Subscription.account_id).where(*_active(day))
    return list(
        session.scalars(
            select(Account)
            .where(Account.tier.in_([Tier.TIER1, Tier.TIER2]), Account.id.in_(paying))
            .order_by(Account.id)
        )
    )


def load_potential(
    session: Session, seed: int = 42, *, today: date | None = None
) -> DemoPotentialSummary:
    day = today or local_today()
    rng = random.Random(seed * 7919 + 8)
    products = {
        p.code: p for p in session.scalars(select(Product).where(Product.code.in_(TARGETS)))
    }
    if not products:
        return DemoPotentialSummary(0, 0)
    accounts = _customers(session, day)
    chosen = [a for a in accounts if rng.random() < SHARE]
    ids = [a.id for a in chosen]
    owned: set[tuple[uuid.UUID, uuid.UUID]] = set()
    latest: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        owned |= {
            (r[0], r[1])
            for r in session.execute(
                select(Subscription.account_id, Subscription.product_id).where(
                    Subscription.account_id.in_(chunk), *_active(day)
                )
            )
        }
        for account_id, activity_id in session.execute(
            select(Activity.account_id, Activity.id)
            .where(Activity.account_id.in_(chunk))
            .order_by(Activity.account_id, Activity.occurred_at)
        ):
            latest[account_id] = activity_id  # the newest wins
    rows: list[ExpansionPotential] = []
    links: list[dict[str, Any]] = []
    for account in chosen:
        free = [p for code, p in sorted(products.items()) if (account.id, p.id) not in owned]
        if not free:
            continue
        picks = rng.sample(free, min(len(free), rng.choice((2, 2, 3))))
        size = account.employee_count or 100
        for product in picks:
            seats = min(500, max(10, int(size * rng.uniform(0.05, 0.3)) // 10 * 10))
            per_seat = product.unit is ProductUnit.SEAT
            amount = product.list_price_amount * (seats if per_seat else rng.choice((1, 1, 2)))
            confidence = rng.choices(
                [c for c, _ in CONFIDENCES], weights=[w for _, w in CONFIDENCES]
            )[0]
            month = (day.replace(day=1) + timedelta(days=32 * rng.randint(1, 9))).replace(day=1)
            stamp = datetime.combine(
                day - timedelta(days=rng.randint(3, 120)), time(10, 0), tzinfo=UTC
            )
            potential = ExpansionPotential(
                id=uuid7(),
                account_id=account.id,
                product_id=product.id,
                seats=seats if per_seat else None,
                mrr_amount=amount,
                currency=account.currency,
                confidence=confidence,
                expected_on=month,
                note=rng.choice(EVIDENCE[product.code]),
                created_by_id=account.csm_owner_id,
                updated_by_id=account.csm_owner_id,
                created_at=stamp,
                updated_at=stamp,
            )
            rows.append(potential)
            if account.id in latest and rng.random() < 0.7:
                links.append({"potential_id": potential.id, "activity_id": latest[account.id]})
    session.add_all(rows)
    session.flush()
    if links:
        session.execute(insert(expansion_potential_activity), links)
    return DemoPotentialSummary(accounts=len({r.account_id for r in rows}), potentials=len(rows))


_CRITERIA = {
    "workflow": [
        {"key": "c1", "criterion": "申請から承認までの日数", "target": "30%短縮",
         "measure": "ワークフローログの中央値"},
        {"key": "c2", "criterion": "利用部署数", "target": "3部署以上",
         "measure": "利用状況レポート"},
        {"key": "c3", "criterion": "現場の満足度", "target": "4.0以上(5段階)",
         "measure": "PoC後アンケート"},
    ],
    "sso": [
        {"key": "c1", "criterion": "SSO経由のログイン比率", "target": "90%以上",
         "measure": "認証ログ"},
        {"key": "c2", "criterion": "アカウント棚卸し工数", "target": "半減",
         "measure": "情報システム部へのヒアリング"},
    ],
    "analytics": [
        {"key": "c1", "criterion": "月次レポート作成時間", "target": "8時間→1時間",
         "measure": "担当者の作業記録"},
        {"key": "c2", "criterion": "ダッシュボード閲覧者数", "target": "管理職の50%",
         "measure": "閲覧ログ"},
    ],
}  # fmt: skip


def _user_id(session: Session, local: str) -> uuid.UUID | None:
    return session.scalar(select(User.id).where(User.email == f"{local}@{DEMO_DOMAIN}"))


def _participants(session: Session, account: Account, rng: random.Random) -> list[dict[str, Any]]:
    contacts = session.execute(
        select(Contact.id, Contact.name)
        .where(Contact.account_id == account.id)
        .order_by(Contact.id)
        .limit(2)
    ).all()
    people: list[dict[str, Any]] = [{"contact_id": str(c.id), "name": c.name} for c in contacts]
    if rng.random() < 0.5:
        people.append(
            {"contact_id": None, "name": rng.choice(("情報システム部 担当", "現場リーダー"))}
        )
    return people


def load_pocs(session: Session, seed: int = 42, *, today: date | None = None) -> DemoPocSummary:
    day = today or local_today()
    rng = random.Random(seed * 104729 + 15)
    products = {
        p.code: p.id for p in session.scalars(select(Product).where(Product.code.in_(TARGETS)))
    }
    customers = [a for a in _customers(session, day) if a.tier is Tier.TIER1] or _customers(
        session, day
    )
    if len(customers) < 9:
        return DemoPocSummary(0, 0, 0)
    picked = rng.sample(customers, 9)

    def stamp(days_ago: int) -> datetime:
        return datetime.combine(day - timedelta(days=days_ago), time(9, 30), tzinfo=UTC)

    plans: list[dict[str, Any]] = [
        {
            "name": "ワークフロー自動化 β版PoC",
            "product": OPT_WORKFLOW,
            "owner": "csm1",
            "purpose": "承認フローの手戻りと待ち時間を、β版の自動化で本当に減らせるかを検証する。"
            "本契約に向けて、現場が使い続けられる設定の粒度を見極める。",
            "criteria": _CRITERIA["workflow"],
            "status": PocStatus.RUNNING,
            "starts": day - timedelta(days=20),
            "ends": day + timedelta(days=40),
            "accounts": picked[0:4],
            "results": [
                ({"c1": "22%短縮(中間)", "c2": "2部署"}, None),
                ({"c1": "35%短縮(中間)"}, None),
                ({}, None),
                ({}, None),
            ],
        },
        {
            "name": "SSO 新認証方式PoC",
            "product": OPT_SSO,
            "owner": "csm2",
            "purpose": "新しい認証方式で、情報システム部のアカウント管理負担が下がるかを確かめる。",
            "criteria": _CRITERIA["sso"],
            "status": PocStatus.DECIDED,
            "starts": day - timedelta(days=150),
            "ends": day - timedelta(days=60),
            "accounts": picked[4:7],
            "results": [
                ({"c1": "96%", "c2": "60%削減"}, PocOutcome.MET),
                ({"c1": "91%", "c2": "40%削減"}, PocOutcome.PARTLY),
                ({"c1": "94%", "c2": "55%削減"}, PocOutcome.MET),
            ],
            "decision": PocDecision.ADOPT,
            "note": "3社中2社で基準を達成。残る1社も運用で解消できる見込みのため、"
            "正式オプション化を決定。",
            "feedback": [
                ("グループ会社ごとにIdPを分けたいとの要望(2社)。", day - timedelta(days=58)),
                (
                    "SCIMでの自動プロビジョニングが本契約の条件になりそう。",
                    day - timedelta(days=55),
                ),
            ],
        },
        {
            "name": "分析ダッシュボード 新UIトライアル",
            "product": OPT_ANALYTICS,
            "owner": "csm3",
            "purpose": "経営層向けの新しいダッシュボードで、"
            "月次レポート作成を置き換えられるかを確かめる。",
            "criteria": _CRITERIA["analytics"],
            "status": PocStatus.PLANNED,
            "starts": day + timedelta(days=14),
            "ends": day + timedelta(days=74),
            "accounts": picked[7:9],
            "results": [({}, None), ({}, None)],
        },
    ]
    reasons = (
        "利用が最も活発で、現場の声を集めやすい。",
        "決裁者が新機能に前向きで、本契約の判断が早い。",
        "同業他社への展開事例にしやすい業種。",
        "課題がPoCの目的と一致している。",
    )
    n_accounts = n_feedback = 0
    for n, plan in enumerate(plans):
        owner = _user_id(session, plan["owner"])
        created = stamp(200 - n * 40)
        poc = Poc(
            id=uuid7(),
            name=plan["name"],
            product_id=products.get(plan["product"]),
            purpose=plan["purpose"],
            success_criteria=plan["criteria"],
            starts_on=plan["starts"],
            ends_on=plan["ends"],
            status=plan["status"],
            owner_id=owner,
            decision=plan.get("decision"),
            decision_note=plan.get("note", ""),
            decided_at=stamp(50) if plan.get("decision") else None,
            decided_by_id=owner if plan.get("decision") else None,
            created_by_id=owner,
            created_at=created,
            updated_at=created,
        )
        session.add(poc)
        pairs = zip(plan["accounts"], plan["results"], strict=True)
        for i, (account, (results, outcome)) in enumerate(pairs):
            session.add(
                PocAccount(
                    poc_id=poc.id,
                    account_id=account.id,
                    reason=reasons[(n + i) % len(reasons)],
                    participants=_participants(session, account, rng),
                    results=results,
                    outcome=outcome,
                    added_by_id=owner,
                    created_at=created,
                    updated_at=created,
                )
            )
            n_accounts += 1
        for text, sent in plan.get("feedback", []):
            session.add(
                PocFeedback(
                    poc_id=poc.id,
                    text=text,
                    sent_on=sent,
                    created_by_id=owner,
                    created_at=stamp(60),
                    updated_at=stamp(60),
                )
            )
            n_feedback += 1
    session.flush()
    return DemoPocSummary(pocs=len(plans), accounts=n_accounts, feedback=n_feedback)
