"""Health pages through HTTP (SQLite and PostgreSQL): the dashboard, the Account 360 health
panel, and the Portfolio's health column, sort and filters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
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
from kizuna.models.enums import Role
from webtools import web_login


@contextmanager
def count_queries(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    event.listen(connection.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection.engine, "before_cursor_execute", record)


def test_dashboard_in_japanese(app_client: TestClient, session: Session) -> None:
    accounts = plant_dashboard(session)
    session.commit()
    web_login(app_client, session, Role.READ_ONLY)

    page = app_client.get("/health")

    assert page.status_code == 200
    assert 'data-testid="scored-accounts">4<' in page.text
    assert "¥100,000" in page.text  # MRR in the red band
    assert 'data-testid="risky-mrr">¥50,000<' in page.text
    assert "良好" in page.text
    assert "危険" in page.text
    assert f'href="/accounts/{accounts["risky"].id}"' in page.text
    assert "60.0%" in page.text  # the top churn risk
    assert "決裁者との最終接点" in page.text  # its top reason, named in Japanese
    assert "スコア 85(良好)、あと 20 日で更新" in page.text  # expansion evidence
    assert 'href="/health" class="nav-item active"' in page.text
    assert 'data-testid="trend-chart"' in page.text


def test_dashboard_in_english_and_when_nothing_is_scored(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.CSM, locale="en")
    empty = app_client.get("/health")
    assert empty.status_code == 200
    assert 'data-testid="health-empty"' in empty.text
    plant_dashboard(session)
    session.commit()
    page = app_client.get("/health")
    assert "Biggest drops this week" in page.text
    assert "Healthy" in page.text
    assert "Score 85 (healthy), renewal in 20 days" in page.text


def test_account_panel_explains_the_score(app_client: TestClient, session: Session) -> None:
    account = paying(session, "株式会社パネル", 100_000)
    make_score(session, account, make_version(session), score=80, band="green", today=TODAY,
               change_7d=5, history=((14, 70.0), (7, 75.0), (0, 80.0)))  # fmt: skip
    make_risk(session, account, make_model(session, number=2), 0.42, TODAY)
    make_signal(session, account, "seats", strength=0.7, today=TODAY)
    session.commit()
    web_login(app_client, session, Role.CSM)

    detail = app_client.get(f"/accounts/{account.id}")
    assert f'hx-get="/accounts/{account.id}/health-panel"' in detail.text
    panel = app_client.get(f"/accounts/{account.id}/health-panel")

    assert panel.status_code == 200
    text = panel.text
    assert 'data-band="green"' in text
    assert ">80<" in text
    assert "▲ +5.0" in text  # vs 7 days ago
    assert '<svg class="sparkline"' in text
    assert "導入完了度" in text
    assert "シート有効化率" in text
    assert "60.0%" in text  # the seat-activation value, a ratio shown as %
    assert "3日前のデータ" in text
    assert "今日のデータ" in text
    assert "▲ +10.0 点" in text
    assert "前回 50.0%" in text
    assert "42.0%" in text
    assert "リスクを上げる要因" in text
    assert "先月のアクティブユーザー 19 人 / ライセンス 20(95.0%)" in text


def test_account_panel_of_an_unscored_and_a_missing_account(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session)
    web_login(app_client, session, Role.CSM)
    panel = app_client.get(f"/accounts/{account.id}/health-panel")
    assert panel.status_code == 200
    assert 'data-testid="health-none"' in panel.text
    missing = app_client.get("/accounts/00000000-0000-0000-0000-000000000000/health-panel")
    assert missing.status_code == 404


def test_portfolio_health_column_sort_and_filters(
    app_client: TestClient, session: Session, connection: Connection
) -> None:
    accounts = plant_dashboard(session)
    session.commit()
    web_login(app_client, session, Role.CSM)

    with count_queries(connection) as queries:
        page = app_client.get("/portfolio", params={"sort": "health"})
    assert page.status_code == 200
    assert len(queries) <= 8, queries  # the Portfolio baseline: health joins the same query
    order = [page.text.index(f">{n}</a>") for n in ("赤", "黄", "危", "緑")]
    assert order == sorted(order)  # worst first
    assert page.text.index(">緑</a>") < page.text.index(">未スコア</a>")  # unscored last
    assert "▼ -9.0" in page.text
    assert "解約リスク 60%" in page.text

    red = app_client.get("/portfolio", params={"band": "red"})
    assert 'data-testid="total-accounts">1<' in red.text
    assert ">赤</a>" in red.text
    dropped = app_client.get("/portfolio", params={"dropped": "5"})
    assert 'data-testid="total-accounts">1<' in dropped.text
    assert ">黄</a>" in dropped.text
    risky = app_client.get("/portfolio", params={"risk_min": "30"})
    assert 'data-testid="total-accounts">1<' in risky.text
    assert f'/accounts/{accounts["risky"].id}"' in risky.text
    unknown = app_client.get("/portfolio", params={"band": "unknown"})
    assert ">未スコア</a>" in unknown.text
    assert ">緑</a>" not in unknown.text

    bad = app_client.get("/portfolio", params={"band": "purple", "dropped": "-1"})
    assert bad.status_code == 422
    assert "band" in bad.text
    assert "dropped" in bad.text
