"""Identity through ingestion, on SQLite and PostgreSQL: identify → contact by e-mail, group →
account (external id, Kizuna id, domain), trait mapping (audited as the source), unmatched
groups linked by hand, alias."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_contact, make_event_source
from kizuna.models import Account, AuditEvent, UsageGroup, UsageUser
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import Role


def send(client: TestClient, key: str, *events: dict[str, Any]) -> dict[str, Any]:
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    response = client.post("/v1/batch", json={"batch": list(events)}, headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def user(session: Session, user_id: str) -> UsageUser:
    session.expire_all()
    found = session.scalar(select(UsageUser).where(UsageUser.user_id == user_id))
    assert found is not None
    return found


def group(session: Session, group_id: str) -> UsageGroup:
    session.expire_all()
    found = session.scalar(select(UsageGroup).where(UsageGroup.group_id == group_id))
    assert found is not None
    return found


def test_identify_links_the_contact_by_email_and_its_account(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session)
    contact = make_contact(session, account, email="Taro.Yamada@Acme.co.jp")
    _, key = make_event_source(session)
    session.commit()
    send(
        app_client,
        key,
        {"type": "identify", "userId": "u-1", "traits": {"email": "taro.yamada@acme.co.jp"}},
        {"type": "identify", "userId": "u-2", "traits": {"email": "nobody@else.jp"}},
    )
    linked = user(session, "u-1")
    assert (linked.contact_id, linked.account_id) == (contact.id, account.id)
    assert linked.traits == {"email": "taro.yamada@acme.co.jp"}
    stranger = user(session, "u-2")
    assert (stranger.contact_id, stranger.account_id) == (None, None)


def test_group_matches_external_id_then_kizuna_id_and_applies_the_mapping(
    app_client: TestClient, session: Session
) -> None:
    session.add(
        CustomFieldDefinition(
            object_type="account", key="plan", label_ja="プラン", label_en="Plan", field_type="text"
        )
    )
    by_external = make_account(session, external_id="ACME-001", employee_count=10)
    by_id = make_account(session, name="Beta")
    mapping = {"employees": "employee_count", "industry": "industry", "plan": "custom:plan"}
    source, key = make_event_source(session, name="Product", trait_mapping=mapping)
    session.commit()
    result = send(
        app_client,
        key,
        {
            "type": "group",
            "userId": "u-1",
            "groupId": "ACME-001",
            "traits": {"name": "Acme", "employees": 120, "industry": "製造", "plan": "pro"},
        },
        {"type": "group", "userId": "u-2", "groupId": str(by_id.id), "traits": {}},
        {"type": "track", "userId": "u-1", "event": "Login"},
    )
    assert result["rejected"] == 0
    assert group(session, "ACME-001").account_id == by_external.id
    assert group(session, "ACME-001").name == "Acme"
    assert group(session, str(by_id.id)).account_id == by_id.id
    assert user(session, "u-1").account_id == by_external.id
    assert user(session, "u-2").account_id == by_id.id
    account = session.get(Account, by_external.id)
    assert account is not None
    assert (account.employee_count, account.industry) == (120, "製造")
    assert account.custom_fields == {"plan": "pro"}
    [audit] = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_id == str(by_external.id), AuditEvent.action == "account.update"
        )
    )
    assert audit.actor_kind == "system"
    assert audit.actor_name == f"event source {source.name}"
    assert audit.changes["employee_count"] == [10, 120]


def test_a_bad_trait_value_is_reported_and_the_rest_applied(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, external_id="G-7")
    mapping = {"employees": "employee_count", "industry": "industry"}
    _, key = make_event_source(session, trait_mapping=mapping)
    session.commit()
    result = send(
        app_client,
        key,
        {
            "type": "group",
            "userId": "u",
            "groupId": "G-7",
            "messageId": "g-1",
            "traits": {"employees": "many", "industry": "IT"},
        },
    )
    assert (result["accepted"], result["rejected"]) == (1, 1)
    session.expire_all()
    assert session.get(Account, account.id).industry == "IT"  # type: ignore[union-attr]
    problems = app_client.get("/api/v1/event-rejections", headers=_admin(app_client, session))
    [problem] = problems.json()
    assert problem["reason"] == "trait_not_applied"
    assert problem["detail"].startswith("traits.employees:")
    assert problem["message_id"] == "g-1"


def _admin(client: TestClient, session: Session) -> dict[str, str]:
    api_as(client, session, Role.ADMIN)
    return {}


def test_domain_matching_is_a_per_source_option(app_client: TestClient, session: Session) -> None:
    account = make_account(session, domain="acme.co.jp")
    _, strict = make_event_source(session, name="Strict")
    _, loose = make_event_source(session, name="Loose", group_match="domain")
    session.commit()
    send(app_client, strict, {"type": "group", "userId": "u", "groupId": "acme.co.jp"})
    assert group(session, "acme.co.jp").account_id is None
    send(
        app_client,
        loose,
        {
            "type": "group",
            "userId": "u",
            "groupId": "org-9",
            "traits": {"website": "https://www.acme.co.jp/"},
        },
    )
    assert group(session, "org-9").account_id == account.id


def test_unmatched_group_is_listed_and_linking_it_moves_its_users(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, name="Gamma", external_id="GAMMA")
    _, key = make_event_source(session)
    session.commit()
    send(
        app_client,
        key,
        {"type": "group", "userId": "u-1", "groupId": "legacy-42", "traits": {"name": "ガンマ"}},
        {"type": "group", "userId": "u-2", "groupId": "legacy-42"},
    )
    api_as(app_client, session, Role.ADMIN)
    listed = app_client.get("/api/v1/usage-groups").json()
    assert [(g["group_id"], g["name"], g["users"]) for g in listed] == [("legacy-42", "ガンマ", 2)]
    linked = app_client.post(
        f"/api/v1/usage-groups/{listed[0]['id']}/link", json={"account_id": str(account.id)}
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["account_id"] == str(account.id)
    assert user(session, "u-1").account_id == account.id
    assert user(session, "u-2").account_id == account.id
    assert app_client.get("/api/v1/usage-groups").json() == []
    unknown = app_client.post(
        f"/api/v1/usage-groups/{listed[0]['id']}/link",
        json={"account_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "account_id"


def test_alias_carries_the_previous_identity(app_client: TestClient, session: Session) -> None:
    account = make_account(session, external_id="DELTA")
    _, key = make_event_source(session)
    session.commit()
    send(
        app_client,
        key,
        {"type": "group", "userId": "anon-1", "groupId": "DELTA"},
        {"type": "alias", "userId": "u-77", "previousId": "anon-1"},
    )
    aliased = user(session, "u-77")
    assert (aliased.account_id, aliased.group_id) == (account.id, "DELTA")


def test_context_group_id_on_identify_joins_the_group(
    app_client: TestClient, session: Session
) -> None:
    account = make_account(session, external_id="EPS")
    _, key = make_event_source(session)
    session.commit()
    send(app_client, key, {"type": "group", "userId": "u-1", "groupId": "EPS"})
    send(app_client, key, {"type": "identify", "userId": "u-2", "context": {"groupId": "EPS"}})
    assert user(session, "u-2").account_id == account.id
