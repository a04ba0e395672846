"""Subscription lines through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account, make_line, make_product
from kizuna.kit.clock import today
from kizuna.models.enums import Role
from kizuna.subscription.terms import renewal_date


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CUSTOMER_SALES)
    account = make_account(session)
    product = make_product(session, code="SEAT-STD", name="スタンダード")
    session.commit()
    body: dict[str, Any] = {
        "account_id": str(account.id),
        "product_id": str(product.id),
        "unit_list_price_amount": 1200,
        "quantity": 50,
        "discount_percent": "10",
        "start_on": "2024-04-01",
        "end_on": "2025-04-01",
    }
    created = app_client.post("/api/v1/subscriptions", json=body)
    assert created.status_code == 201, created.text
    line = created.json()
    assert line["mrr_amount"] == 54_000  # 1,200 × 50 × 90 %
    assert (line["currency"], line["renewal_on"]) == ("JPY", "2025-04-01")
    assert (line["product_code"], line["product_name"]) == ("SEAT-STD", "スタンダード")

    got = app_client.get(f"/api/v1/subscriptions/{line['id']}").json()
    assert got["quantity"] == 50

    patched = app_client.patch(
        f"/api/v1/subscriptions/{line['id']}", json={"quantity": 60, "end_on": None}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["mrr_amount"] == 64_800  # re-derived from the price inputs
    assert patched.json()["end_on"] is None
    expected = renewal_date(date(2024, 4, 1), None, 12, today())
    assert patched.json()["renewal_on"] == expected.isoformat()

    fixed = app_client.patch(f"/api/v1/subscriptions/{line['id']}", json={"mrr_amount": 60_000})
    assert fixed.json()["mrr_amount"] == 60_000

    assert app_client.delete(f"/api/v1/subscriptions/{line['id']}").status_code == 204
    assert app_client.get(f"/api/v1/subscriptions/{line['id']}").status_code == 404


def test_invalid_input_names_each_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    account = make_account(session)
    product = make_product(session)
    session.commit()
    base = {"account_id": str(account.id), "product_id": str(product.id), "start_on": "2024-04-01"}

    no_mrr = app_client.post("/api/v1/subscriptions", json=base)
    assert no_mrr.status_code == 422
    assert [e["field"] for e in no_mrr.json()["errors"]] == ["mrr_amount"]

    bad = app_client.post(
        "/api/v1/subscriptions",
        json={
            **base,
            "mrr_amount": 1000,
            "end_on": "2024-04-01",
            "currency": "USD",
            "billing_period_months": 5,
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"end_on", "currency", "billing_period_months"}

    unknown = app_client.post(
        "/api/v1/subscriptions",
        json={**base, "mrr_amount": 1, "product_id": "0190a0a0-0000-7000-8000-000000000000"},
    )
    assert [e["field"] for e in unknown.json()["errors"]] == ["product_id"]

    negative = app_client.post(
        "/api/v1/subscriptions", json={**base, "mrr_amount": 1, "quantity": -1}
    )
    assert [e["field"] for e in negative.json()["errors"]] == ["quantity"]


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account, other = make_account(session), make_account(session)
    product = make_product(session)
    on = date(2024, 6, 1)
    for mrr in [3000, 1000, 5000, 2000, 4000]:
        make_line(session, account, product, mrr=mrr, start=date(2024, 1, 1))
    make_line(session, account, product, mrr=9000, start=date(2023, 1, 1), end=date(2024, 1, 1))
    make_line(session, account, product, mrr=8000, start=date(2024, 7, 1))
    make_line(session, other, product, mrr=7000, start=date(2024, 1, 1))
    session.commit()

    params = {"account_id": str(account.id), "active_on": on.isoformat(), "sort": "-mrr"}
    items = all_pages(app_client, "/api/v1/subscriptions", {**params, "limit": 2})
    assert [s["mrr_amount"] for s in items] == [5000, 4000, 3000, 2000, 1000]

    ending = all_pages(
        app_client, "/api/v1/subscriptions", {"ends_before": "2024-06-01", "sort": "end_on"}
    )
    assert [s["mrr_amount"] for s in ending] == [9000]
    by_end = all_pages(
        app_client,
        "/api/v1/subscriptions",
        {"account_id": str(account.id), "sort": "end_on", "limit": 3},
    )
    assert by_end[0]["mrr_amount"] == 9000  # open-ended lines sort last
    assert len(by_end) == 7


def test_roles_without_subscription_write_are_refused(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.CSM)
    account = make_account(session)
    product = make_product(session)
    line = make_line(session, account, product, mrr=100, start=date(2024, 1, 1))
    session.commit()
    body = {
        "account_id": str(account.id),
        "product_id": str(product.id),
        "mrr_amount": 100,
        "start_on": "2024-02-01",
    }
    assert app_client.post("/api/v1/subscriptions", json=body).status_code == 403
    assert app_client.delete(f"/api/v1/subscriptions/{line.id}").status_code == 403
    assert app_client.get(f"/api/v1/subscriptions/{line.id}").status_code == 200
