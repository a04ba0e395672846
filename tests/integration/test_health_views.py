"""Health read models on planted rows (SQLite and PostgreSQL): one account's health with its
explanation, the dashboard figures, and the expansion list's keyset paging."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from factories import make_account
from health_factories import (
    TODAY,
    make_model,
    make_risk,
    make_score,
    make_signal,
    make_version,
    paying,
    plant_dashboard,
)
from kizuna.auth.actor import Actor
from kizuna.health import dashboard as dashboard_views
from kizuna.health import views
from kizuna.kit.errors import Invalid, NotFound

ACTOR = Actor.system("test")


def test_account_health_explains_the_score(session: Session) -> None:
    account = paying(session, "株式会社ヘルス", 100_000)
    version = make_version(session)
    make_score(
        session,
        account,
        version,
        score=80,
        band="green",
        today=TODAY,
        change_7d=5,
        history=((200, 10.0), (14, 70.0), (7, 75.0), (0, 80.0)),
    )
    make_risk(session, account, make_model(session, number=3), 0.42, TODAY)
    make_signal(session, account, "seats", strength=0.7, today=TODAY)

    view = views.account_health(session, ACTOR, account.id, today=TODAY)

    assert view.scored
    assert view.score == 80
    assert view.band == "green"
    assert view.change_7d == 5
    assert view.score_7d_ago == 75
    assert view.version_number == 1
    assert [g.key for g in view.groups] == ["deployment", "engagement"]
    assert [g.score for g in view.groups] == [60.0, 100.0]
    seats = view.groups[0].measures[0]
    assert (seats.name, seats.value, seats.points, seats.weight) == ("シート有効化率", 0.6, 60, 1)
    assert seats.contribution == 30.0
    assert seats.signal.unit == "ratio"  # from the signal catalogue
    assert seats.observed_on == TODAY - timedelta(days=3)
    assert seats.age_days == 3
    assert (seats.previous_value, seats.previous_points, seats.change_points) == (0.5, 50, 10)
    nps = view.groups[1].measures[0]
    assert nps.change_points is None
    assert nps.age_days == 0
    # 180 days of history, oldest first (the row 200 days ago is left out).
    assert [s for _d, s in view.history] == [70.0, 75.0, 80.0]
    assert view.risk is not None
    assert (view.risk.probability, view.risk.model_number, view.risk.horizon_days) == (0.42, 3, 90)
    assert view.risk.reasons[0].signal.key == "days_since_dm_touch"
    assert view.risk.reasons[0].signal.name_en != "days_since_dm_touch"  # named
    assert view.risk.reasons[0].value == 120
    assert [s.kind for s in view.expansion] == ["seats"]


def test_account_health_of_an_unscored_account_and_a_missing_one(session: Session) -> None:
    account = make_account(session)
    view = views.account_health(session, ACTOR, account.id, today=TODAY)
    assert not view.scored
    assert view.groups == []
    assert view.risk is None
    with pytest.raises(NotFound):
        views.account_health(session, ACTOR, uuid.uuid4(), today=TODAY)


def test_explanation_keeps_measures_of_groups_the_definition_lacks() -> None:
    groups = views.explain(
        {"measures": [{"key": "x", "group": "other", "signal": "gone", "points": 10}]},
        {"groups": [{"key": "roi", "name": "費用対効果", "weight": 1}], "measures": []},
        {},
        today=date(2026, 1, 1),
    )
    assert [g.key for g in groups] == ["roi", "other"]
    assert groups[1].measures[0].signal.name == "gone"  # unknown signal keeps its key


def test_dashboard_figures(session: Session) -> None:
    accounts = plant_dashboard(session)
    d = dashboard_views.dashboard(session, ACTOR, today=TODAY)

    assert d.scored == 4
    bands = {b.band: (b.accounts, b.mrr_by_currency) for b in d.bands}
    assert bands["green"] == (1, {"JPY": 300_000})
    assert bands["yellow"] == (2, {"JPY": 250_000})
    assert bands["red"] == (1, {"JPY": 100_000})
    assert bands["unknown"] == (0, {})
    assert d.histogram[8] == 1
    assert d.histogram[5] == 1
    assert d.histogram[6] == 1
    assert d.histogram[2] == 1
    assert sum(d.histogram) == 4
    assert d.average == (85 + 55 + 20 + 65) / 4
    assert [m.name for m in d.movers_up] == ["緑"]
    assert [m.name for m in d.movers_down] == ["黄", "赤"]  # largest drop first
    assert (d.at_risk.red_accounts, d.at_risk.red_mrr) == (1, {"JPY": 100_000})
    assert (d.at_risk.risky_accounts, d.at_risk.risky_mrr) == (1, {"JPY": 50_000})
    assert (d.at_risk.either_accounts, d.at_risk.either_mrr) == (2, {"JPY": 150_000})
    assert [r.account_id for r in d.top_risks] == [accounts["risky"].id, accounts["red"].id]
    assert d.top_risks[0].reason is not None
    assert d.top_risks[0].reason.signal.key == "days_since_dm_touch"
    assert [(c.name, c.expansion.kind) for c in d.expansion if c.expansion] == [
        ("緑", "renewal"),
        ("黄", "seats"),
    ]
    assert d.expansion_by_kind == {"renewal": 1, "seats": 1}
    assert d.trend == [
        (TODAY - timedelta(days=7), pytest.approx((73 + 64) / 2)),
        (TODAY, pytest.approx((85 + 55) / 2)),
    ]
    assert d.model_number == 1


def test_expansion_pages_follow_strength_then_key(session: Session) -> None:
    accounts = [make_account(session) for _ in range(3)]
    for account in accounts:
        make_signal(session, account, "seats", strength=0.5, today=TODAY)
        make_signal(session, account, "option", subject="OPT-A", strength=0.5, today=TODAY)
    make_signal(session, accounts[0], "renewal", strength=0.9, today=TODAY)

    seen, cursor = [], None
    while True:
        page = dashboard_views.expansion_page(session, ACTOR, cursor=cursor, limit=2)
        seen.extend((i.account_id, i.kind, i.subject) for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert seen[0] == (accounts[0].id, "renewal", "")
    only = dashboard_views.expansion_page(session, ACTOR, kind="option", limit=50)
    assert {i.kind for i in only.items} == {"option"}
    assert len(only.items) == 3
    with pytest.raises(Invalid):
        dashboard_views.expansion_page(session, ACTOR, kind="nope")
    with pytest.raises(Invalid):
        dashboard_views.expansion_page(session, ACTOR, cursor="not-a-cursor")
