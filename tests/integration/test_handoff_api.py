"""/api/v1/handoffs over HTTP and `kizuna handoffs import`'s engine, on SQLite and
PostgreSQL: the whole flow, permissions, settings, metrics, and the all-or-nothing CSV
import naming every problem by row and column."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_contact, make_product, make_user, token_for
from kizuna.models import Handoff
from kizuna.models.enums import Role

FULL = {
    "mrr_amount": 120000,
    "purpose": "問い合わせ対応の一元化",
    "success_criteria": "一次回答4時間以内",
    "promises": "FAQテンプレート50件",
    "decision_maker_name": "高田 部長",
    "expansion_departments": "品質保証部",
}


def test_flow_over_http(app_client: TestClient, session: Session) -> None:
    ae = api_as(app_client, session, Role.SALES)
    account = make_account(session, name="株式会社APIテスト")
    csm = make_user(session, Role.CSM)
    csm_token = token_for(session, csm)
    session.commit()

    bad = app_client.post(
        "/api/v1/handoffs",
        json={"account_id": str(account.id), "deal_name": "d", "won_on": "2026-04-01",
              "submit": True},
    )  # fmt: skip
    assert bad.status_code == 422, bad.text
    missing = {tuple(e["loc"])[-1] for e in bad.json()["errors"]}
    assert missing == {"purpose", "success_criteria", "promises", "decision_maker",
                       "expansion_room"}  # fmt: skip
    assert session.scalar(select(func.count()).select_from(Handoff)) == 0  # all or nothing

    created = app_client.post(
        "/api/v1/handoffs",
        json={"account_id": str(account.id), "deal_name": "新規", "won_on": "2026-04-01",
              "external_id": "SF-9", "key_people": [{"name": "佐藤", "role": "推進役"}],
              **FULL},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    h = created.json()
    assert (h["status"], h["completeness"], h["sales_owner_id"]) == ("draft", 78, str(ae.id))
    assert h["actions"] == ["edit", "submit"]
    dup = app_client.post(
        "/api/v1/handoffs",
        json={"account_id": str(account.id), "deal_name": "x", "won_on": "2026-04-01",
              "external_id": "SF-9"},
    )  # fmt: skip
    assert dup.status_code == 422

    patched = app_client.patch(f"/api/v1/handoffs/{h['id']}", json={"risks": "競合あり"})
    assert patched.json()["completeness"] == 89
    submitted = app_client.post(f"/api/v1/handoffs/{h['id']}/submit")
    assert submitted.json()["status"] == "submitted"
    # the submitter cannot accept; a CSM can
    assert app_client.post(f"/api/v1/handoffs/{h['id']}/accept").status_code == 403
    as_csm = {"Authorization": f"Bearer {csm_token}"}
    no_reason = app_client.post(
        f"/api/v1/handoffs/{h['id']}/return", json={"reason": ""}, headers=as_csm
    )
    assert no_reason.status_code == 422
    returned = app_client.post(
        f"/api/v1/handoffs/{h['id']}/return", json={"reason": "数値目標を"}, headers=as_csm
    )
    assert returned.json()["status"] == "returned"
    assert app_client.post(f"/api/v1/handoffs/{h['id']}/accept", headers=as_csm).status_code == 409
    app_client.post(f"/api/v1/handoffs/{h['id']}/submit")
    accepted = app_client.post(f"/api/v1/handoffs/{h['id']}/accept", headers=as_csm)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["returns_count"] == 1
    assert [t["to_status"] for t in body["history"]] == [
        "draft", "submitted", "returned", "submitted", "accepted"]  # fmt: skip
    assert app_client.patch(f"/api/v1/handoffs/{h['id']}", json={"risks": "x"}).status_code == 409

    listed = app_client.get("/api/v1/handoffs", params={"tab": "accepted"}).json()
    assert [i["id"] for i in listed["items"]] == [h["id"]]
    assert app_client.get("/api/v1/handoffs", params={"tab": "review"}).json()["items"] == []
    m = app_client.get("/api/v1/handoffs/metrics", params={"won_from": "2026-04-01"}).json()
    assert (m["total"]["accepted"], m["total"]["share_returned"]) == (1, 1.0)
    account_view = app_client.get(f"/api/v1/accounts/{account.id}").json()
    assert account_view["purpose_of_adoption"] == FULL["purpose"]


def test_settings_and_permissions(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    viewer_token = token_for(session, make_user(session, Role.READ_ONLY))
    manager_token = token_for(session, make_user(session, Role.MANAGER))
    account = make_account(session)
    session.commit()
    got = app_client.get("/api/v1/handoffs/settings").json()
    assert "risks" in got["fields"]
    assert "risks" not in got["required_fields"]
    assert (
        app_client.put("/api/v1/handoffs/settings", json={"required_fields": ["risks"]}).status_code
        == 403
    )
    manager = {"Authorization": f"Bearer {manager_token}"}
    put = app_client.put(
        "/api/v1/handoffs/settings", json={"required_fields": ["risks"]}, headers=manager
    )
    assert put.json()["required_fields"] == ["risks"]
    viewer = {"Authorization": f"Bearer {viewer_token}"}
    assert app_client.get("/api/v1/handoffs", headers=viewer).status_code == 200
    refused = app_client.post(
        "/api/v1/handoffs",
        json={"account_id": str(account.id), "deal_name": "d", "won_on": "2026-04-01"},
        headers=viewer,
    )
    assert refused.status_code == 403
    unknown = app_client.get("/api/v1/handoffs/01900000-0000-7000-8000-000000000000")
    assert unknown.status_code == 404


HEADER = (
    "external_id,account_external_id,account_domain,deal_name,won_on,mrr_amount,"
    "sales_owner_email,purpose,success_criteria,promises,decision_maker_name,"
    "decision_maker_email,key_people,expansion_departments,expansion_headcount,"
    "expansion_products,submit\n"
)


def test_import_all_or_nothing(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.SALES)
    ae = make_user(session, Role.SALES, email="ae.import@example.test")
    a = make_account(session, external_id="ACC-1")
    make_account(session, domain="beta.example.jp")
    make_contact(session, a, email="boss@acc1.example.jp", name="社長")
    make_product(session, code="OPT-X")
    session.commit()
    bad = (
        HEADER + 'D-1,ACC-1,,新規A,2026-04-01,"120,000",ae.import@example.test,目的,基準,約束,,'
        "boss@acc1.example.jp,佐藤|課長|推進役; 鈴木,人事部,300,OPT-X,true\n"
        + "D-2,NOPE,,新規B,2026-13-01,abc,nobody@example.test,,,,,,,,,OPT-Y,maybe\n"
        + "D-3,,beta.example.jp,新規C,2026-04-02,0,,目的だけ,,,,,,,,,true\n"
        + "D-1,ACC-1,,重複,2026-04-01,0,,,,,,,,,,,\n"
    )
    r = app_client.post("/api/v1/handoffs/import", files={"file": ("h.csv", bad.encode())})
    assert r.status_code == 422, r.text
    problems = {(e["loc"][1], e["loc"][2]) for e in r.json()["errors"]}
    assert problems == {
        (3, "account_external_id"),
        (3, "won_on"),
        (3, "mrr_amount"),
        (3, "sales_owner_email"),
        (3, "expansion_products"),
        (3, "submit"),
        (4, "success_criteria"),  # submit: required fields named by their column
        (4, "promises"),
        (4, "decision_maker_name"),
        (4, "expansion_departments"),
        (5, "external_id"),  # the same deal twice in one file
    }
    assert session.scalar(select(func.count()).select_from(Handoff)) == 0

    good = (
        HEADER + 'D-1,ACC-1,,新規A,2026/04/01,"¥120,000",ae.import@example.test,目的,基準,約束,,'
        "boss@acc1.example.jp,佐藤|課長|推進役; 鈴木,人事部,300,OPT-X,true\n"
        + "D-3,,beta.example.jp,新規C,2026-04-02,0,,目的だけ,,,,,,,,,\n"
    )
    ok = app_client.post("/api/v1/handoffs/import", files={"file": ("h.csv", good.encode())})
    assert ok.status_code == 200, ok.text
    assert {k: ok.json()[k] for k in ("created", "updated", "unchanged", "submitted")} == {
        "created": 2, "updated": 0, "unchanged": 0, "submitted": 1}  # fmt: skip
    d1 = session.scalars(select(Handoff).where(Handoff.external_id == "D-1")).one()
    assert (d1.status.value, d1.mrr_amount, d1.sales_owner_id) == ("submitted", 120000, ae.id)
    assert d1.decision_maker_contact_id is not None
    assert d1.key_people == [
        {"name": "佐藤", "title": "課長", "role": "推進役", "contact_id": None},
        {"name": "鈴木", "title": "", "role": "", "contact_id": None},
    ]
    # Re-importing the same file changes nothing; a change to a submitted one is refused.
    again = app_client.post("/api/v1/handoffs/import", files={"file": ("h.csv", good.encode())})
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    changed = good.replace("目的,基準", "別の目的,基準")
    refused = app_client.post(
        "/api/v1/handoffs/import", files={"file": ("h.csv", changed.encode())}
    )
    assert refused.status_code == 422
    assert [(e["loc"][1], e["loc"][2]) for e in refused.json()["errors"]] == [(2, "purpose")]
    # a draft is updated; Shift_JIS files are read
    edit = HEADER + "D-3,,beta.example.jp,新規C,2026-04-02,50000,,目的だけ,,,,,,,,,\n"
    updated = app_client.post(
        "/api/v1/handoffs/import", files={"file": ("h.csv", edit.encode("cp932"))}
    )
    assert updated.json()["updated"] == 1, updated.text
    unknown = app_client.post(
        "/api/v1/handoffs/import", files={"file": ("h.csv", b"deal,won\nx,y\n")}
    )
    cols = {e["loc"][2] for e in unknown.json()["errors"]}
    assert {"deal", "won", "external_id", "deal_name", "won_on"} <= cols
