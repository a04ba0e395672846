"""Demo tasks and proposals: work in every CSM's and customer-sales person's cockpit.

Called after ``load_demo`` (the accounts, owners and activities must exist), in the same
transaction. For each active CSM and customer-sales user it creates manual tasks on the
accounts they own: some due today, some overdue, some upcoming, one without a date, one
snoozed, and a history of closed tasks over the last six months (a few completed late) so
the KAI page has trend data; plus upsell/renewal proposals (``proposal`` activities, the
kind this feature added) over the same months. Deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import utc_now
from kizuna.kit.ids import uuid7
from kizuna.models import Account, Activity, Task, User
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import TaskPriority, TaskStatus
from kizuna.task.rules import Outcome

_TEMPLATES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("オンボーディング進捗確認の電話", "初期設定の完了状況と詰まっている点を確認する。", ()),
    (
        "QBR資料の準備",
        "利用状況・成果・次四半期の目標をまとめる。",
        ("利用データを抽出", "成果事例を整理", "次四半期の提案をまとめる"),
    ),
    ("更新条件の事前すり合わせ", "更新の3か月前。決裁者と予算・契約条件を確認する。", ()),
    (
        "管理者向けトレーニング日程調整",
        "新任の管理者向けに操作トレーニングを設定する。",
        ("候補日を送る", "資料を共有"),
    ),
    ("利用状況レポートの送付", "月次の利用状況レポートを担当者に送る。", ()),
    ("NPS回答へのフォローアップ", "低評価の理由をヒアリングし、改善策を伝える。", ()),
    (
        "アップセル提案書の作成",
        "席数の上限に近い。追加席とオプションの提案を用意する。",
        ("現状の利用率を確認", "見積を作成", "提案書をレビュー"),
    ),
    ("決裁者との面談設定", "導入効果の共有と今後の活用方針について。", ()),
    ("問い合わせ後のフォロー", "解決済みの問い合わせについて、その後の状況を確認する。", ()),
    ("活用促進ウェビナーの案内", "未活用機能のウェビナーを案内する。", ()),
)
_PROPOSALS = (
    "追加席のご提案",
    "分析オプションのご提案",
    "上位プランへの切り替えご提案",
    "SSOオプションのご提案",
    "更新時の複数年契約のご提案",
)
_OUTCOMES = (
    Outcome.DONE_SUCCESS,
    Outcome.DONE_SUCCESS,
    Outcome.DONE_SUCCESS,
    Outcome.DONE_NO_RESPONSE,
    Outcome.DONE_RESCHEDULED,
    Outcome.NOT_NEEDED,
)
_PRIORITIES = (
    TaskPriority.NORMAL,
    TaskPriority.NORMAL,
    TaskPriority.NORMAL,
    TaskPriority.HIGH,
    TaskPriority.LOW,
    TaskPriority.URGENT,
)
_JST = 9  # the demo company works in Asia/Tokyo


@dataclass(frozen=True)
class DemoTasksSummary:
    open_tasks: int
    closed_tasks: int
    proposals: int


def _at(day: date, hour: int) -> datetime:
    """``hour`` o'clock Tokyo time on ``day``, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=UTC) - timedelta(hours=_JST)


def _steps(rng: random.Random, titles: tuple[str, ...], closed: bool) -> list[dict[str, Any]]:
    ticked = len(titles) if closed else rng.randint(0, max(len(titles) - 1, 0))
    return [{"title": t, "done": i < ticked} for i, t in enumerate(titles)]


def _task(
    rng: random.Random,
    person: User,
    accounts: list[uuid.UUID],
    today: date,
    due: date | None,
    *,
    closed_on: date | None = None,
    **extra: Any,
) -> dict[str, Any]:
    title, description, steps = rng.choice(_TEMPLATES)
    created = (due or today) - timedelta(days=rng.randint(3, 20))
    row: dict[str, Any] = {
        "id": uuid7(),
        "account_id": rng.choice(accounts),
        "title": title,
        "description": description,
        "steps": _steps(rng, steps, closed_on is not None),
        "status": TaskStatus.OPEN,
        "priority": rng.choice(_PRIORITIES),
        "due_on": due,
        "snoozed_until": None,
        "assignee_id": person.id,
        "team_id": person.team_id,
        "playbook_id": None,
        "playbook_version": None,
        "source": "manual",
        "why": {},
        "outcome": None,
        "outcome_note": "",
        "completed_at": None,
        "completed_by_id": None,
        "activity_id": None,
        "created_by_id": person.id,
        "created_at": _at(min(created, today), 9),
        "updated_at": _at(min(created, today), 9),
    }
    if closed_on is not None:
        outcome = rng.choice(_OUTCOMES)
        at = min(_at(closed_on, rng.randint(10, 18)), utc_now())
        row |= {
            "status": TaskStatus.DONE,
            "outcome": outcome.value,
            "completed_at": at,
            "completed_by_id": person.id,
            "updated_at": at,
        }
    return row | extra


def load_demo_tasks(session: Session, *, today: date, seed: int = 42) -> DemoTasksSummary:
    """Create the demo's tasks and proposals (flushes; the caller owns the transaction)."""
    rng = random.Random(seed * 7919 + 5)
    people = list(
        session.scalars(
            select(User)
            .where(User.is_active, User.role.in_([Role.CSM, Role.CUSTOMER_SALES]))
            .order_by(User.email)
        )
    )
    tasks: list[dict[str, Any]] = []
    proposals: list[dict[str, Any]] = []
    n_open = n_closed = 0
    for person in people:
        owner = Account.csm_owner_id if person.role is Role.CSM else Account.sales_owner_id
        accounts = list(session.scalars(select(Account.id).where(owner == person.id)))
        if not accounts:
            continue

        task = partial(_task, rng, person, accounts, today)
        open_now = [task(today) for _ in range(rng.randint(2, 3))]
        open_now += [
            task(today - timedelta(days=rng.randint(1, 12))) for _ in range(rng.randint(1, 3))
        ]
        open_now += [
            task(today + timedelta(days=rng.randint(1, 30))) for _ in range(rng.randint(3, 5))
        ]
        open_now.append(task(None))
        open_now.append(task(today, snoozed_until=today + timedelta(days=rng.randint(2, 6))))
        tasks += open_now
        n_open += len(open_now)
        for weeks_ago in range(1, 27):
            for _ in range(rng.randint(1, 4)):
                due = today - timedelta(days=weeks_ago * 7 - rng.randint(0, 6))
                late = rng.random() < 0.15
                closed_on = due + timedelta(days=rng.randint(1, 6) if late else -rng.randint(0, 2))
                tasks.append(task(due, closed_on=min(closed_on, today)))
                n_closed += 1
        for months_ago in range(6):
            for _ in range(rng.randint(1, 4)):
                day = today - timedelta(days=months_ago * 30 + rng.randint(0, 29))
                at = _at(day, rng.randint(10, 18))
                proposals.append(
                    {
                        "id": uuid7(),
                        "external_id": None,
                        "account_id": rng.choice(accounts),
                        "kind": ActivityKind.PROPOSAL,
                        "subject": rng.choice(_PROPOSALS),
                        "body": "提案書と見積を送付。次回の打ち合わせで検討状況を確認する。",
                        "occurred_at": at,
                        "duration_minutes": None,
                        "is_pre_sale": False,
                        "author_id": person.id,
                        "inquiry_status": None,
                        "opened_at": None,
                        "first_response_at": None,
                        "resolved_at": None,
                        "custom_fields": {},
                        "created_at": at,
                        "updated_at": at,
                    }
                )
    if proposals:
        session.execute(insert(Activity), proposals)
    if tasks:
        session.execute(insert(Task), tasks)
    session.flush()
    return DemoTasksSummary(open_tasks=n_open, closed_tasks=n_closed, proposals=len(proposals))
