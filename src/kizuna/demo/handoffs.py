"""Demo hand-offs at close: about 15 over the demo company's newest accounts, in mixed
states (accepted after 1–5 days, submitted and waiting, returned with a reason, drafts),
with realistic Japanese text. Deterministic for a seed.

Rows are written directly with their historical times (like imported survey answers they
are history, not news): no ``handoff.accepted`` events are published and the accounts'
fields are left as the demo generator wrote them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.demo.catalog import (
    DEMO_DOMAIN,
    OPT_ANALYTICS,
    OPT_API,
    OPT_SSO,
    OPT_WORKFLOW,
    SVC_ONBOARDING,
)
from kizuna.handoff import fields
from kizuna.handoff.service import CONTENT
from kizuna.kit.clock import utc_now
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.handoff import Handoff, HandoffStatus, HandoffTransition
from kizuna.models.product import Product
from kizuna.models.user import User

COUNT = 15
# (purpose, success criteria, promises, risks, sales history, departments)
STORIES: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "紙とExcelで行っている勤怠・工数管理を電子化し、月次締めの工数を減らしたい。",
        "導入6か月で月次締め作業を5営業日から2営業日に短縮する。",
        "初期設定の代行と、管理者向け研修を2回実施すると約束。CSV連携は標準機能で対応可能と説明済み。",
        "現場マネージャーの一部が入力の手間を懸念している。",
        "競合2社と比較。価格ではなくサポート体制が決め手。稟議は一度差し戻しあり。",
        "営業本部、物流センター",
    ),
    (
        "営業活動の見える化で、属人化している商談管理を標準化したい。",
        "商談化率を半年で15%改善し、週次の営業会議資料作成をゼロにする。",
        "ダッシュボードのテンプレートを3種類用意する。Salesforceとの連携は次期リリースで対応予定と伝えている。",
        "Salesforce連携の時期が遅れると不満につながる可能性。",
        "部長の強いトップダウンで決定。現場はまだ様子見。",
        "マーケティング部、インサイドセールス部",
    ),
    (
        "顧客からの問い合わせ対応を一元化し、回答品質をそろえたい。",
        "一次回答時間を平均24時間から4時間に短縮する。",
        "FAQテンプレートを導入時に50件用意する。専任CSMが3か月伴走すると約束。",
        "問い合わせ件数が想定より多く、席数が不足する可能性。",
        "他社ツールからの乗り換え。移行データの品質に懸念があり、PoCを2週間実施。",
        "カスタマーサポート部、品質保証部",
    ),
    (
        "採用管理をスプレッドシートから移行し、選考スピードを上げたい。",
        "応募から内定までの日数を平均40日から25日に短縮する。",
        "面接官向けの操作説明会を各拠点で1回ずつ開催する。",
        "人事部の担当者が1名で、運用負荷が集中する。",
        "展示会経由のリード。予算は年度末に確保済み。",
        "人事部、各事業部の採用担当",
    ),
    (
        "全社の経費精算を電子化し、ペーパーレス化を進めたい。",
        "紙の申請書をゼロにし、精算処理の差し戻し率を半減する。",
        "電子帳簿保存法への対応手順を資料で提供。SSOは来期に追加検討と説明。",
        "情報システム部の承認プロセスが長く、SSO対応が遅れるとログイン率が伸びない。",
        "経理部長が推進役。情報システム部は中立。",
        "経理部、総務部、全国12支店",
    ),
)
RETURN_REASONS = (
    "決裁者の情報が空欄です。誰が更新を判断するのか追記してください。",
    "約束事項に「専任CSM」とありますが、契約プランでは対象外です。説明内容を確認してください。",
    "成功基準が定性的です。数値目標と期限を顧客と合意した内容で書いてください。",
)
TITLES = ("代表取締役", "取締役 CFO", "人事部長", "営業本部長", "情報システム部長", "経営企画部長")
PEOPLE = (
    ("佐々木 健", "情報システム課長", "技術窓口"),
    ("石井 由美", "人事課 主任", "現場の推進役"),
    ("前田 亮介", "経理部 課長", "予算管理"),
    ("岡本 直美", "営業企画 マネージャー", "チャンピオン"),
)
PRODUCT_CODES = (OPT_ANALYTICS, OPT_API, OPT_SSO, OPT_WORKFLOW, SVC_ONBOARDING)
# state for each of the COUNT hand-offs, newest account first
STATES = (
    "submitted", "draft", "accepted", "returned", "submitted", "accepted", "accepted",
    "returned", "submitted", "accepted", "draft", "accepted", "returned_accepted",
    "submitted", "accepted",
)  # fmt: skip


@dataclass(frozen=True)
class DemoHandoffsSummary:
    handoffs: int
    transitions: int


def _user_ids(session: Session, locals_: tuple[str, ...]) -> list[uuid.UUID]:
    emails = [f"{name}@{DEMO_DOMAIN}" for name in locals_]
    found = dict(session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    return [found[e] for e in emails if e in found]


def load_handoffs(session: Session, seed: int = 42) -> DemoHandoffsSummary:
    """Insert the demo hand-offs (skips when any hand-off exists already)."""
    if session.scalar(select(Handoff.id).limit(1)) is not None:
        return DemoHandoffsSummary(0, 0)
    rng = random.Random(seed * 104_729 + 8)
    aes = _user_ids(session, ("ae1", "ae2", "ae3"))
    cs = _user_ids(session, ("csm1", "csm2", "csm3", "cs-sales1", "manager"))
    names = dict(session.execute(select(User.id, User.name)).all())
    accounts = session.scalars(
        select(Account).order_by(Account.created_at.desc(), Account.id).limit(COUNT)
    ).all()
    known_products = set(session.scalars(select(Product.code)))
    products = [c for c in PRODUCT_CODES if c in known_products]
    now = utc_now()
    transitions = 0
    for i, account in enumerate(accounts):
        state = STATES[i % len(STATES)]
        story = STORIES[i % len(STORIES)]
        owner = aes[i % len(aes)] if aes else None
        decider = cs[rng.randrange(len(cs))] if cs else None
        won = (now - timedelta(days=3 + i * 4 + rng.randrange(3))).date()
        created = datetime.combine(won, time(1, 30), tzinfo=UTC)
        contact = session.scalar(
            select(Contact.id).where(Contact.account_id == account.id).limit(1)
        )
        seats = rng.choice((30, 50, 80, 120, 200, 350))
        sparse = state == "draft" or (state == "returned" and i % 2 == 1)
        h = Handoff(
            external_id=f"DEMO-DEAL-{i + 1:03d}",
            account_id=account.id,
            deal_name=f"{account.name} 新規導入（{seats}ユーザー）",
            won_on=won,
            mrr_amount=seats * rng.choice((1500, 3000, 5000)),
            currency=account.currency,
            sales_owner_id=owner,
            purpose=story[0],
            success_criteria="" if sparse and state == "returned" else story[1],
            promises=story[2] if not (state == "draft" and i % 3 == 1) else "",
            decision_maker_contact_id=contact if not sparse else None,
            decision_maker_title=TITLES[i % len(TITLES)] if not sparse else "",
            key_people=[
                {"name": n, "title": t, "role": r, "contact_id": None}
                for n, t, r in rng.sample(PEOPLE, 2)
            ],
            expansion_departments=story[5],
            expansion_headcount=rng.choice((None, 150, 300, 800, 1200)),
            expansion_products=rng.sample(products, min(2, len(products))),
            risks=story[3] if not sparse else "",
            sales_history=story[4] if i % 4 != 3 else "",
            status=HandoffStatus.DRAFT,
            created_by_id=owner,
            created_at=created,
            updated_at=created,
        )
        if contact is None and not sparse:
            h.decision_maker_name = "山田 太郎"
        h.completeness = fields.completeness({k: getattr(h, k) for k in CONTENT})
        session.add(h)
        session.flush()
        log: list[HandoffTransition] = []

        def step(
            frm: HandoffStatus | None,
            to: HandoffStatus,
            at: datetime,
            who: uuid.UUID | None,
            reason: str = "",
            *,
            h: Handoff = h,
            log: list[HandoffTransition] = log,
        ) -> None:
            log.append(
                HandoffTransition(
                    handoff_id=h.id,
                    from_status=frm.value if frm else None,
                    to_status=to.value,
                    actor_id=who,
                    actor_name=names.get(who, "") if who else "",
                    reason=reason,
                    completeness=h.completeness,
                    occurred_at=at,
                )
            )

        step(None, HandoffStatus.DRAFT, created, owner)
        if state != "draft":
            submitted = created + timedelta(hours=rng.randint(4, 30))
            h.first_submitted_at = h.submitted_at = submitted
            h.submitted_by_id = owner
            h.completeness_at_submission = h.completeness
            h.status = HandoffStatus.SUBMITTED
            step(HandoffStatus.DRAFT, HandoffStatus.SUBMITTED, submitted, owner)
            if state in ("returned", "returned_accepted"):
                returned = submitted + timedelta(hours=rng.randint(5, 40))
                reason = RETURN_REASONS[i % len(RETURN_REASONS)]
                h.status, h.returned_at, h.return_reason = HandoffStatus.RETURNED, returned, reason
                h.returns_count = 1
                step(HandoffStatus.SUBMITTED, HandoffStatus.RETURNED, returned, decider, reason)
                if state == "returned_accepted":
                    again = returned + timedelta(hours=rng.randint(6, 30))
                    h.submitted_at, h.status = again, HandoffStatus.SUBMITTED
                    step(HandoffStatus.RETURNED, HandoffStatus.SUBMITTED, again, owner)
                    state = "accepted"
            if state == "accepted":
                accepted = (h.submitted_at or submitted) + timedelta(hours=rng.randint(24, 5 * 24))
                accepted = min(accepted, now - timedelta(hours=1))
                h.status, h.accepted_at, h.accepted_by_id = (
                    HandoffStatus.ACCEPTED,
                    accepted,
                    decider,
                )
                step(HandoffStatus.SUBMITTED, HandoffStatus.ACCEPTED, accepted, decider)
        h.updated_at = log[-1].occurred_at
        session.add_all(log)
        transitions += len(log)
    session.flush()
    return DemoHandoffsSummary(len(accounts), transitions)
