"""Every change writes an audit event with old and new values; /audit-events reads them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_product
from kizuna.models import AuditEvent
from kizuna.models.enums import ActorKind, Role


def test_update_records_old_and_new_values(app_client: TestClient, session: Session) -> None:
    admin = api_as(app_client, session, Role.ADMIN)
    product = make_product(session, list_price_amount=1000, name="旧名")
    session.commit()
    response = app_client.patch(
        f"/api/v1/products/{product.id}", json={"list_price_amount": 1200, "name": "旧名"}
    )
    assert response.status_code == 200
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_id == str(product.id), AuditEvent.action == "product.update"
        )
    ).one()
    assert event.changes == {"list_price_amount": [1000, 1200]}  # unchanged name not logged
    assert (event.actor_kind, event.actor_user_id) == (ActorKind.TOKEN, admin.id)


def test_create_and_delete_are_recorded(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/contacts", json={"account_id": str(account.id), "name": "鈴木", "roles": ["user"]}
    ).json()
    app_client.delete(f"/api/v1/contacts/{created['id']}")
    events = app_client.get(
        "/api/v1/audit-events", params={"object_type": "contact", "object_id": created["id"]}
    )
    assert events.status_code == 200, events.text
    items = events.json()["items"]
    assert [e["action"] for e in items] == ["contact.delete", "contact.create"]
    assert items[1]["changes"]["name"] == [None, "鈴木"]
    assert items[1]["changes"]["roles"] == [None, ["user"]]


def test_audit_log_needs_audit_read(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    assert app_client.get("/api/v1/audit-events").status_code == 403
