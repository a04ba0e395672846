"""Planning pages: render in Japanese and English, recompute from GET parameters, show
field errors, and fill their inputs from actual data (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_planning_company
from kizuna.models.enums import Role
from webtools import csrf_of, web_login


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match.group(1)


def test_hub_in_japanese_and_english(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.READ_ONLY, locale="ja")
    ja = app_client.get("/planning")
    assert ja.status_code == 200
    assert "カスタマーセールス パイロット ROI" in ja.text
    assert '<a href="/planning" class="nav-item active">プランニング</a>' in ja.text
    assert "¥6,500,000" in ja.text
    assert "6.5 倍" in ja.text

    token = csrf_of(ja.text)
    app_client.post("/locale", data={"locale": "en", "back": "/planning", "csrf_token": token})
    en = app_client.get("/planning")
    assert "Customer-sales pilot ROI" in en.text
    assert "29.0%" in en.text  # CS's share in year 5 of the seed-003 scenario
    assert "38.3%" in en.text


def test_pilot_page_shows_the_seed_000_example(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CUSTOMER_SALES, locale="ja")
    page = app_client.get("/planning/pilot-roi")
    assert page.status_code == 200
    assert 'data-testid="ltv">¥6,500,000<' in page.text
    assert 'data-testid="roi">6.5×<' in page.text
    assert 'data-testid="payback">9 か月<' in page.text
    assert "new Chart(" in page.text
    assert value_of(page.text, "cost") == "1,000,000"


def test_pilot_page_recomputes_from_the_query(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.MANAGER, locale="en")
    params = {"cost": "800,000", "new_mrr": "１００，０００", "churn": "2.5%", "people": "0.5"}
    page = app_client.get("/planning/pilot-roi", params=params, headers={"HX-Request": "true"})
    assert page.status_code == 200
    # 0.5 × 100,000 ÷ 0.025 = 2,000,000 of LTV for 400,000 of cost: 5×.
    assert 'data-testid="ltv">¥2,000,000<' in page.text
    assert 'data-testid="roi">5×<' in page.text
    assert "churn=2.5%25" in page.text  # the permalink keeps the scenario


def test_pilot_bad_input_shows_field_errors(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.MANAGER, locale="ja")
    page = app_client.get("/planning/pilot-roi", params={"churn": "0", "cost": "abc"})
    assert page.status_code == 422
    assert 'data-testid="error-churn">解約率は 0 % より大きく 100 % 以下で' in page.text
    assert 'data-testid="error-cost">' in page.text
    assert 'data-testid="ltv"' not in page.text
    assert page.text.count('class="field-error"') == 2
    assert value_of(page.text, "cost") == "abc"  # what was typed stays in the form


def test_pilot_prefill_fills_the_form(app_client: TestClient, session: Session) -> None:
    team = make_planning_company(session)
    web_login(app_client, session, Role.MANAGER, locale="en")
    params = {"team": str(team.id), "from": "2026-01", "to": "2026-03", "prefill": "1"}
    page = app_client.get("/planning/pilot-roi", params=params)
    assert page.status_code == 200, page.text
    assert value_of(page.text, "new_mrr") == "3,000"
    assert value_of(page.text, "churn") == "20"
    assert 'data-testid="prefill-notice"' in page.text
    assert "3 months, 2 members, 2 accounts" in page.text
    # ¥3,000 ÷ 20 % = ¥15,000 of LTV a month for the seed's ¥1,000,000 of cost
    assert 'data-testid="ltv">¥15,000<' in page.text

    no_team = app_client.get("/planning/pilot-roi", params={**params, "team": ""})
    assert no_team.status_code == 422
    assert 'data-testid="error-team"' in no_team.text


def test_impact_page_and_year_errors(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM, locale="en")
    page = app_client.get("/planning/impact-model")
    assert page.status_code == 200
    table = page.text[page.text.index('data-testid="impact-table"') :]
    assert "<strong>29.0%</strong>" in table
    assert "<strong>38.3%</strong>" in table
    assert "$2,171,882.03" in table  # added by CS in year 6

    bad = app_client.get(
        "/planning/impact-model",
        params=[("y", "100"), ("y", "abc"), ("churn_without", "10"), ("churn_with", "20")],
    )
    assert bad.status_code == 422
    assert 'data-testid="error-y.2"' in bad.text

    order = app_client.get(
        "/planning/impact-model",
        params=[("y", "100"), ("churn_without", "10"), ("churn_with", "20"), ("expansion", "5")],
    )
    assert order.status_code == 422
    assert 'data-testid="error-churn_with">Churn with CS must not be higher' in order.text


def test_unit_economics_page_and_prefill(app_client: TestClient, session: Session) -> None:
    make_planning_company(session)
    web_login(app_client, session, Role.READ_ONLY, locale="ja")
    page = app_client.get("/planning/unit-economics")
    assert 'data-testid="ltv">¥2,000,000<' in page.text
    assert 'data-testid="ltv-cac">3.33×<' in page.text

    filled = app_client.get(
        "/planning/unit-economics", params={"from": "2026-01", "to": "2026-03", "prefill": "1"}
    )
    assert filled.status_code == 200, filled.text
    assert value_of(filled.text, "arpa") == "16,000"
    assert value_of(filled.text, "churn") == "16.67"
    assert "有効アカウント 4 社" in filled.text

    bad = app_client.get("/planning/unit-economics", params={"margin": "0"})
    assert bad.status_code == 422
    assert 'data-testid="error-margin">粗利率は 0 % より大きく' in bad.text


def test_roles_without_revenue_read_cannot_open_planning(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.SUPPORT)
    assert app_client.get("/planning").status_code == 403
    assert "/planning" not in app_client.get("/portfolio").text
