"""No look-ahead: a frame as of day D is bit-identical after records dated D or later are
added; labels match a literal day-by-day reading of the lines (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy.orm import Session
from test_health_signals import write_usage

from factories import make_account, make_activity, make_contact, make_line, make_product
from kizuna.analytics.sources import period_start
from kizuna.health.signals import outcomes
from kizuna.health.signals.catalogue import BUILTIN_SIGNALS
from kizuna.health.signals.frame import SignalFrame
from kizuna.health.signals.history import load_history, signal_frame
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.currency import CurrencyRate
from kizuna.models.enums import ActivityKind, ContactRole, ProductKind, ProductUnit, SurveyKind
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.survey import SurveyResponse

ZONE = "Asia/Tokyo"
TODAY = date(2026, 6, 30)
FIRST = date(2024, 1, 1)
USAGE = ["usage:events:week", "usage:active_users:month", "usage:days_since_last:day",
         "usage:events_per_user:week"]  # fmt: skip
# Proposals feed no health signal (only KAI): the planted company is drawn without them.
KINDS = [k for k in ActivityKind if k is not ActivityKind.PROPOSAL]
ROLES = list(ContactRole)


def local(day: date, hour: int = 0) -> datetime:
    """``hour`` o'clock on ``day`` in Tokyo, as aware UTC."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def some_day(rng: random.Random, until: date) -> date:
    return FIRST + timedelta(days=rng.randrange((until - FIRST).days))


class Company:
    """A random-ish company with every kind of record before ``until``."""

    def __init__(self, session: Session, data_dir: Path, rng: random.Random, until: date) -> None:
        self.session, self.data_dir, self.rng, self.until = session, data_dir, rng, until
        session.add(CurrencyRate(currency="USD", rate=Decimal("150.5"), valid_from=FIRST))
        self.products = [
            make_product(session, unit=ProductUnit.SEAT, kind=ProductKind.BASE_PLAN),
            make_product(session, unit=ProductUnit.FIXED, kind=ProductKind.OPTION),
            make_product(session, unit=ProductUnit.FIXED, kind=ProductKind.ADD_ON),
        ]
        self.accounts = [make_account(session) for _ in range(6)]
        self.values: list[tuple[str, str, str, date, float]] = []
        self.daily: list[tuple[str, date, str, int]] = []
        for account in self.accounts:
            self._fill(account)
        write_usage(data_dir, self.values, self.daily)

    def _fill(self, account: Account) -> None:
        rng, until = self.rng, self.until
        for _ in range(rng.randint(1, 4)):
            start = some_day(rng, until)
            end = start + timedelta(days=rng.randint(30, 500)) if rng.random() < 0.5 else None
            make_line(
                self.session,
                account,
                rng.choice(self.products),
                mrr=rng.randint(1, 9) * 10_000,
                start=start,
                end=end,
                quantity=rng.randint(1, 40),
                currency=rng.choice(["JPY", "JPY", "USD"]),
                term_months=rng.choice([1, 12]),
            )
        contacts = [
            make_contact(
                self.session,
                account,
                roles=rng.sample(ROLES, rng.randint(0, 2)),
                created_at=local(some_day(rng, until), rng.randrange(24)),
            )
            for _ in range(4)
        ]
        for _ in range(40):
            self._activity(account, some_day(rng, until), rng.sample(contacts, rng.randint(0, 2)))
        for _ in range(10):
            kind = rng.choice([SurveyKind.NPS, SurveyKind.CSAT])
            score = rng.randint(0, 10) if kind == SurveyKind.NPS else rng.randint(1, 5)
            self.session.add(SurveyResponse(account_id=account.id, kind=kind, score=score,
                                            responded_on=some_day(rng, until)))  # fmt: skip
        aid = str(account.id)
        first = some_day(rng, until)
        week = period_start(first, "week")
        while week + timedelta(days=7) <= until:
            if rng.random() < 0.7:  # gaps: a count without a row is 0 once the series began
                self.values.append(("events", "week", aid, week, float(rng.randint(0, 500))))
                self.values.append(("events_per_user", "week", aid, week, rng.random() * 9))
            week += timedelta(days=7)
        month = period_start(first, "month")
        while month < period_start(until, "month"):
            self.values.append(("active_users", "month", aid, month, float(rng.randint(0, 50))))
            month = period_start(month + timedelta(days=32), "month")
        for day in sorted({some_day(rng, until) for _ in range(60)}):
            self.daily.append((aid, day, "track:Login", rng.randint(1, 30)))
            self.values.append(("days_since_last", "day", aid, day, 0.0))

    def _activity(self, account: Account, day: date, contacts: list[Contact]) -> None:
        kind = self.rng.choice(KINDS)
        moment = local(day, self.rng.randrange(24))
        extra = {}
        if kind == ActivityKind.INQUIRY:
            response = moment + timedelta(hours=self.rng.randint(1, 200))
            resolved = response + timedelta(hours=self.rng.randint(1, 400))
            extra = {"opened_at": moment, "first_response_at": response,
                     "resolved_at": resolved if self.rng.random() < 0.7 else None}  # fmt: skip
        make_activity(self.session, account, kind=kind, occurred_at=moment, contacts=contacts,
                      is_pre_sale=self.rng.random() < 0.1, **extra)  # fmt: skip

    def plant_future(self, d: date) -> None:
        """Records dated d or later, designed to move every signal if they leaked."""
        s = self.session
        for account in self.accounts:
            aid = str(account.id)
            newcomers = [
                make_contact(s, account, roles=[role], created_at=local(d, 0))
                for role in (ContactRole.ADMIN, ContactRole.CHAMPION, ContactRole.DECISION_MAKER)
            ]
            for kind in KINDS:
                make_activity(s, account, kind=kind, occurred_at=local(d, 0), contacts=newcomers,
                              opened_at=local(d, 0), first_response_at=local(d, 1),
                              resolved_at=local(d, 2))  # fmt: skip
            for offset in (0, 10):
                s.add(SurveyResponse(account_id=account.id, kind=SurveyKind.NPS, score=0,
                                     responded_on=d + timedelta(days=offset)))  # fmt: skip
                s.add(SurveyResponse(account_id=account.id, kind=SurveyKind.CSAT, score=1,
                                     responded_on=d + timedelta(days=offset)))  # fmt: skip
            for product in self.products:
                make_line(s, account, product, mrr=9_990_000, start=d, quantity=999)
                make_line(s, account, product, mrr=5_000, start=d, end=d + timedelta(days=3))
            week, month = period_start(d, "week"), period_start(d, "month")
            # Periods not complete before d: the ones holding d, and every later one.
            self.values += [
                ("events", "week", aid, week, 99_999.0),
                ("events", "week", aid, week + timedelta(days=7), 99_999.0),
                ("events_per_user", "week", aid, week, 99.0),
                ("active_users", "month", aid, month, 999.0),
                ("days_since_last", "day", aid, d, 0.0),
            ]  # fmt: skip
            self.daily += [(aid, d + timedelta(days=k), "track:Login", 9_999) for k in range(5)]
        s.flush()
        write_usage(self.data_dir, self.values, self.daily)


def frame_at(session: Session, data_dir: Path, accounts: list[Account], d: date) -> SignalFrame:
    columns = [k for k, spec in BUILTIN_SIGNALS.items() if spec.backtestable] + USAGE
    history = load_history(session, data_dir=data_dir, zone=ZONE, today=TODAY, columns=columns)
    ids = [str(a.id) for a in accounts for _ in range(4)]
    days = [d - timedelta(days=k) for _ in accounts for k in (0, 1, 7, 45)]
    return signal_frame(history, ids, np.array(days, "datetime64[D]"), columns)


@pytest.mark.parametrize("d", [date(2026, 1, 14), date(2026, 2, 2), date(2026, 3, 1)])
def test_frame_ignores_everything_dated_on_or_after_as_of(
    session: Session, tmp_path: Path, d: date
) -> None:
    company = Company(session, tmp_path, random.Random(d.toordinal()), until=d)
    before = frame_at(session, tmp_path, company.accounts, d)
    company.plant_future(d)
    after = frame_at(session, tmp_path, company.accounts, d)
    assert before.values.keys() == after.values.keys()
    moved = [
        key
        for key in before.values
        if not np.array_equal(before.values[key], after.values[key], equal_nan=True)
        or not np.array_equal(before.observed_on[key], after.observed_on[key], equal_nan=True)
    ]
    assert moved == []
    # The planted records are seen the day after d (the test would prove nothing otherwise).
    later = frame_at(session, tmp_path, company.accounts, d + timedelta(days=1))
    assert later.values["nps_latest"][::4].tolist() == [0.0] * 6
    assert (later.values["mrr"][::4] > 9_990_000).all()


def literal_mrr(lines: list[Subscription], day: date) -> float:
    """MRR on ``day`` read literally from the lines (USD at the one planted rate)."""
    return sum(
        line.mrr_amount * (150.5 / 100 if line.currency == "USD" else 1.0)
        for line in lines
        if line.start_on <= day and (line.end_on is None or day < line.end_on)
    )


def test_labels_read_only_the_horizon(session: Session, tmp_path: Path) -> None:
    company = Company(session, tmp_path, random.Random(11), until=TODAY)
    # Make churn and contraction likely: short lines ending on many days.
    rng = random.Random(12)
    plan = session.query(Product).first()
    assert plan is not None
    for account in company.accounts:
        for _ in range(3):
            start = some_day(rng, date(2026, 1, 1))
            make_line(session, account, plan, mrr=rng.randint(1, 5) * 1_000, start=start,
                      end=start + timedelta(days=rng.randint(5, 120)))  # fmt: skip
    # And one account that surely churns twice and contracts once.
    leaver = make_account(session)
    for start, end, amount in [(date(2025, 3, 1), date(2025, 5, 1), 10_000),
                               (date(2025, 8, 1), date(2025, 9, 15), 10_000),
                               (date(2025, 8, 1), date(2025, 9, 1), 5_000)]:  # fmt: skip
        make_line(session, leaver, plan, mrr=amount, start=start, end=end)
    company.accounts.append(leaver)
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=[])
    horizon = 30
    days = [date(2025, 1, 1) + timedelta(days=k) for k in range(0, 560, 3)]
    ids = [str(a.id) for a in company.accounts for _ in days]
    as_of = np.array([d for _ in company.accounts for d in days], "datetime64[D]")
    churn = outcomes.labels(history, ids, as_of, horizon_days=horizon, kind="churn")
    down = outcomes.labels(history, ids, as_of, horizon_days=horizon, kind="downturn")
    paying = outcomes.customer_at(history, ids, as_of)
    n = 0
    for account in company.accounts:
        lines = list(session.query(Subscription).filter(Subscription.account_id == account.id))
        first = days[0] - timedelta(days=1)
        span = (TODAY - first).days + horizon + 2
        mrr = {first + timedelta(days=k): literal_mrr(lines, first + timedelta(days=k))
               for k in range(span)}  # fmt: skip
        for d in days:
            customer = mrr[d - timedelta(days=1)] > 0
            assert paying[n] == customer
            if customer and d + timedelta(days=horizon) <= TODAY:
                window = [d + timedelta(days=k) for k in range(horizon)]
                pairs = [(mrr[t - timedelta(days=1)], mrr[t]) for t in window]
                churned = any(a > 0 and b == 0 for a, b in pairs)
                fell = any(0 < b <= 0.9 * a for a, b in pairs)
                assert churn[n] == float(churned), (account.id, d)
                assert down[n] == float(churned or fell), (account.id, d)
            else:
                assert np.isnan(churn[n])
                assert np.isnan(down[n])
            n += 1
    assert np.nansum(down) > np.nansum(churn) > 0  # the test saw churns and contractions
