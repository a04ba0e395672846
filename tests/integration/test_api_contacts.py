"""Contacts through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account, make_contact
from kizuna.models import ContactRoleLink
from kizuna.models.enums import ContactRole, Role


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.SUPPORT)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/contacts",
        json={
            "account_id": str(account.id),
            "name": "山田 花子",
            "name_kana": "ヤマダ ハナコ",
            "email": "Hanako.Yamada@Customer.JP",
            "roles": ["champion", "admin", "champion"],
        },
    )
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["email"] == "hanako.yamada@customer.jp"
    assert contact["roles"] == ["admin", "champion"]

    assert app_client.get(f"/api/v1/contacts/{contact['id']}").json()["name"] == "山田 花子"

    patched = app_client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"roles": ["champion", "decision_maker"], "title": "部長", "email": None},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["roles"] == ["champion", "decision_maker"]
    assert (patched.json()["title"], patched.json()["email"]) == ("部長", None)
    links = session.scalars(
        select(ContactRoleLink.role).where(ContactRoleLink.contact_id == uuid.UUID(contact["id"]))
    )
    assert sorted(links) == [ContactRole.CHAMPION, ContactRole.DECISION_MAKER]

    assert app_client.delete(f"/api/v1/contacts/{contact['id']}").status_code == 204
    assert app_client.get(f"/api/v1/contacts/{contact['id']}").status_code == 404


def test_invalid_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    bad_email = app_client.post(
        "/api/v1/contacts",
        json={"account_id": str(account.id), "name": "X", "email": "not-mail", "roles": ["boss"]},
    )
    assert bad_email.status_code == 422
    assert {tuple(e["loc"][1:2]) for e in bad_email.json()["errors"]} == {("email",), ("roles",)}
    unknown_account = app_client.post(
        "/api/v1/contacts", json={"account_id": str(uuid.uuid4()), "name": "X"}
    )
    assert unknown_account.status_code == 422
    assert unknown_account.json()["errors"][0]["field"] == "account_id"


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account, other = make_account(session), make_account(session)
    for name in ["伊藤", "加藤", "佐藤", "田中", "鈴木"]:
        make_contact(session, account, name=name, roles=[ContactRole.USER])
    make_contact(session, account, name="渡辺", roles=[ContactRole.CHAMPION, ContactRole.USER])
    make_contact(session, account, name="無役", email_opt_out=True)
    make_contact(session, other, name="他社", roles=[ContactRole.USER])
    session.commit()

    params = {"account_id": str(account.id), "role": "user", "sort": "-name", "limit": 2}
    names = [c["name"] for c in all_pages(app_client, "/api/v1/contacts", params)]
    assert names == sorted(["伊藤", "加藤", "佐藤", "田中", "鈴木", "渡辺"], reverse=True)

    opted_out = app_client.get("/api/v1/contacts", params={"email_opt_out": "true"}).json()
    assert [c["name"] for c in opted_out["items"]] == ["無役"]
    champions = app_client.get("/api/v1/contacts", params={"role": "champion"}).json()
    assert [c["name"] for c in champions["items"]] == ["渡辺"]


def test_read_only_cannot_write(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account = make_account(session)
    contact = make_contact(session, account)
    session.commit()
    created = app_client.post("/api/v1/contacts", json={"account_id": str(account.id), "name": "X"})
    assert created.status_code == 403
    assert app_client.patch(f"/api/v1/contacts/{contact.id}", json={}).status_code == 403
    assert app_client.get(f"/api/v1/contacts/{contact.id}").status_code == 200
