"""Activities through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import (
    all_pages,
    api_as,
    make_account,
    make_activity,
    make_contact,
    make_user,
    utc,
)
from kizuna.models.enums import ActivityKind, InquiryStatus, Role


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    me = api_as(app_client, session, Role.CSM)
    account = make_account(session)
    contact = make_contact(session, account)
    colleague = make_user(session, Role.SALES)
    session.commit()
    created = app_client.post(
        "/api/v1/activities",
        json={
            "account_id": str(account.id),
            "kind": "meeting",
            "subject": "定例会",
            "occurred_at": "2024-04-01T10:00:00+09:00",
            "user_ids": [str(colleague.id)],
            "contact_ids": [str(contact.id)],
        },
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    assert activity["author_id"] == str(me.id)
    assert activity["author_name"] == me.name
    assert activity["occurred_at"].startswith("2024-04-01T01:00:00")  # stored in UTC
    assert (activity["user_ids"], activity["contact_ids"]) == (
        [str(colleague.id)],
        [str(contact.id)],
    )
    assert activity["inquiry_status"] is None

    got = app_client.get(f"/api/v1/activities/{activity['id']}").json()
    assert got["subject"] == "定例会"

    patched = app_client.patch(
        f"/api/v1/activities/{activity['id']}",
        json={"subject": "定例会（第2回）", "user_ids": [], "duration_minutes": 45},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["user_ids"] == []
    assert patched.json()["contact_ids"] == [str(contact.id)]
    assert patched.json()["duration_minutes"] == 45

    assert app_client.delete(f"/api/v1/activities/{activity['id']}").status_code == 204
    assert app_client.get(f"/api/v1/activities/{activity['id']}").status_code == 404


def test_inquiry_timings(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.SUPPORT)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/activities",
        json={
            "account_id": str(account.id),
            "kind": "inquiry",
            "subject": "ログインできない",
            "occurred_at": "2024-04-01T09:00:00Z",
            "first_response_at": "2024-04-01T09:30:00Z",
        },
    )
    assert created.status_code == 201, created.text
    inquiry = created.json()
    assert inquiry["opened_at"].startswith("2024-04-01T09:00:00")
    assert (inquiry["inquiry_status"], inquiry["response_minutes"]) == ("open", 30)
    assert inquiry["resolution_minutes"] is None

    resolved = app_client.patch(
        f"/api/v1/activities/{inquiry['id']}",
        json={"inquiry_status": "resolved", "resolved_at": "2024-04-01T11:00:00Z"},
    ).json()
    assert (resolved["inquiry_status"], resolved["resolution_minutes"]) == ("resolved", 120)

    stamped = app_client.post(
        "/api/v1/activities",
        json={
            "account_id": str(account.id),
            "kind": "inquiry",
            "subject": "解決済み",
            "occurred_at": "2024-04-01T09:00:00Z",
            "inquiry_status": "resolved",
        },
    ).json()
    assert stamped["resolved_at"] is not None


def test_invalid_input_names_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.SUPPORT)
    account, other = make_account(session), make_account(session)
    stranger = make_contact(session, other)
    session.commit()
    base = {
        "account_id": str(account.id),
        "subject": "X",
        "occurred_at": "2024-04-01T09:00:00Z",
    }
    foreign = app_client.post(
        "/api/v1/activities",
        json={**base, "kind": "call", "contact_ids": [str(stranger.id)]},
    )
    assert foreign.status_code == 422
    error = foreign.json()["errors"][0]
    assert error["field"] == "contact_ids"
    assert str(stranger.id) in error["message"]

    not_inquiry = app_client.post(
        "/api/v1/activities", json={**base, "kind": "note", "inquiry_status": "open"}
    )
    assert [e["field"] for e in not_inquiry.json()["errors"]] == ["inquiry_status"]

    too_early = app_client.post(
        "/api/v1/activities",
        json={**base, "kind": "inquiry", "resolved_at": "2024-04-01T08:00:00Z"},
    )
    assert [e["field"] for e in too_early.json()["errors"]] == ["resolved_at"]

    naive = app_client.post(
        "/api/v1/activities", json={**base, "kind": "call", "occurred_at": "2024-04-01T09:00:00"}
    )
    assert [e["field"] for e in naive.json()["errors"]] == ["occurred_at"]

    ghost = app_client.post(
        "/api/v1/activities", json={**base, "kind": "call", "user_ids": [str(uuid.uuid4())]}
    )
    assert [e["field"] for e in ghost.json()["errors"]] == ["user_ids"]


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account, other = make_account(session), make_account(session)
    author = make_user(session)
    for day in [3, 1, 5, 2, 4]:
        make_activity(session, account, occurred_at=utc(2024, 5, day, 9), author_id=author.id)
    make_activity(session, account, occurred_at=utc(2024, 6, 1), author_id=author.id)
    make_activity(session, account, occurred_at=utc(2024, 5, 3), kind=ActivityKind.CALL)
    make_activity(
        session,
        account,
        kind=ActivityKind.INQUIRY,
        occurred_at=utc(2024, 5, 6),
        inquiry_status=InquiryStatus.OPEN,
        opened_at=utc(2024, 5, 6),
    )
    make_activity(session, other, occurred_at=utc(2024, 5, 3), author_id=author.id)
    session.commit()

    params = {
        "account_id": str(account.id),
        "author_id": str(author.id),
        "occurred_from": "2024-05-01T00:00:00Z",
        "occurred_to": "2024-06-01T00:00:00Z",
        "limit": 2,
    }
    items = all_pages(app_client, "/api/v1/activities", params)
    assert [a["occurred_at"][:10] for a in items] == [f"2024-05-0{d}" for d in [5, 4, 3, 2, 1]]
    assert {a["author_name"] for a in items} == {author.name}

    oldest_first = all_pages(
        app_client, "/api/v1/activities", {**params, "sort": "occurred_at", "limit": 3}
    )
    assert [a["occurred_at"][:10] for a in oldest_first] == [f"2024-05-0{d}" for d in range(1, 6)]

    open_inquiries = app_client.get("/api/v1/activities", params={"inquiry_status": "open"})
    assert [a["kind"] for a in open_inquiries.json()["items"]] == ["inquiry"]


def test_read_only_cannot_write(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account = make_account(session)
    activity = make_activity(session, account)
    session.commit()
    body = {
        "account_id": str(account.id),
        "kind": "note",
        "subject": "X",
        "occurred_at": "2024-04-01T09:00:00Z",
    }
    assert app_client.post("/api/v1/activities", json=body).status_code == 403
    assert app_client.delete(f"/api/v1/activities/{activity.id}").status_code == 403
    assert app_client.get(f"/api/v1/activities/{activity.id}").status_code == 200
