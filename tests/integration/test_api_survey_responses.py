"""Survey answers through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import all_pages, api_as, make_account, make_contact, make_survey_response
from kizuna.models.enums import Role, SurveyKind


def test_create_read_update_delete(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CUSTOMER_MARKETING)
    account = make_account(session)
    contact = make_contact(session, account, name="山田")
    session.commit()
    created = app_client.post(
        "/api/v1/survey-responses",
        json={
            "account_id": str(account.id),
            "contact_id": str(contact.id),
            "kind": "nps",
            "score": 9,
            "comment": "とても使いやすい",
            "responded_on": "2024-04-10",
        },
    )
    assert created.status_code == 201, created.text
    answer = created.json()
    assert (answer["category"], answer["contact_name"]) == ("promoter", "山田")

    got = app_client.get(f"/api/v1/survey-responses/{answer['id']}").json()
    assert got["score"] == 9

    patched = app_client.patch(
        f"/api/v1/survey-responses/{answer['id']}", json={"score": 6, "contact_id": None}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["category"], patched.json()["contact_id"]) == ("detractor", None)

    assert app_client.delete(f"/api/v1/survey-responses/{answer['id']}").status_code == 204
    assert app_client.get(f"/api/v1/survey-responses/{answer['id']}").status_code == 404


def test_csat_has_no_category_and_defaults_to_today(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.SUPPORT)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/survey-responses",
        json={"account_id": str(account.id), "kind": "csat", "score": 4},
    )
    assert created.status_code == 201, created.text
    assert created.json()["category"] is None
    assert created.json()["responded_on"]


def test_score_out_of_range_and_foreign_contact(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    account, other = make_account(session), make_account(session)
    stranger = make_contact(session, other)
    answer = make_survey_response(session, account, score=8)
    session.commit()
    base = {"account_id": str(account.id), "responded_on": "2024-04-01"}
    for kind, score in (("nps", 11), ("csat", 0), ("csat", 6)):
        response = app_client.post(
            "/api/v1/survey-responses", json={**base, "kind": kind, "score": score}
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["score"]

    foreign = app_client.post(
        "/api/v1/survey-responses",
        json={**base, "kind": "nps", "score": 5, "contact_id": str(stranger.id)},
    )
    assert [e["field"] for e in foreign.json()["errors"]] == ["contact_id"]

    switched = app_client.patch(f"/api/v1/survey-responses/{answer.id}", json={"kind": "csat"})
    assert [e["field"] for e in switched.json()["errors"]] == ["score"]


def test_list_filters_sorts_and_pages(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account, other = make_account(session), make_account(session)
    for day in [3, 1, 5, 2, 4]:
        make_survey_response(session, account, score=day + 5, responded_on=date(2024, 5, day))
    make_survey_response(session, account, score=3, responded_on=date(2024, 6, 1))
    make_survey_response(
        session, account, score=5, kind=SurveyKind.CSAT, responded_on=date(2024, 5, 3)
    )
    make_survey_response(session, other, score=10, responded_on=date(2024, 5, 3))
    session.commit()

    params = {
        "account_id": str(account.id),
        "kind": "nps",
        "responded_from": "2024-05-01",
        "responded_to": "2024-05-31",
        "limit": 2,
    }
    items = all_pages(app_client, "/api/v1/survey-responses", params)
    assert [a["responded_on"] for a in items] == [f"2024-05-0{d}" for d in [5, 4, 3, 2, 1]]
    by_score = all_pages(app_client, "/api/v1/survey-responses", {**params, "sort": "score"})
    assert [a["score"] for a in by_score] == [6, 7, 8, 9, 10]
    assert [a["category"] for a in by_score] == ["detractor", "passive", "passive"] + [
        "promoter"
    ] * 2


def test_read_only_cannot_write(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    account = make_account(session)
    answer = make_survey_response(session, account, score=7)
    session.commit()
    body = {"account_id": str(account.id), "kind": "nps", "score": 7}
    assert app_client.post("/api/v1/survey-responses", json=body).status_code == 403
    assert app_client.delete(f"/api/v1/survey-responses/{answer.id}").status_code == 403
    assert app_client.get(f"/api/v1/survey-responses/{answer.id}").status_code == 200
