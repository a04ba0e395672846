"""/api/v1/leads, /api/v1/opportunities and /api/v1/pipeline/settings over HTTP: the lead
pass → accept → win flow, permissions and the errors of illegal transitions. Runs on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_team, make_user, token_for
from kizuna.kit.clock import today
from kizuna.models import Subscription
from kizuna.models.enums import Role, TeamKind

TODAY = today("Asia/Tokyo")


def _bearer(session: Session, role: Role, **fields: object) -> tuple[dict[str, str], str]:
    user = make_user(session, role, **fields)
    return {"Authorization": f"Bearer {token_for(session, user)}"}, str(user.id)


def test_pass_accept_and_win_over_http(app_client: TestClient, session: Session) -> None:
    growth = make_team(session, TeamKind.CUSTOMER_SALES)
    csm, csm_id = _bearer(session, Role.CSM)
    ae, ae_id = _bearer(session, Role.CUSTOMER_SALES, team_id=growth.id)
    viewer, _ = _bearer(session, Role.READ_ONLY)
    account = make_account(session, name="株式会社エーピーアイ")
    base = make_product(session, code="BASE-API")
    option = make_product(session, code="OPT-API", name="オプションA")
    make_line(session, account, base, mrr=80_000, start=date(2025, 1, 1), end=date(2027, 6, 30))
    session.commit()

    body = {
        "account_id": str(account.id),
        "product_id": str(option.id),
        "amount": 25_000,
        "reason": "利用部署が3つ増えた",
        "assignee_team_id": str(growth.id),
    }
    assert app_client.post("/api/v1/leads", json=body, headers=viewer).status_code == 403
    missing = app_client.post("/api/v1/leads", json=body | {"reason": ""}, headers=csm)
    assert missing.status_code == 422
    created = app_client.post("/api/v1/leads", json=body, headers=csm)
    assert created.status_code == 201, created.text
    lead = created.json()
    assert lead["status"] == "passed"
    assert lead["passed_by_id"] == csm_id
    assert lead["assignee_team_name"] == growth.name
    assert lead["overdue"] is False

    inbox = app_client.get("/api/v1/leads", params={"view": "inbox"}, headers=ae).json()
    assert [x["id"] for x in inbox["items"]] == [lead["id"]]
    assert (
        app_client.get("/api/v1/leads", params={"view": "inbox"}, headers=csm).json()["items"] == []
    )
    assert app_client.get(f"/api/v1/leads/{lead['id']}", headers=viewer).status_code == 200

    # The CSM cannot accept their own lead; the growth team can.
    refused = app_client.post(f"/api/v1/leads/{lead['id']}/accept", json={}, headers=csm)
    assert refused.status_code == 403
    accepted = app_client.post(f"/api/v1/leads/{lead['id']}/accept", json={}, headers=ae)
    assert accepted.status_code == 200, accepted.text
    opportunity = accepted.json()
    assert opportunity["lead_source"] == "cs"
    assert opportunity["created_by_id"] == csm_id
    assert opportunity["owner_id"] == ae_id
    assert opportunity["amount"] == 25_000
    assert opportunity["history"][0]["to_stage"] == "qualification"

    again = app_client.post(f"/api/v1/leads/{lead['id']}/reject", json={"reason": "x"}, headers=ae)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    counts = app_client.get("/api/v1/leads/counts", headers=csm).json()
    assert (counts["passed"], counts["accepted"], counts["accepted_within_sla_rate"]) == (
        1,
        1,
        1.0,
    )

    oid = opportunity["id"]
    moved = app_client.post(
        f"/api/v1/opportunities/{oid}/stage", json={"stage": "negotiation"}, headers=ae
    )
    assert moved.json()["stage"] == "negotiation"
    to_won = app_client.post(
        f"/api/v1/opportunities/{oid}/stage", json={"stage": "won"}, headers=ae
    )
    assert to_won.status_code == 422
    # A CSM may not write subscription lines, so may not win.
    start = (TODAY + timedelta(days=3)).isoformat()
    assert (
        app_client.post(
            f"/api/v1/opportunities/{oid}/won", json={"start_on": start}, headers=csm
        ).status_code
        == 403
    )
    won = app_client.post(
        f"/api/v1/opportunities/{oid}/won", json={"start_on": start, "quantity": 5}, headers=ae
    )
    assert won.status_code == 200, won.text
    assert won.json()["stage"] == "won"
    line = session.get(Subscription, uuid.UUID(won.json()["subscription_id"]))
    assert line is not None
    assert (line.mrr_amount, line.quantity, line.end_on) == (25_000, 5, date(2027, 6, 30))
    reopen = app_client.post(
        f"/api/v1/opportunities/{oid}/stage", json={"stage": "proposal"}, headers=ae
    )
    assert reopen.status_code == 409
    assert app_client.get("/api/v1/leads/counts", headers=csm).json()["converted"] == 1

    kpi = app_client.get(
        "/api/v1/leads/kpi",
        params={"start": TODAY.isoformat(), "end": TODAY.isoformat()},
        headers=viewer,
    ).json()
    assert kpi["measure"] == "lead_count"
    assert kpi["rows"][0]["user_id"] == csm_id
    assert kpi["rows"][0]["won_amount"] == 25_000


def test_opportunities_direct_create_filters_board_and_lost(
    app_client: TestClient, session: Session
) -> None:
    ae, ae_id = _bearer(session, Role.SALES)
    marketing, _ = _bearer(session, Role.CUSTOMER_MARKETING)
    account = make_account(session)
    product = make_product(session)
    session.commit()
    body = {
        "account_id": str(account.id),
        "product_id": str(product.id),
        "amount": 12_000,
        "close_on": (TODAY + timedelta(days=10)).isoformat(),
        "lead_source": "partner",
    }
    # Customer marketing reads the pipeline but does not write it.
    assert app_client.post("/api/v1/opportunities", json=body, headers=marketing).status_code == 403
    created = app_client.post("/api/v1/opportunities", json=body, headers=ae)
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    patched = app_client.patch(f"/api/v1/opportunities/{oid}", json={"amount": 15_000}, headers=ae)
    assert patched.json()["amount"] == 15_000

    listed = app_client.get(
        "/api/v1/opportunities", params={"lead_source": "partner", "owner_id": ae_id}, headers=ae
    ).json()
    assert [o["id"] for o in listed["items"]] == [oid]
    assert (
        app_client.get("/api/v1/opportunities", params={"lead_source": "cs"}, headers=ae).json()[
            "items"
        ]
        == []
    )
    board = app_client.get("/api/v1/opportunities/board", headers=marketing).json()
    first = board["columns"][0]
    assert (first["stage"], first["count"], first["amount"]) == ("qualification", 1, 15_000)

    no_reason = app_client.post(f"/api/v1/opportunities/{oid}/lost", json={}, headers=ae)
    assert no_reason.status_code == 422
    lost = app_client.post(
        f"/api/v1/opportunities/{oid}/lost", json={"reason": "予算なし"}, headers=ae
    )
    assert lost.json()["stage"] == "lost"
    assert [h["to_stage"] for h in lost.json()["history"]] == ["qualification", "lost"]
    assert (
        app_client.post(f"/api/v1/opportunities/{oid}/won", json={}, headers=ae).status_code == 409
    )


def test_settings_read_by_all_changed_by_sales_admin(
    app_client: TestClient, session: Session
) -> None:
    csm, _ = _bearer(session, Role.CSM)
    manager, _ = _bearer(session, Role.MANAGER)
    session.commit()
    assert app_client.get("/api/v1/pipeline/settings", headers=csm).json() == {
        "cs_measure": "lead_count",
        "lead_sla_hours": 48,
        "sla_business_days_only": True,
    }
    change = {"cs_measure": "amount", "lead_sla_hours": 24}
    assert (
        app_client.patch("/api/v1/pipeline/settings", json=change, headers=csm).status_code == 403
    )
    changed = app_client.patch("/api/v1/pipeline/settings", json=change, headers=manager)
    assert changed.status_code == 200
    assert changed.json()["cs_measure"] == "amount"
    bad = app_client.patch("/api/v1/pipeline/settings", json={"lead_sla_hours": 0}, headers=manager)
    assert bad.status_code == 422
