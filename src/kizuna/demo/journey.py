"""Demo success journey: a believable phase history for every demo account that has a
phase, the journey's first evaluation, and customer goals (seed 002's business outcomes)
for about a third of the paying accounts.

Call :func:`load_journey` after ``load_demo`` and the usage/health demo (the signals the
default criteria read must exist), before the demo playbooks, in one transaction.
Deterministic for a seed; idempotent (accounts that already have history are left alone;
goals are planted only when no account has any).

History: onboarding starts on the account's first subscription day; each finished phase
lasted a drawn number of days around its target (a few onboardings ran long), and the
account's current phase is open since then (never later than yesterday).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.journey import service
from kizuna.journey.definition import PHASES
from kizuna.journey.schemas import EvaluationResult
from kizuna.models.account import Account
from kizuna.models.journey import AccountGoal, JourneyPhase, JourneyPhaseHistory
from kizuna.models.subscription import Subscription

# (title, metric, target value) — the customer's own results (seed 002: sales up, costs
# down, or the KPIs that lead there), not the vendor's.
GOALS: tuple[tuple[str, str, str], ...] = (
    ("月間残業時間を20%削減", "従業員1人あたり月間残業時間", "−20%"),
    ("勤怠の締め作業を3日から1日に短縮", "月次締めにかかる営業日数", "1日"),
    ("離職率を12%から8%へ", "年間離職率", "8%"),
    ("問い合わせの一次回答時間を半減", "一次回答までの平均時間", "−50%"),
    ("営業の提案数を月30件に", "月間提案件数", "30件"),
    ("紙の申請をゼロに", "紙で提出された申請の件数", "0件"),
    ("データ集計の工数を月40時間削減", "集計作業の月間工数", "−40時間"),
    ("新人の立ち上がり期間を3か月から6週間に", "独り立ちまでの期間", "6週間"),
)


@dataclass(frozen=True)
class JourneyDemoSummary:
    history_rows: int
    goals: int
    evaluation: EvaluationResult


def load_journey(
    session: Session, *, today: date, zone: str, data_dir: Path, seed: int = 42
) -> JourneyDemoSummary:
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    targets = dict(session.execute(select(JourneyPhase.phase, JourneyPhase.target_days)).all())
    has_history = set(session.scalars(select(JourneyPhaseHistory.account_id).distinct()))
    starts = dict(
        session.execute(
            select(Subscription.account_id, func.min(Subscription.start_on)).group_by(
                Subscription.account_id
            )
        ).all()
    )
    rows = []
    accounts = session.execute(
        select(Account.id, Account.phase).where(Account.phase.is_not(None)).order_by(Account.name)
    ).all()
    for account_id, phase in accounts:
        start = starts.get(account_id)
        if account_id in has_history or start is None or phase is None:
            continue
        rows += _history(account_id, phase.value, start, targets, today, tz, rng)
    if rows:
        session.execute(insert(JourneyPhaseHistory), rows)
    evaluation = service.evaluate_journey(
        session, Actor.system("demo"), today=today, zone=zone, data_dir=data_dir
    )
    goals = _goals(session, today, rng)
    return JourneyDemoSummary(history_rows=len(rows), goals=goals, evaluation=evaluation)


def _history(
    account_id: uuid.UUID,
    current: str,
    start: date,
    targets: dict[str, int],
    today: date,
    tz: ZoneInfo,
    rng: random.Random,
) -> list[dict[str, object]]:
    """Onboarding from the first subscription day; the current phase (when later) entered
    a drawn number of days ago around its target (one in five past it); the phases between
    share the time in between."""

    def moment(day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz)
        return local.astimezone(UTC)

    def draw(phase: str) -> int:
        target = targets.get(phase, 90)
        late = rng.random() < 0.2
        return max(1, round(target * (rng.uniform(1.1, 1.8) if late else rng.uniform(0.1, 1.0))))

    latest = today - timedelta(days=1)
    first = min(start, latest)
    order = [p.value for p in PHASES]
    upto = order.index(current)
    entered = [first]
    if upto >= 1:
        since = today - timedelta(days=draw(current))
        current_from = min(max(first, since), latest)
        if upto == 2:  # onboarding drawn too; adoption is the rest
            onboarding_end = first + timedelta(days=draw(order[0]))
            entered.append(max(first, min(onboarding_end, current_from)))
        entered.append(current_from)
    out: list[dict[str, object]] = []
    for n, phase in enumerate(order[: upto + 1]):
        out.append(
            {
                "account_id": account_id,
                "phase": phase,
                "entered_at": moment(entered[n]),
                "exited_at": moment(entered[n + 1]) if n < upto else None,
                "moved_by_id": None,
                "moved_by_system": service.SYSTEM_JOURNEY,
                "reason": service.REASON_ENTERED if n == 0 else service.REASON_ADVANCED,
            }
        )
    return out


def _goals(session: Session, today: date, rng: random.Random) -> int:
    if session.scalar(select(AccountGoal.id).limit(1)) is not None:
        return 0  # planted already
    accounts = session.scalars(
        select(Account.id).where(Account.phase.is_not(None)).order_by(Account.name)
    ).all()
    rows = []
    for account_id in accounts:
        if rng.random() > 0.35:
            continue
        for title, metric, target in rng.sample(GOALS, k=rng.choice((1, 2, 2, 3))):
            due = today + timedelta(days=rng.randint(-240, 300))
            status = "planned"
            achieved_on = None
            if due < today:
                status = "achieved" if rng.random() < 0.6 else "missed"
                if status == "achieved":
                    achieved_on = due - timedelta(days=rng.randint(0, 30))
            rows.append(
                {
                    "account_id": account_id,
                    "title": title,
                    "metric": metric,
                    "target_value": target,
                    "due_on": due,
                    "status": status,
                    "achieved_on": achieved_on,
                    "note": "",
                }
            )
    if rows:
        session.execute(insert(AccountGoal), rows)
    return len(rows)
