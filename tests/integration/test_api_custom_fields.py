"""Custom field definitions through the REST API, and their values on objects."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as
from kizuna.models.enums import Role


def test_create_read_update_deactivate(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    created = app_client.post(
        "/api/v1/custom-fields",
        json={
            "object_type": "product",
            "key": "sla_hours",
            "label_ja": "SLA時間",
            "label_en": "SLA hours",
            "field_type": "integer",
            "min_value": "1",
            "max_value": "72",
        },
    )
    assert created.status_code == 201, created.text
    field = created.json()

    product = {"code": "SUP-1", "name": "サポート", "kind": "service", "unit": "fixed"}
    good = app_client.post("/api/v1/products", json={**product, "custom_fields": {"sla_hours": 24}})
    assert good.status_code == 201, good.text
    assert good.json()["custom_fields"] == {"sla_hours": 24}
    bad = app_client.post(
        "/api/v1/products", json={**product, "code": "SUP-2", "custom_fields": {"sla_hours": 99}}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "custom_fields", "sla_hours"]

    assert app_client.get(f"/api/v1/custom-fields/{field['id']}").json()["key"] == "sla_hours"
    patched = app_client.patch(
        f"/api/v1/custom-fields/{field['id']}", json={"label_en": "SLA (hours)"}
    )
    assert patched.json()["label_en"] == "SLA (hours)"

    assert app_client.delete(f"/api/v1/custom-fields/{field['id']}").status_code == 204
    assert app_client.get(f"/api/v1/custom-fields/{field['id']}").json()["is_active"] is False


def test_invalid_definitions_name_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    base = {"object_type": "account", "label_ja": "区分", "label_en": "Kind"}
    no_choices = app_client.post(
        "/api/v1/custom-fields", json={**base, "key": "segment", "field_type": "select"}
    )
    assert no_choices.status_code == 422
    assert [e["field"] for e in no_choices.json()["errors"]] == ["choices"]
    bad_key = app_client.post(
        "/api/v1/custom-fields", json={**base, "key": "Bad Key", "field_type": "text"}
    )
    assert [e["field"] for e in bad_key.json()["errors"]] == ["key"]


def test_list_filters_by_object_type(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    for object_type, key in (("account", "a_one"), ("contact", "c_one"), ("account", "a_two")):
        response = app_client.post(
            "/api/v1/custom-fields",
            json={
                "object_type": object_type,
                "key": key,
                "label_ja": key,
                "label_en": key,
                "field_type": "text",
            },
        )
        assert response.status_code == 201, response.text
    api_as(app_client, session, Role.READ_ONLY)
    page = app_client.get("/api/v1/custom-fields", params={"object_type": "account"}).json()
    assert [f["key"] for f in page["items"]] == ["a_one", "a_two"]


def test_only_admins_define_fields(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    response = app_client.post(
        "/api/v1/custom-fields",
        json={
            "object_type": "account",
            "key": "x",
            "label_ja": "x",
            "label_en": "x",
            "field_type": "text",
        },
    )
    assert response.status_code == 403
    assert app_client.get("/api/v1/custom-fields").status_code == 200
