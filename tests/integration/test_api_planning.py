"""Planning calculators and their prefill through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_planning_company
from kizuna.models.enums import Role

SEED_000 = {
    "cost_per_person_amount": 1_000_000,
    "new_mrr_per_person_amount": 130_000,
    "monthly_churn_rate": "0.02",
}
Q1_2026 = {"from": "2026-01-01", "to": "2026-04-01"}


def errors_of(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def test_pilot_roi_reproduces_seed_000(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CUSTOMER_SALES)
    response = app_client.post("/api/v1/planning/pilot-roi", json={**SEED_000, "months": 6})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ltv_per_month_amount"] == 6_500_000
    assert body["monthly_cost_amount"] == 1_000_000
    assert float(body["roi"]) == 6.5
    assert body["payback_months"] == 9
    assert len(body["series"]) == 6
    assert body["series"][-1]["cumulative_ltv_amount"] == 39_000_000


def test_pilot_roi_bad_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    zero = app_client.post(
        "/api/v1/planning/pilot-roi", json={**SEED_000, "monthly_churn_rate": "0"}
    )
    assert errors_of(zero) == [("monthly_churn_rate", "churn_range")]
    missing = app_client.post("/api/v1/planning/pilot-roi", json={"monthly_churn_rate": "0.02"})
    assert {field for field, _ in errors_of(missing)} == {
        "cost_per_person_amount",
        "new_mrr_per_person_amount",
    }


def test_impact_model_default_scenario(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    body = {
        "new_revenue_amounts": [10_000_000, 30_000_000, 80_000_000, 150_000_000, 250_000_000],
        "churn_without_cs": "0.20",
        "churn_with_cs": "0.10",
        "expansion_rate": "0.15",
    }
    response = app_client.post("/api/v1/planning/impact-model", json=body)
    assert response.status_code == 200, response.text
    years = response.json()["years"]
    assert years[1]["added_by_cs_amount"] == 2_500_000  # $25,000.00 in cents
    assert float(years[4]["cs_share"]) == 0.2896
    assert response.json()["currency"] == "USD"
    wrong = app_client.post("/api/v1/planning/impact-model", json={**body, "churn_with_cs": "0.25"})
    assert errors_of(wrong) == [("churn_with_cs", "churn_order")]


def test_unit_economics(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    body = {"arpa_amount": 50_000, "gross_margin": "0.8", "monthly_churn_rate": "0.02"}
    response = app_client.post("/api/v1/planning/unit-economics", json={**body, "cac_amount": 0})
    assert response.status_code == 200, response.text
    assert (response.json()["ltv_amount"], response.json()["ltv_to_cac"]) == (2_000_000, None)
    bad = app_client.post(
        "/api/v1/planning/unit-economics", json={**body, "gross_margin": "1.2", "cac_amount": 1}
    )
    assert errors_of(bad) == [("gross_margin", "margin_range")]


def test_pilot_prefill_from_a_teams_accounts(app_client: TestClient, session: Session) -> None:
    team = make_planning_company(session)
    api_as(app_client, session, Role.MANAGER)
    response = app_client.get(
        "/api/v1/planning/pilot-roi/prefill", params={"team_id": str(team.id), **Q1_2026}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["members"], body["accounts"], body["months"]) == (2, 2, 3)
    assert body["new_mrr_amount"] == 18_000
    assert body["new_mrr_per_person_amount"] == 3_000
    assert float(body["monthly_churn_rate"]) == 0.2
    assert (body["team_name"], body["currency"]) == ("カスタマーセールス", "JPY")


def test_unit_economics_prefill(app_client: TestClient, session: Session) -> None:
    make_planning_company(session)
    api_as(app_client, session, Role.READ_ONLY)
    response = app_client.get("/api/v1/planning/unit-economics/prefill", params=Q1_2026)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mrr_amount"], body["active_accounts"], body["arpa_amount"]) == (64_000, 4, 16_000)
    assert float(body["monthly_churn_rate"]) == 0.166667


def test_prefill_errors_name_the_parameter(app_client: TestClient, session: Session) -> None:
    team = make_planning_company(session)
    api_as(app_client, session, Role.MANAGER)
    url = "/api/v1/planning/pilot-roi/prefill"
    unknown = app_client.get(url, params={"team_id": str(uuid.uuid4()), **Q1_2026})
    assert errors_of(unknown) == [("team_id", "unknown_team")]
    backwards = {"team_id": str(team.id), "from": "2026-04-01", "to": "2026-01-01"}
    assert errors_of(app_client.get(url, params=backwards)) == [("to", "before_start")]
    mid_month = {"from": "2026-01-15", "to": "2026-04-01"}
    response = app_client.get("/api/v1/planning/unit-economics/prefill", params=mid_month)
    assert errors_of(response) == [("from", "not_a_month")]
    missing = app_client.get(url, params=Q1_2026)
    assert errors_of(missing) == [("team_id", "missing")]
