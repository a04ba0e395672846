"""Demo upsell leads and opportunities: about 30 leads passed by the CSMs over the last six
months (most accepted within the SLA, some rejected with a reason, a few withdrawn, a few
waiting and a few overdue now), the opportunities of the accepted ones in every stage (the
won ones with their subscription lines, co-terminous with the account's contract), and
about 10 opportunities from sales, marketing and partners. Deterministic for a seed.

Rows are written directly with their historical times (like the other demo history, they
are not news): no ``lead.passed`` events are published. Call :func:`load_pipeline` after
``load_demo`` (users, teams, products, accounts and lines must exist), in the caller's
transaction; it does nothing when leads already exist.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.demo.catalog import OPTIONS
from kizuna.kit.clock import utc_now
from kizuna.kit.ids import uuid7
from kizuna.models.account import Account
from kizuna.models.activity import Activity
from kizuna.models.enums import ActivityKind, LeadSource, Role
from kizuna.models.pipeline import (
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    OpportunityStageChange,
)
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.user import Team, User
from kizuna.pipeline import rules, sla

LEADS = 30
DIRECT = 10
SLA_HOURS = 48
_JST = timedelta(hours=9)  # the demo company works in Asia/Tokyo
_GROWTH_TEAM = "カスタマーセールス"

REASONS: tuple[tuple[str, str], ...] = (
    (
        "席数が上限に近い。新しい部署での利用が始まり、追加の要望が出ている。",
        "席の利用率が95%を超えて3週間。人事部長から追加見積の依頼あり。",
    ),
    (
        "分析レポートを手作業でExcelに出している。分析オプションで月10時間の削減が見込める。",
        "定例で担当者が「毎月のレポート作成が負担」と発言。エクスポート回数が月40回以上。",
    ),
    (
        "情報システム部からSSO必須の方針が出た。来期の更新前に導入したい意向。",
        "セキュリティ監査の指摘事項にSSO未対応が含まれていると聞いた。",
    ),
    (
        "基幹システムとのデータ連携をAPIで自動化したいという相談を受けた。",
        "CSV取込を毎日手動で実行している。API連携の事例を紹介したところ前向き。",
    ),
    (
        "承認フローが紙とメールで回っており、ワークフローオプションが課題に直結する。",
        "QBRで稟議の遅さが話題に。決裁者が改善を最優先事項に挙げた。",
    ),
    (
        "ストレージ使用量が契約容量の9割に達した。",
        "添付ファイルの保存が急増。管理者から容量の相談メールあり。",
    ),
)
# Which of REASONS fits which option (others: the seats story).
_REASON_OF = {"OPT-ANALYTICS": 1, "OPT-SSO": 2, "OPT-API": 3, "OPT-WORKFLOW": 4, "ADD-STORAGE": 5}
REJECT_REASONS = (
    "予算が来期まで凍結されているため、今期の提案は見送り。",
    "既に別部署で同等のツールを導入済みで、重複投資になる。",
    "決裁者が交代したばかりで、半年は新規投資の検討ができない。",
    "要件を確認したところ標準機能で対応できるため、提案不要と判断。",
)
LOST_REASONS = (
    "競合製品が価格で優位だった。",
    "社内の優先順位が下がり、検討が中止になった。",
    "導入時期が合わず、来期に再提案する。",
)
DIRECT_NAMES = {
    LeadSource.SALES: "上位プランへの切り替え",
    LeadSource.MARKETING: "ユーザー会参加企業への追加提案",
    LeadSource.PARTNER: "販売パートナー経由の追加導入",
}


@dataclass(frozen=True)
class DemoPipelineSummary:
    leads: int
    opportunities: int
    won: int
    lines: int


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` Tokyo time on ``day``, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - _JST


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _users(session: Session, role: Role) -> list[User]:
    return list(
        session.scalars(select(User).where(User.is_active, User.role == role).order_by(User.email))
    )


class _Builder:
    def __init__(self, session: Session, seed: int, now: datetime) -> None:
        self.session = session
        self.rng = random.Random(seed * 104_729 + 8)
        self.now = now
        self.today = (now + _JST).date()
        self.products = {
            p.code: p for p in session.scalars(select(Product).where(Product.code.in_(OPTIONS)))
        } or {p.code: p for p in session.scalars(select(Product).limit(5))}
        self.lines = 0
        self.won = 0
        self.opportunities = 0

    # ------------------------------------------------------------------ helpers

    def held(self, account_id: uuid.UUID, on: date) -> set[uuid.UUID]:
        return set(
            self.session.scalars(
                select(Subscription.product_id).where(
                    Subscription.account_id == account_id,
                    Subscription.start_on <= on,
                    (Subscription.end_on.is_(None)) | (Subscription.end_on > on),
                )
            )
        )

    def history(
        self,
        opportunity: Opportunity,
        stages: list[OpportunityStage],
        start: datetime,
        end: datetime,
        by: uuid.UUID | None,
    ) -> None:
        """Stage rows from ``start`` to ``end``, one per stage reached."""
        span = max((end - start).total_seconds(), 3600.0)
        previous: OpportunityStage | None = None
        for i, stage in enumerate(stages):
            at = start + timedelta(seconds=span * i / max(len(stages) - 1, 1))
            self.session.add(
                OpportunityStageChange(
                    id=uuid7(),
                    opportunity_id=opportunity.id,
                    from_stage=previous,
                    to_stage=stage,
                    amount=opportunity.amount,
                    changed_by_id=by,
                    changed_at=min(at, self.now),
                )
            )
            previous = stage

    def opportunity(
        self,
        *,
        account: Account,
        product: Product,
        amount: int,
        source: LeadSource,
        created_by: uuid.UUID | None,
        owner: uuid.UUID | None,
        created_at: datetime,
        lead_id: uuid.UUID | None = None,
        name: str | None = None,
    ) -> Opportunity:
        """An opportunity whose stage follows from its age: old ones are mostly closed."""
        rng = self.rng
        age = (self.now - created_at).days
        if age > 60:
            stage = rng.choices(
                [OpportunityStage.WON, OpportunityStage.LOST, OpportunityStage.NEGOTIATION],
                weights=[55, 30, 15],
            )[0]
        elif age > 20:
            stage = rng.choices(
                [
                    OpportunityStage.WON,
                    OpportunityStage.LOST,
                    OpportunityStage.QUALIFICATION,
                    OpportunityStage.PROPOSAL,
                    OpportunityStage.NEGOTIATION,
                ],
                weights=[30, 10, 15, 25, 20],
            )[0]
        else:
            stage = rng.choice([OpportunityStage.QUALIFICATION, OpportunityStage.PROPOSAL])
        created_day = (created_at + _JST).date()
        kind = (
            OpportunityKind.UPSELL
            if product.id in self.held(account.id, created_day)
            else OpportunityKind.CROSS_SELL
        )
        closed = stage in rules.CLOSED_STAGES
        if closed:
            close_on = min(created_day + timedelta(days=rng.randint(14, 55)), self.today)
        else:
            close_on = self.today + timedelta(days=rng.randint(7, 75))
        closed_at = _at(close_on, rng.randint(10, 18)) if closed else None
        if closed_at is not None:
            closed_at = min(max(closed_at, created_at + timedelta(hours=1)), self.now)
        seats = rng.choice([None, 5, 10, 20, 50]) if product.unit.value == "seat" else None
        opportunity = Opportunity(
            id=uuid7(),
            account_id=account.id,
            name=name or rules.opportunity_name(product.name, account.name),
            product_id=product.id,
            kind=kind,
            stage=stage,
            amount=amount,
            currency=account.currency,
            quantity=seats,
            close_on=close_on,
            lead_source=source,
            lead_id=lead_id,
            created_by_id=created_by,
            owner_id=owner,
            won_at=closed_at if stage is OpportunityStage.WON else None,
            lost_at=closed_at if stage is OpportunityStage.LOST else None,
            lost_reason=rng.choice(LOST_REASONS) if stage is OpportunityStage.LOST else "",
            created_at=created_at,
            updated_at=closed_at or created_at,
        )
        self.session.add(opportunity)
        self.session.flush()
        order = list(rules.OPEN_STAGES)
        if stage in rules.OPEN_STAGES:
            path = order[: order.index(stage) + 1]
        else:
            path = [*order[: rng.randint(1, 3)], stage]
        self.history(opportunity, path, created_at, closed_at or self.now, owner)
        if stage is OpportunityStage.WON:
            self.write_line(opportunity, account)
        self.opportunities += 1
        return opportunity

    def write_line(self, opportunity: Opportunity, account: Account) -> None:
        """The line the win wrote: MRR = the amount, co-terminous with the contract."""
        assert opportunity.product_id is not None
        start = opportunity.close_on
        ends = list(
            self.session.scalars(
                select(Subscription.end_on).where(
                    Subscription.account_id == account.id,
                    Subscription.start_on <= start,
                    Subscription.end_on.is_not(None),
                    Subscription.end_on > start,
                )
            )
        )
        end_on, term = rules.won_line_term(start, [e for e in ends if e is not None])
        line = Subscription(
            id=uuid7(),
            account_id=account.id,
            product_id=opportunity.product_id,
            contract_ref=opportunity.name[:100],
            quantity=opportunity.quantity or 1,
            mrr_amount=opportunity.amount,
            currency=opportunity.currency,
            start_on=start,
            end_on=end_on,
            term_months=term,
            created_at=opportunity.won_at or self.now,
            updated_at=opportunity.won_at or self.now,
        )
        self.session.add(line)
        self.session.flush()
        opportunity.subscription_id = line.id
        self.lines += 1
        self.won += 1


def load_pipeline(
    session: Session, seed: int = 42, *, now: datetime | None = None
) -> DemoPipelineSummary:
    """Create the demo's leads and opportunities (flushes; the caller owns the transaction)."""
    if session.scalar(select(Lead.id).limit(1)) is not None:
        return DemoPipelineSummary(0, 0, 0, 0)
    moment = now or utc_now()
    b = _Builder(session, seed, moment)
    rng = b.rng
    csms = _users(session, Role.CSM)
    closers = _users(session, Role.CUSTOMER_SALES)
    aes = _users(session, Role.SALES)
    marketers = _users(session, Role.CUSTOMER_MARKETING)
    growth = session.scalar(select(Team).where(Team.name == _GROWTH_TEAM))
    products = list(b.products.values())
    if not csms or not (closers or aes) or not products:
        return DemoPipelineSummary(0, 0, 0, 0)

    leads = 0
    for i in range(LEADS):
        csm = csms[i % len(csms)]
        accounts = list(
            session.scalars(
                select(Account)
                .where(Account.csm_owner_id == csm.id)
                .order_by(Account.created_at, Account.id)
            )
        )
        if not accounts:
            continue
        account = rng.choice(accounts)
        product = rng.choice(products)
        reason, evidence = REASONS[_REASON_OF.get(product.code, 0)]
        amount = rng.choice([1, 2, 3, 5, 8, 12, 20]) * 10_000
        # Spread over six months; the last three leads are the "overdue now" ones, the
        # three before them were passed in the last day and are still within the SLA.
        if i >= LEADS - 3:
            days_ago = rng.randint(5, 12)
        elif i >= LEADS - 6:
            days_ago = 0
        else:
            days_ago = rng.randint(3, 180)
        day = _weekday(b.today - timedelta(days=days_ago))
        passed_at = min(_at(day, rng.randint(9, 18), rng.choice([0, 15, 30, 45])), moment)
        if i >= LEADS - 6 and i < LEADS - 3:
            passed_at = moment - timedelta(hours=rng.randint(1, 20))
        due = sla.sla_due_at(passed_at, SLA_HOURS, business_days_only=True)
        to_team = growth is not None and rng.random() < 0.5
        assignee = None
        if not to_team:
            pool = [u for u in aes if u.id == account.ae_owner_id] or closers or aes
            assignee = rng.choice(pool)
        picked = [
            str(a)
            for a in session.scalars(
                select(Activity.id)
                .where(
                    Activity.account_id == account.id,
                    Activity.occurred_at <= passed_at,
                    Activity.kind.in_([ActivityKind.MEETING, ActivityKind.QBR, ActivityKind.CALL]),
                )
                .order_by(Activity.occurred_at.desc())
                .limit(rng.randint(0, 2))
            )
        ]
        lead = Lead(
            id=uuid7(),
            account_id=account.id,
            product_id=product.id,
            amount=amount,
            currency=account.currency,
            reason=reason,
            evidence=evidence,
            activity_ids=picked,
            passed_by_id=csm.id,
            passed_at=passed_at,
            assignee_id=assignee.id if assignee else None,
            assignee_team_id=growth.id if to_team and growth else None,
            status=LeadStatus.PASSED,
            reject_reason="",
            sla_due_at=due,
            created_at=passed_at,
            updated_at=passed_at,
        )
        session.add(lead)
        session.flush()
        leads += 1
        if i >= LEADS - 6:
            continue  # waiting: three fresh ones, three overdue
        decider = assignee or rng.choice(closers or aes)
        outcome = rng.choices(["accept", "reject", "withdraw"], weights=[72, 20, 8])[0]
        late = rng.random() < 0.12
        hours = rng.randint(100, 200) if late else rng.randint(1, 30)
        decided_at = min(passed_at + timedelta(hours=hours), due if not late else moment, moment)
        if outcome == "withdraw":
            lead.status = LeadStatus.WITHDRAWN
            lead.updated_at = decided_at
            continue
        lead.decided_by_id = decider.id
        lead.decided_at = decided_at
        lead.updated_at = decided_at
        if outcome == "reject":
            lead.status = LeadStatus.REJECTED
            lead.reject_reason = rng.choice(REJECT_REASONS)
            continue
        lead.status = LeadStatus.ACCEPTED
        opportunity = b.opportunity(
            account=account,
            product=product,
            amount=amount,
            source=LeadSource.CS,
            created_by=csm.id,
            owner=decider.id,
            created_at=decided_at,
            lead_id=lead.id,
        )
        lead.opportunity_id = opportunity.id

    sources = [LeadSource.SALES, LeadSource.MARKETING, LeadSource.PARTNER]
    all_accounts = list(session.scalars(select(Account).order_by(Account.created_at, Account.id)))
    for i in range(DIRECT):
        if not all_accounts:
            break
        source = sources[i % len(sources)]
        account = rng.choice(all_accounts)
        product = rng.choice(products)
        owner = rng.choice(aes or closers)
        creator = owner
        if source is LeadSource.MARKETING and marketers:
            creator = marketers[0]
        created_at = _at(_weekday(b.today - timedelta(days=rng.randint(2, 150))), 11)
        b.opportunity(
            account=account,
            product=product,
            amount=rng.choice([3, 5, 10, 15, 30]) * 10_000,
            source=source,
            created_by=creator.id,
            owner=owner.id,
            created_at=min(created_at, moment),
            name=f"{DIRECT_NAMES[source]}（{product.name}）— {account.name}"[:300],
        )
    session.flush()
    return DemoPipelineSummary(leads, b.opportunities, b.won, b.lines)
