"""Renewals sync, forecasts, events and forecast vs actual (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_account, make_health, make_line, make_product, make_user
from kizuna.auth.service import actor_for_user
from kizuna.kit.errors import Conflict, Forbidden
from kizuna.models import AuditEvent, CurrencyRate, DomainEvent, Job, Renewal, Subscription
from kizuna.models.enums import Role, Tier
from kizuna.models.health import HealthScore
from kizuna.models.renewal import RenewalForecast, RenewalOutcome
from kizuna.renewal import service
from kizuna.renewal.schemas import ForecastSet, RenewalFilters

D0 = date(2026, 3, 1)
F = RenewalForecast


def _renewals(session: Session) -> dict[tuple[str, date], Renewal]:
    rows = session.execute(
        select(Renewal, func.coalesce(Renewal.contract_ref, "")).order_by(Renewal.renews_on)
    ).all()
    return {(str(r[0].account_id), r[0].renews_on): r[0] for r in rows}


def _events(session: Session, renewal: Renewal | None = None) -> list[DomainEvent]:
    events = session.scalars(select(DomainEvent).where(DomainEvent.kind == "renewal.at_risk")).all()
    if renewal is None:
        return list(events)
    return [e for e in events if e.payload["renewal_id"] == str(renewal.id)]


def test_sync_groups_lines_by_account_and_end_date_within_the_window(session: Session) -> None:
    csm, sales = make_user(session, Role.CSM), make_user(session, Role.CUSTOMER_SALES)
    plan, option = make_product(session), make_product(session)
    a = make_account(session, tier=Tier.TIER2, csm_owner_id=csm.id, sales_owner_id=sales.id)
    b = make_account(session, tier=Tier.TIER1, csm_owner_id=csm.id, sales_owner_id=sales.id)
    start = date(2025, 4, 1)
    make_line(session, a, plan, mrr=10_000, start=start, end=date(2026, 4, 1), contract_ref="C-1")
    make_line(session, a, option, mrr=2_000, start=start, end=date(2026, 4, 1), contract_ref="C-1")
    make_line(session, a, option, mrr=3_000, start=start, end=date(2026, 6, 1), contract_ref="C-2")
    make_line(session, a, plan, mrr=9_000, start=start, end=date(2026, 9, 30))  # > 180 days
    make_line(session, a, plan, mrr=9_000, start=start, end=date(2026, 2, 15))  # in the past
    make_line(session, a, plan, mrr=1_000, start=start)  # open-ended
    make_line(session, b, plan, mrr=50_000, start=start, end=date(2026, 3, 20))
    make_health(session, a, band="green", score=82, probability=0.1)
    make_health(session, b, band="red", score=31)

    result = service.sync(session, D0)

    assert (result.created, result.updated, result.removed, result.settled) == (3, 0, 0, 0)
    found = _renewals(session)
    assert set(found) == {
        (str(a.id), date(2026, 4, 1)),
        (str(a.id), date(2026, 6, 1)),
        (str(b.id), date(2026, 3, 20)),
    }
    april = found[(str(a.id), date(2026, 4, 1))]
    assert april.mrr_amount == 12_000
    assert april.contract_ref == "C-1"
    assert len(april.line_ids) == 2
    assert april.owner_id == csm.id  # Tier 2: the CSM
    assert april.forecast is F.COMMIT
    assert april.forecast_mrr_amount == 12_000
    assert april.forecast_set_at is None
    assert april.outcome is RenewalOutcome.PENDING
    b_renewal = found[(str(b.id), date(2026, 3, 20))]
    assert b_renewal.owner_id == sales.id  # Tier 1: the customer-sales owner
    assert b_renewal.forecast is F.AT_RISK
    assert b_renewal.suggestion_reasons == [{"code": "health_red", "value": "red"}]

    # Idempotent: nothing moves, no new event.
    again = service.sync(session, D0)
    assert (again.created, again.updated, again.removed, again.events) == (0, 0, 0, 0)
    assert session.scalar(select(func.count()).select_from(Renewal)) == 3

    # Windows of the list: 30 days holds the 20 March renewal only, 60 also 1 April.
    admin = actor_for_user(make_user(session, Role.ADMIN))
    thirty = service.list_renewals(session, admin, RenewalFilters(days=30), today=D0)
    assert [r.account_id for r in thirty.items] == [b.id]
    sixty = service.list_renewals(session, admin, RenewalFilters(days=60), today=D0)
    assert [r.renews_on for r in sixty.items] == [date(2026, 3, 20), date(2026, 4, 1)]
    tier1 = service.list_renewals(
        session, admin, RenewalFilters(days=180, tier=Tier.TIER1), today=D0
    )
    assert [r.account_id for r in tier1.items] == [b.id]
    assert (
        service.list_renewals(
            session, admin, RenewalFilters(days=180, owner_id=sales.id), today=D0
        ).total
        == 1
    )

    # A line's end date moved: the old renewal goes, a new one comes.
    moved = session.scalar(select(Subscription).where(Subscription.end_on == date(2026, 6, 1)))
    assert moved is not None
    moved.end_on = date(2026, 7, 1)
    session.flush()
    result = service.sync(session, D0)
    assert (result.created, result.removed) == (1, 1)
    assert (str(a.id), date(2026, 7, 1)) in _renewals(session)
    assert (str(a.id), date(2026, 6, 1)) not in _renewals(session)


def test_suggested_until_a_person_sets_it_and_events_once_per_change(session: Session) -> None:
    plan = make_product(session)
    account = make_account(session)
    make_line(session, account, plan, mrr=20_000, start=date(2025, 5, 1), end=date(2026, 5, 1))
    make_health(session, account, band="green", score=80)
    service.sync(session, D0)
    renewal = next(iter(_renewals(session).values()))
    assert renewal.forecast is F.COMMIT
    assert _events(session) == []

    person = make_user(session, Role.CUSTOMER_SALES)
    actor = actor_for_user(person)
    service.set_forecast(
        session,
        actor,
        renewal.id,
        ForecastSet(forecast=F.AT_RISK, note="決裁者が交代", forecast_mrr_amount=15_000),
        today=D0,
    )
    assert renewal.forecast is F.AT_RISK
    assert renewal.forecast_set_by_id == person.id
    assert renewal.forecast_mrr_amount == 15_000
    events = _events(session, renewal)
    assert len(events) == 1
    payload = events[0].payload
    assert payload["forecast"] == "at_risk"
    assert payload["previous_forecast"] == "commit"
    assert payload["renews_on"] == "2026-05-01"
    assert payload["mrr_amount"] == 20_000
    assert payload["reasons"][0] == {"code": "set_by_person", "value": "決裁者が交代"}
    assert (
        session.scalar(
            select(func.count()).select_from(Job).where(Job.name == "playbooks.evaluate")
        )
        == 1
    )
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "renewal.forecast")).all()
    assert len(audit) == 1
    assert audit[0].changes["forecast"] == ["commit", "at_risk"]

    # Same category again: no new event. The sync keeps a person's forecast.
    service.set_forecast(
        session, actor, renewal.id, ForecastSet(forecast=F.AT_RISK, note="変わらず"), today=D0
    )
    service.sync(session, D0)
    assert renewal.forecast is F.AT_RISK
    assert len(_events(session, renewal)) == 1
    # at risk → churn is a change: one more event.
    service.set_forecast(session, actor, renewal.id, ForecastSet(forecast=F.CHURN), today=D0)
    assert renewal.forecast_mrr_amount == 0
    assert len(_events(session, renewal)) == 2

    # Back to the system's suggestion (commit): no event; the sync drives it again.
    service.set_forecast(session, actor, renewal.id, ForecastSet(forecast=None), today=D0)
    assert renewal.forecast is F.COMMIT
    assert renewal.forecast_set_at is None
    score = session.get(HealthScore, account.id)
    assert score is not None
    score.band = "red"
    session.flush()
    service.sync(session, D0)
    assert renewal.forecast is F.AT_RISK  # the system's change
    assert len(_events(session, renewal)) == 3
    assert _events(session, renewal)[-1].payload["set_by"] == "system"
    service.sync(session, D0)
    assert len(_events(session, renewal)) == 3

    # Read-only roles cannot; once the date has come the forecast is final.
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    with pytest.raises(Forbidden):
        service.set_forecast(session, viewer, renewal.id, ForecastSet(forecast=F.LIKELY), today=D0)
    with pytest.raises(Conflict):
        service.set_forecast(
            session, actor, renewal.id, ForecastSet(forecast=F.LIKELY), today=date(2026, 5, 1)
        )


def test_outcomes_are_settled_from_the_lines_and_forecast_vs_actual(session: Session) -> None:
    plan = make_product(session)
    day = date(2026, 3, 10)
    start = date(2025, 3, 10)
    accounts = {k: make_account(session, name=f"更新{k}") for k in "CDEFGHL"}
    stake = {}
    for key, account in accounts.items():
        stake[key] = make_line(session, account, plan, mrr=10_000, start=start, end=day)
    # H also has a contract that continues: it is not part of the renewal.
    make_line(session, accounts["H"], plan, mrr=5_000, start=date(2025, 1, 1))
    service.sync(session, D0)
    person = actor_for_user(make_user(session, Role.CUSTOMER_SALES))
    found = {k: _renewals(session)[(str(a.id), day)] for k, a in accounts.items()}
    assert all(r.forecast is F.LIKELY for r in found.values())  # no health score yet
    service.set_forecast(
        session,
        person,
        found["E"].id,
        ForecastSet(forecast=F.AT_RISK, forecast_mrr_amount=5_000),
        today=D0,
    )
    service.set_forecast(session, person, found["F"].id, ForecastSet(forecast=F.CHURN), today=D0)

    # What happened on the renewal date.
    make_line(session, accounts["C"], plan, mrr=10_000, start=day, end=date(2027, 3, 10))
    make_line(session, accounts["D"], plan, mrr=15_000, start=day, end=date(2027, 3, 10))
    make_line(session, accounts["E"], plan, mrr=6_000, start=day, end=date(2027, 3, 10))
    stake["G"].end_on = date(2027, 3, 10)  # auto-renewed: the same line runs on
    make_line(session, accounts["H"], plan, mrr=10_000, start=day)
    session.flush()

    before = service.sync(session, date(2026, 3, 9))
    assert before.settled == 0
    result = service.sync(session, day)
    assert result.settled == 7
    outcomes = {k: (r.outcome, r.actual_mrr_amount) for k, r in found.items()}
    assert outcomes == {
        "C": (RenewalOutcome.RENEWED, 10_000),
        "D": (RenewalOutcome.EXPANDED, 15_000),
        "E": (RenewalOutcome.CONTRACTED, 6_000),
        "F": (RenewalOutcome.CHURNED, 0),
        "G": (RenewalOutcome.RENEWED, 10_000),
        "H": (RenewalOutcome.RENEWED, 10_000),
        "L": (RenewalOutcome.CHURNED, 0),
    }
    assert all(r.closed_at is not None for r in found.values())
    assert service.sync(session, date(2026, 3, 11)).settled == 0  # idempotent

    # A renewal entered late, within the settling window, corrects the outcome ...
    make_line(session, accounts["L"], plan, mrr=12_000, start=day, end=date(2027, 3, 10))
    session.flush()
    closed_at = found["L"].closed_at
    assert service.sync(session, date(2026, 3, 25)).settled == 1
    assert found["L"].outcome is RenewalOutcome.EXPANDED
    assert found["L"].closed_at == closed_at
    # ... but after it the outcome is final.
    make_line(session, accounts["F"], plan, mrr=10_000, start=day, end=date(2027, 3, 10))
    session.flush()
    assert service.sync(session, date(2026, 4, 20)).settled == 0
    assert found["F"].outcome is RenewalOutcome.CHURNED

    report = service.forecast_vs_actual(session, date(2026, 1, 1), date(2026, 4, 1))
    assert [p.label for p in report.periods] == ["2026-01", "2026-02", "2026-03"]
    assert report.periods[0].accuracy.count == 0
    march = {c.forecast: c for c in report.periods[2].categories}
    # likely: C, D, G, H, L — forecast 50,000, actual 10+15+10+10+12 = 57,000
    assert (march[F.LIKELY].count, march[F.LIKELY].forecast_mrr_amount) == (5, 50_000)
    assert march[F.LIKELY].actual_mrr_amount == 57_000
    assert march[F.LIKELY].outcomes == {
        "renewed": 3,
        "expanded": 2,
        "contracted": 0,
        "churned": 0,
    }
    assert (march[F.AT_RISK].forecast_mrr_amount, march[F.AT_RISK].actual_mrr_amount) == (
        5_000,
        6_000,
    )
    assert (march[F.CHURN].forecast_mrr_amount, march[F.CHURN].actual_mrr_amount) == (0, 0)
    assert march[F.COMMIT].count == 0
    total = report.total.accuracy
    assert (total.count, total.hits) == (7, 7)
    assert (total.forecast_mrr_amount, total.actual_mrr_amount) == (55_000, 63_000)
    assert total.mrr_amount == 70_000
    assert total.mrr_accuracy == pytest.approx(1 - 8_000 / 55_000)
    quarters = service.forecast_vs_actual(
        session, date(2026, 1, 1), date(2026, 4, 1), grain="quarter"
    )
    assert [p.label for p in quarters.periods] == ["2026-Q1"]
    assert quarters.periods[0].accuracy == total


def test_forecast_summary_and_currencies(session: Session) -> None:
    plan = make_product(session)
    start = date(2025, 4, 1)
    a, b, c = make_account(session), make_account(session), make_account(session)
    make_line(session, a, plan, mrr=10_000, start=start, end=date(2026, 3, 15))
    make_line(session, a, plan, mrr=10_000, start=start, end=date(2026, 3, 15), currency="USD")
    make_line(session, b, plan, mrr=20_000, start=start, end=date(2026, 4, 20), currency="USD")
    make_line(session, c, plan, mrr=5_000, start=start, end=date(2026, 3, 25), currency="EUR")
    make_health(session, b, band="red", score=20)
    session.add(CurrencyRate(currency="USD", rate=Decimal("150"), valid_from=date(2025, 1, 1)))
    session.flush()
    result = service.sync(session, D0)
    assert result.created == 3
    assert len(result.skipped) == 0
    found = _renewals(session)
    mixed = found[(str(a.id), date(2026, 3, 15))]
    assert (mixed.currency, mixed.mrr_amount) == ("JPY", 10_000 + 15_000)  # $100.00 × 150
    assert found[(str(b.id), date(2026, 4, 20))].currency == "USD"
    assert found[(str(c.id), date(2026, 3, 25))].currency == "EUR"

    # The EUR renewal has no rate: the summary names the currency instead of skipping it.
    with pytest.raises(Conflict):
        service.forecast_summary(session, today=D0, days=30)
    session.add(CurrencyRate(currency="EUR", rate=Decimal("160"), valid_from=date(2025, 1, 1)))
    session.flush()
    summary = service.forecast_summary(session, today=D0, days=30)
    by = {c.forecast: c for c in summary.categories}
    assert summary.currency == "JPY"
    assert (summary.count, summary.mrr_amount) == (2, 25_000 + 8_000)  # €50.00 × 160
    assert (by[F.LIKELY].count, by[F.LIKELY].mrr_amount) == (2, 33_000)
    wide = service.forecast_summary(session, today=D0, days=60)
    by = {c.forecast: c for c in wide.categories}
    assert (by[F.AT_RISK].count, by[F.AT_RISK].mrr_amount) == (1, 30_000)  # $200.00 × 150
    assert wide.count == 3


def test_mixed_currencies_without_a_rate_are_skipped_with_a_reason(session: Session) -> None:
    plan = make_product(session)
    a = make_account(session)
    make_line(session, a, plan, mrr=10_000, start=date(2025, 4, 1), end=date(2026, 3, 15))
    make_line(
        session, a, plan, mrr=100, start=date(2025, 4, 1), end=date(2026, 3, 15), currency="GBP"
    )
    result = service.sync(session, D0)
    assert result.created == 0
    assert len(result.skipped) == 1
    assert "GBP" in result.skipped[0]
