"""A planted company for the churn-model and calibration-lab tests: churn depends on
behaviour that the signals can see (NPS answers fall months before an account leaves),
plus the helpers that plant a *future* leak.

Every account answers an NPS survey each month. An account that will churn answers 0–5
from ~120 days before its churn day (with some noise); the others answer 6–10, with an
occasional dip that does not lead to churn. Lines are 12-month contracts, so a churn day
falls on a term anniversary (as renewals do) and an open line's anniversary is knowable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.models.account import Account
from kizuna.models.enums import SurveyKind
from kizuna.models.subscription import Subscription
from kizuna.models.survey import SurveyResponse

START = date(2023, 1, 2)
TODAY = date(2025, 6, 30)
WARNING_DAYS = 120


@dataclass
class Planted:
    accounts: list[Account] = field(default_factory=list)
    lines: dict[str, Subscription] = field(default_factory=dict)  # by external id
    churn_on: dict[str, date | None] = field(default_factory=dict)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def plant_company(
    session: Session,
    *,
    accounts: int = 160,
    churn_share: float = 0.45,
    signal: float = 0.85,
    seed: int = 11,
) -> Planted:
    """``accounts`` customers starting in 2023's first half; ``churn_share`` of them churn
    around a contract anniversary between 2023-10 and 2025-06; a churner's answers in its
    last ~120 days are low with probability ``signal``."""
    rng = np.random.default_rng(seed)
    product = make_product(session, code="PLANT", name="プラン")
    planted = Planted()
    answers: list[SurveyResponse] = []
    for n in range(accounts):
        external = f"P{n:04d}"
        account = make_account(session, external_id=external, name=f"株式会社植{n}")
        start = START + timedelta(days=int(rng.integers(0, 150)))
        churn: date | None = None
        if rng.uniform() < churn_share:
            terms = int(rng.integers(1, 3))
            churn = _add_months(start, 12 * terms)
            churn += timedelta(days=int(rng.integers(-60, 60)))  # early or late notices
            churn = min(max(churn, date(2023, 10, 1)), date(2025, 6, 20))
        line = make_line(
            session, account, product, mrr=50_000 + 1000 * (n % 7), start=start, end=churn
        )
        planted.accounts.append(account)
        planted.lines[external] = line
        planted.churn_on[external] = churn
        day = start + timedelta(days=20)
        last = min(churn, TODAY) if churn else TODAY
        while day < last:
            warned = churn is not None and (churn - day).days <= WARNING_DAYS
            dip = rng.uniform() < 0.08
            if warned and rng.uniform() < signal:
                score = int(rng.integers(0, 6))
            elif dip:
                score = int(rng.integers(3, 7))
            else:
                score = int(rng.integers(6, 11))
            answers.append(
                SurveyResponse(
                    account_id=account.id, kind=SurveyKind.NPS, score=score, responded_on=day
                )
            )
            day += timedelta(days=30)
    session.add_all(answers)
    session.flush()
    return planted


def plant_future_leak(session: Session, planted: Planted, *, on_or_after: date) -> int:
    """Records dated on or after ``on_or_after`` that would give the game away if anything
    read them early: every account still paying then answers NPS 0 on that day, and half of
    them churn the day after. Returns how many accounts were touched."""
    touched = 0
    for n, account in enumerate(planted.accounts):
        external = account.external_id or ""
        churn = planted.churn_on[external]
        if churn is not None and churn <= on_or_after:
            continue
        session.add(
            SurveyResponse(
                account_id=account.id, kind=SurveyKind.NPS, score=0, responded_on=on_or_after
            )
        )
        if n % 2 == 0:
            planted.lines[external].end_on = on_or_after + timedelta(days=1)
        touched += 1
    session.flush()
    return touched
