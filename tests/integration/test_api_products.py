"""Products through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account, make_line, make_product
from kizuna.models.enums import ProductKind, Role


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    body = {"code": "BASE-S", "name": "スタンダード", "kind": "base_plan", "unit": "seat"}
    created = app_client.post("/api/v1/products", json={**body, "list_price_amount": 3000})
    assert created.status_code == 201, created.text
    product = created.json()
    assert (product["list_price_amount"], product["currency"]) == (3000, "JPY")

    got = app_client.get(f"/api/v1/products/{product['id']}")
    assert got.json()["name"] == "スタンダード"

    patched = app_client.patch(
        f"/api/v1/products/{product['id']}", json={"list_price_amount": 3500, "is_active": False}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["list_price_amount"], patched.json()["is_active"]) == (3500, False)
    assert patched.json()["code"] == "BASE-S"

    assert app_client.delete(f"/api/v1/products/{product['id']}").status_code == 204
    assert app_client.get(f"/api/v1/products/{product['id']}").status_code == 404


def test_duplicate_code_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    make_product(session, code="DUP")
    session.commit()
    response = app_client.post(
        "/api/v1/products", json={"code": "DUP", "name": "X", "kind": "option", "unit": "fixed"}
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("code", "duplicate")]


def test_bad_enum_and_negative_price_name_their_fields(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.ADMIN)
    response = app_client.post(
        "/api/v1/products",
        json={"code": "X", "name": "X", "kind": "gizmo", "unit": "seat", "list_price_amount": -1},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"kind", "list_price_amount"}


def test_product_in_use_cannot_be_deleted(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    product = make_product(session)
    make_line(session, make_account(session), product, mrr=1000, start=date(2024, 1, 1))
    session.commit()
    response = app_client.delete(f"/api/v1/products/{product.id}")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    for i, price in enumerate([500, 300, 100, 400, 200]):
        make_product(session, code=f"OPT-{i}", kind=ProductKind.OPTION, list_price_amount=price)
    make_product(session, code="BASE-1", kind=ProductKind.BASE_PLAN, list_price_amount=50)
    make_product(session, code="OPT-OLD", kind=ProductKind.OPTION, is_active=False)
    session.commit()

    params = {"kind": "option", "is_active": "true", "sort": "-list_price", "limit": 2}
    items = all_pages(app_client, "/api/v1/products", params)
    assert [p["list_price_amount"] for p in items] == [500, 400, 300, 200, 100]

    found = app_client.get("/api/v1/products", params={"q": "base"}).json()["items"]
    assert [p["code"] for p in found] == ["BASE-1"]


def test_unknown_sort_is_invalid(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    response = app_client.get("/api/v1/products", params={"sort": "colour"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sort"


def test_only_product_writers_change_the_catalogue(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.MANAGER)
    product = make_product(session)
    session.commit()
    response = app_client.post(
        "/api/v1/products", json={"code": "N", "name": "N", "kind": "option", "unit": "fixed"}
    )
    assert response.status_code == 403
    assert app_client.delete(f"/api/v1/products/{product.id}").status_code == 403
    assert app_client.get(f"/api/v1/products/{product.id}").status_code == 200
