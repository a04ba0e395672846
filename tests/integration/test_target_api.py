"""/api/v1/targets: CRUD, split, re-split, attainment, settings; who may do what."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_team, make_user
from kizuna.models.enums import Role, TeamKind


def test_crud_split_and_attainment(app_client: TestClient, session: Session) -> None:
    team = make_team(session, TeamKind.CSM, name="サクセス")
    people = [make_user(session, Role.CSM, name=n, team_id=team.id) for n in ("い", "ろ", "は")]
    api_as(app_client, session, Role.MANAGER)
    created = app_client.post(
        "/api/v1/targets",
        json={
            "period": "2026-Q3",
            "lead_source": "cs",
            "value": 1000,
            "teams": [
                {
                    "team_id": str(team.id),
                    "member_split": "weighted",
                    "members": [{"user_id": str(people[2].id), "weight": "0.5"}],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["period"], body["metric"], body["currency"]) == (
        "2026-Q3",
        "created_amount",
        "JPY",
    )
    assert [m["value"] for m in body["teams"][0]["members"]] == [400, 200, 400]
    target_id = body["id"]
    assert (
        app_client.post("/api/v1/targets", json={"period": "2026-Q3", "value": 1}).status_code
        == 409
    )

    changed = app_client.patch(f"/api/v1/targets/{target_id}", json={"value": 2000})
    assert [m["value"] for m in changed.json()["teams"][0]["members"]] == [800, 400, 800]
    split = app_client.put(
        f"/api/v1/targets/{target_id}/split",
        json={"teams": [{"team_id": str(team.id), "override": 2500}]},
    )
    assert split.status_code == 200
    assert split.json()["remainder"] == -500
    bad = app_client.put(
        f"/api/v1/targets/{target_id}/split", json={"teams": [{"team_id": str(people[0].id)}]}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "teams", 0, "team_id"]
    assert app_client.post(f"/api/v1/targets/{target_id}/resplit").status_code == 200

    listed = app_client.get("/api/v1/targets", params={"period": "2026-Q3"}).json()
    assert [t["id"] for t in listed] == [target_id]
    assert app_client.get("/api/v1/targets", params={"period": "2026-Q2"}).json() == []
    report = app_client.get("/api/v1/targets/attainment", params={"period": "2026-Q3"})
    assert report.status_code == 200, report.text
    (a,) = report.json()["targets"]
    assert a["company"]["target"] == 2000
    assert a["secondary_metric"] == "won_amount"
    assert [p["target"] for p in a["people"]] == [1000, 500, 1000]
    assert app_client.get("/api/v1/targets/attainment", params={"period": "Q3"}).status_code == 422

    assert app_client.get("/api/v1/targets/settings").json() == {"fiscal_year_start_month": 4}
    moved = app_client.put("/api/v1/targets/settings", json={"fiscal_year_start_month": 1})
    assert moved.json() == {"fiscal_year_start_month": 1}
    assert app_client.get(f"/api/v1/targets/{target_id}").json()["period"] == "2026-Q4"
    assert app_client.delete(f"/api/v1/targets/{target_id}").status_code == 204
    assert app_client.get(f"/api/v1/targets/{target_id}").status_code == 404


def test_permissions(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    target_id = app_client.post("/api/v1/targets", json={"period": "2026-Q1", "value": 5}).json()[
        "id"
    ]
    for role in (Role.CSM, Role.CUSTOMER_SALES, Role.READ_ONLY):
        api_as(app_client, session, role)
        assert app_client.get(f"/api/v1/targets/{target_id}").status_code == 200
        assert app_client.get("/api/v1/targets/attainment").status_code == 200
        assert (
            app_client.patch(f"/api/v1/targets/{target_id}", json={"value": 1}).status_code == 403
        )
        assert (
            app_client.post("/api/v1/targets", json={"period": "2026-Q2", "value": 1}).status_code
            == 403
        )
        assert (
            app_client.put(
                "/api/v1/targets/settings", json={"fiscal_year_start_month": 1}
            ).status_code
            == 403
        )
    # A manager's write-scoped token may not change targets (SALES_ADMIN is admin-only).
    api_as(app_client, session, Role.MANAGER, scopes=["write"])
    assert app_client.delete(f"/api/v1/targets/{target_id}").status_code == 403
    api_as(app_client, session, Role.MANAGER, scopes=["read"])
    assert app_client.get("/api/v1/targets").status_code == 200
