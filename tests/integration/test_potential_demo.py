"""The demo loaders of expansion potential and PoCs on a small company."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_user
from kizuna.demo.catalog import DEMO_DOMAIN, OPT_ANALYTICS, OPT_API, OPT_SSO, OPT_WORKFLOW
from kizuna.demo.potential import load_pocs, load_potential
from kizuna.kit.clock import today
from kizuna.models import ExpansionPotential, Poc, PocAccount, PocFeedback, Subscription
from kizuna.models.enums import ProductKind, ProductUnit, Role, Tier
from kizuna.models.poc import PocDecision, PocStatus

TODAY = today("Asia/Tokyo")


def _company(session: Session) -> None:
    for n in (1, 2, 3):
        make_user(session, Role.CSM, email=f"csm{n}@{DEMO_DOMAIN}")
    base = make_product(session, code="DEMO-BASE")
    options = [
        make_product(session, code=code, kind=ProductKind.OPTION, unit=unit, list_price_amount=p)
        for code, unit, p in (
            (OPT_ANALYTICS, ProductUnit.SEAT, 500),
            (OPT_API, ProductUnit.FIXED, 30_000),
            (OPT_SSO, ProductUnit.SEAT, 300),
            (OPT_WORKFLOW, ProductUnit.FIXED, 50_000),
        )
    ]
    for n in range(40):
        account = make_account(
            session, tier=Tier.TIER1 if n % 2 else Tier.TIER2, employee_count=100 + 50 * n
        )
        make_line(session, account, base, mrr=10_000, start=TODAY - timedelta(days=200))
        if n % 5 == 0:
            make_line(session, account, options[2], mrr=3_000, start=TODAY - timedelta(days=90))
    make_account(session, tier=Tier.TIER3)  # never gets potential


def test_potential_on_about_40_percent_of_tier_1_2_customers(session: Session) -> None:
    _company(session)
    summary = load_potential(session, 42, today=TODAY)
    rows = session.scalars(select(ExpansionPotential)).all()
    assert summary.potentials == len(rows) > 0
    per_account = Counter(r.account_id for r in rows)
    assert 8 <= len(per_account) <= 24  # ~40 % of 40
    assert set(per_account.values()) <= {1, 2, 3}
    owned = {
        (line.account_id, line.product_id) for line in session.scalars(select(Subscription)).all()
    }
    assert not owned & {(r.account_id, r.product_id) for r in rows}  # never an owned product
    assert all(r.mrr_amount > 0 and r.expected_on and r.expected_on.day == 1 for r in rows)
    assert {r.confidence.value for r in rows} == {"low", "medium", "high"}


def test_three_pocs_running_decided_planned(session: Session) -> None:
    _company(session)
    summary = load_pocs(session, 42, today=TODAY)
    assert (summary.pocs, summary.accounts, summary.feedback) == (3, 9, 2)
    pocs = {p.status: p for p in session.scalars(select(Poc))}
    assert set(pocs) == {PocStatus.RUNNING, PocStatus.DECIDED, PocStatus.PLANNED}
    running = pocs[PocStatus.RUNNING]
    count = session.scalars(select(PocAccount).where(PocAccount.poc_id == running.id)).all()
    assert len(count) == 4
    decided = pocs[PocStatus.DECIDED]
    assert decided.decision is PocDecision.ADOPT
    assert decided.decision_note
    feedback = session.scalars(select(PocFeedback).where(PocFeedback.poc_id == decided.id)).all()
    assert len(feedback) == 2
    assert all(f.sent_on for f in feedback)
