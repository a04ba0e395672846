"""The KGI dashboard and its drill-down pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.kit.clock import today
from kizuna.models.enums import Role, Tier
from kizuna.revenue.windows import month_window
from kizuna.subscription.terms import add_months
from webtools import web_login

THIS_MONTH = today("Asia/Tokyo").replace(day=1)


def month(k: int) -> date:
    """The first day of the month ``k`` months from this one."""
    return add_months(THIS_MONTH, k)


@pytest.fixture
def book(session: Session) -> dict[str, object]:
    """Three accounts: one churns two months ago, one stays, one is new last month."""
    plan = make_product(session)
    gone = make_account(session, name="去った商事", tier=Tier.TIER1)
    kept = make_account(session, name="続く工業", tier=Tier.TIER2)
    fresh = make_account(session, name="新しい物産", tier=Tier.TIER2)
    make_line(session, gone, plan, mrr=100_000, start=month(-6), end=month(-2))
    make_line(session, kept, plan, mrr=50_000, start=month(-6))
    make_line(session, fresh, plan, mrr=30_000, start=month(-1))
    session.commit()
    return {"gone": gone, "kept": kept, "fresh": fresh}


def cells(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, testid
    return match.group(1).strip()


def test_dashboard_shows_mrr_movements_and_kgi(
    app_client: TestClient, session: Session, book: dict[str, object]
) -> None:
    web_login(app_client, session, Role.MANAGER, locale="en")
    page = app_client.get("/revenue")
    assert page.status_code == 200, page.text
    html = page.text
    assert cells(html, "mrr-now") == "¥80,000"
    # The line ends on the first of month(-2): the account churned in month(-2) (it was
    # paying at the end of month(-3), not at the end of month(-2)), whose row shows its MRR
    # as a negative churn amount linked to the accounts behind it.
    s, e = month_window(month(-2))
    link = f"/revenue/drill?figure=churned&amp;from={s}&amp;to={e}"
    assert f'{link}">-¥100,000</a>' in html
    s, e = month_window(month(-1))
    assert f"/revenue/drill?figure=new&amp;from={s}&amp;to={e}" in html
    assert "Churn KGI at quarter ends" in html
    # A cohort cell opens the accounts of that cohort still paying k months later.
    cohort = month(-1).strftime("%Y-%m")
    opening, closing = month_window(month(-1))
    assert (
        f"/revenue/drill?figure=end&amp;from={opening}&amp;to={closing}"
        f"&amp;by=cohort&amp;group={cohort}"
    ) in html


def test_dashboard_in_japanese_and_cut_by_tier(
    app_client: TestClient, session: Session, book: dict[str, object]
) -> None:
    web_login(app_client, session, Role.READ_ONLY, locale="ja")
    html = app_client.get("/revenue?months=24&by=tier&basis=mrr").text
    assert "収益とリテンション" in html
    assert "<td>Tier 1</td>" in html  # groups are shown by their labels, not their codes
    assert "期首MRR" in html
    assert "&amp;by=tier&amp;group=tier2" in html


def test_drilldown_lists_the_accounts_and_lines_behind_a_figure(
    app_client: TestClient, session: Session, book: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM, locale="en")
    s, e = month_window(month(-2))
    page = app_client.get(f"/revenue/drill?figure=churned&from={s}&to={e}")
    assert page.status_code == 200, page.text
    assert cells(page.text, "drill-count") == "1"
    assert cells(page.text, "drill-total") == "¥100,000"
    assert "去った商事" in page.text
    assert "続く工業" not in page.text


def test_bad_parameters_name_the_parameter(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN, locale="en")
    bad_period = app_client.get("/revenue?months=7")
    assert bad_period.status_code == 422
    assert "months" in bad_period.text
    backwards = app_client.get(f"/revenue/drill?figure=new&from={month(0)}&to={month(-1)}")
    assert backwards.status_code == 422
    assert "from" in backwards.text
    unknown = app_client.get(f"/revenue/drill?figure=lost&from={month(-1)}&to={month(0)}")
    assert unknown.status_code == 422
    assert "figure" in unknown.text


def test_support_cannot_see_company_revenue(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.SUPPORT, locale="en")
    assert app_client.get("/revenue").status_code == 403
    assert 'href="/revenue"' not in app_client.get("/portfolio").text
