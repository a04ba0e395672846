"""/api/v1/renewals and /api/v1/closing-plans over HTTP, with permissions."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_health, make_line, make_product
from kizuna.kit.clock import today
from kizuna.models.enums import Role, Tier

TODAY = today("Asia/Tokyo")


def _setup(session: Session) -> None:
    plan = make_product(session)
    a = make_account(session, name="更新テスト株式会社", tier=Tier.TIER2)
    b = make_account(session, name="リスク株式会社", tier=Tier.TIER1)
    start = TODAY - timedelta(days=300)
    make_line(session, a, plan, mrr=30_000, start=start, end=TODAY + timedelta(days=20))
    make_line(session, b, plan, mrr=80_000, start=start, end=TODAY + timedelta(days=75))
    make_health(
        session,
        b,
        band="red",
        score=28,
        probability=0.64,
        reasons=[{"feature": "nps_latest", "value": 3, "contribution": 0.4}],
        measures=[{"key": "logins", "name": "ログイン率", "points": 12, "weight": 2, "value": 0.1}],
    )
    session.commit()


def test_renewals_api_flow_and_permissions(app_client: TestClient, session: Session) -> None:
    _setup(session)
    api_as(app_client, session, Role.CUSTOMER_SALES)
    synced = app_client.post("/api/v1/renewals/sync")
    assert synced.status_code == 200, synced.text
    assert synced.json()["created"] == 2
    assert synced.json()["events"] == 1

    listed = app_client.get("/api/v1/renewals", params={"days": 30}).json()
    assert [r["account_name"] for r in listed["items"]] == ["更新テスト株式会社"]
    wide = app_client.get("/api/v1/renewals", params={"days": 90}).json()
    assert wide["total"] == 2
    risky = next(r for r in wide["items"] if r["account_name"] == "リスク株式会社")
    assert risky["forecast"] == "at_risk"
    assert risky["suggested"] is True
    assert risky["health_band"] == "red"
    assert risky["churn_probability"] == 0.64
    assert [(x["source"], x["key"]) for x in risky["risk_reasons"]] == [
        ("churn", "nps_latest"),
        ("health", "logins"),
    ]
    at_risk = app_client.get("/api/v1/renewals", params={"days": 180, "forecast": "at_risk"})
    assert at_risk.json()["total"] == 1

    summary = app_client.get("/api/v1/renewals/summary", params={"days": 90}).json()
    by = {c["forecast"]: c for c in summary["categories"]}
    assert (by["at_risk"]["count"], by["at_risk"]["mrr_amount"]) == (1, 80_000)
    assert summary["mrr_amount"] == 110_000

    rid = next(r["id"] for r in wide["items"] if r["account_name"] == "更新テスト株式会社")
    put = app_client.put(
        f"/api/v1/renewals/{rid}/forecast",
        json={"forecast": "churn", "note": "競合へ乗り換え検討"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["forecast"] == "churn"
    assert put.json()["forecast_mrr_amount"] == 0
    assert put.json()["suggested"] is False
    bad = app_client.put(f"/api/v1/renewals/{rid}/forecast", json={"forecast": "maybe"})
    assert bad.status_code == 422
    assert app_client.get(f"/api/v1/renewals/{rid}").json()["forecast_note"] == "競合へ乗り換え検討"

    fva = app_client.get(
        "/api/v1/renewals/forecast-vs-actual",
        params={"start": (TODAY - timedelta(days=90)).isoformat(), "end": TODAY.isoformat()},
    )
    assert fva.status_code == 200
    assert fva.json()["total"]["accuracy"]["count"] == 0
    backwards = app_client.get(
        "/api/v1/renewals/forecast-vs-actual",
        params={"start": TODAY.isoformat(), "end": TODAY.isoformat()},
    )
    assert backwards.status_code == 422

    # Read-only: reads, but neither syncs nor forecasts.
    api_as(app_client, session, Role.READ_ONLY)
    assert app_client.get("/api/v1/renewals").status_code == 200
    assert app_client.post("/api/v1/renewals/sync").status_code == 403
    forbidden = app_client.put(f"/api/v1/renewals/{rid}/forecast", json={"forecast": "commit"})
    assert forbidden.status_code == 403
    # A read-scoped token of a writer cannot write either.
    api_as(app_client, session, Role.CUSTOMER_SALES, scopes=["read"])
    assert app_client.post("/api/v1/renewals/sync").status_code == 403


def test_closing_plans_api(app_client: TestClient, session: Session) -> None:
    account = make_account(session, name="プラン株式会社")
    session.commit()
    api_as(app_client, session, Role.CSM)
    created = app_client.post(
        "/api/v1/closing-plans",
        json={
            "account_id": str(account.id),
            "title": "更新までの合意事項",
            "goal": "活用定着",
            "internal_note": "社外秘",
        },
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    step = app_client.post(
        f"/api/v1/closing-plans/{pid}/steps",
        json={"title": "効果測定レビュー", "side": "customer", "owner_name": "情報システム部"},
    )
    assert step.status_code == 201
    sid = step.json()["steps"][0]["id"]
    second = app_client.post(
        f"/api/v1/closing-plans/{pid}/steps",
        json={"title": "見積提示", "due_on": (TODAY - timedelta(days=2)).isoformat()},
    ).json()
    assert second["overdue"] == 1
    other = second["steps"][1]["id"]
    done = app_client.patch(f"/api/v1/closing-plans/{pid}/steps/{sid}", json={"status": "done"})
    assert done.json()["progress"] == 50
    assert done.json()["steps"][0]["done_on"] == TODAY.isoformat()
    reordered = app_client.put(
        f"/api/v1/closing-plans/{pid}/steps/order", json={"step_ids": [other, sid]}
    )
    assert [s["title"] for s in reordered.json()["steps"]] == ["見積提示", "効果測定レビュー"]
    two_owners = app_client.post(
        f"/api/v1/closing-plans/{pid}/steps",
        json={"title": "x", "owner_name": "a", "owner_contact_id": str(account.id)},
    )
    assert two_owners.status_code == 422
    assert (
        app_client.get("/api/v1/closing-plans", params={"account_id": str(account.id)}).json()[0][
            "id"
        ]
        == pid
    )

    share = app_client.post(f"/api/v1/closing-plans/{pid}/share", json={"language": "en"})
    assert share.status_code == 201
    token_path = share.json()["path"]
    public = app_client.get(token_path, headers={"Authorization": ""})
    assert public.status_code == 200
    assert "社外秘" not in public.text
    pdf = app_client.get(f"/api/v1/closing-plans/{pid}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert app_client.delete(f"/api/v1/closing-plans/{pid}/share").status_code == 204
    assert app_client.get(token_path, headers={"Authorization": ""}).status_code == 404

    assert app_client.delete(f"/api/v1/closing-plans/{pid}/steps/{sid}").status_code == 204
    api_as(app_client, session, Role.SUPPORT)
    assert app_client.get(f"/api/v1/closing-plans/{pid}").status_code == 200
    assert app_client.patch(f"/api/v1/closing-plans/{pid}", json={"title": "x"}).status_code == 403
    api_as(app_client, session, Role.CSM)
    assert app_client.delete(f"/api/v1/closing-plans/{pid}").status_code == 204
    assert app_client.get(f"/api/v1/closing-plans/{pid}").status_code == 404
