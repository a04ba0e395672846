"""/api/v1/segments, /facts, tags and /coverage over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product
from kizuna.models.enums import Role, Tier


def _book(session: Session, n: int = 5) -> list[object]:
    plan = make_product(session, code="PLAN-API-SEG")
    made = []
    for k in range(n):
        account = make_account(session, name=f"API顧客{k}", tier=Tier.TIER3, region="関東")
        make_line(session, account, plan, mrr=(k + 1) * 100_000, start=date(2025, 1, 1))
        made.append(account)
    session.commit()
    return made


def test_segment_crud_preview_and_keyset_members(app_client: TestClient, session: Session) -> None:
    _book(session)
    api_as(app_client, session, Role.CSM)
    definition = {"all": [{"fact": "signal.mrr", "op": "gte", "value": 200000}]}
    preview = app_client.post("/api/v1/segments/preview", json={"definition": definition})
    assert preview.json()["count"] == 4
    created = app_client.post(
        "/api/v1/segments", json={"name": "20万以上", "definition": definition}
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["can_edit"] is True
    names: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = app_client.get(f"/api/v1/segments/{segment['id']}/members", params=params).json()
        names += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == ["API顧客1", "API顧客2", "API顧客3", "API顧客4"]
    listed = app_client.get("/api/v1/segments", params={"counts": True}).json()["items"]
    assert [(s["name"], s["member_count"]) for s in listed] == [("20万以上", 4)]
    patched = app_client.patch(f"/api/v1/segments/{segment['id']}", json={"shared": True})
    assert patched.json()["shared"] is True
    bad = app_client.patch(
        f"/api/v1/segments/{segment['id']}",
        json={"definition": {"all": [{"fact": "signal.mrr", "op": "contains", "value": "x"}]}},
    )
    assert bad.status_code == 422
    assert "definition.all[0].op" in bad.text
    assert app_client.delete(f"/api/v1/segments/{segment['id']}").status_code == 204
    assert app_client.get("/api/v1/segments").json()["items"] == []


def test_fact_catalogue_lists_kinds_and_operators(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.READ_ONLY, scopes=["read"])
    facts = {f["key"]: f for f in app_client.get("/api/v1/facts").json()["items"]}
    assert facts["account.tier"]["choices"] == ["tier1", "tier2", "tier3"]
    assert facts["account.touch_model"]["kind"] == "choice"
    assert "between" in facts["signal.mrr"]["ops"]
    assert facts["tags"]["ops"][0] == "has"


def test_tags_over_the_api(app_client: TestClient, session: Session) -> None:
    (account,) = _book(session, 1)
    api_as(app_client, session, Role.CSM)
    url = f"/api/v1/accounts/{account.id}/tags"  # type: ignore[attr-defined]
    put = app_client.put(url, json={"tags": [" 重点 ", "VIP", "重点"]})
    assert put.json()["tags"] == ["VIP", "重点"]
    assert app_client.get(url).json()["tags"] == ["VIP", "重点"]
    assert app_client.get("/api/v1/tags").json()["items"][0]["accounts"] == 1
    bad = app_client.put(url, json={"tags": ["ok", "a,b"]})
    assert bad.status_code == 422
    assert [(e["loc"], e["code"]) for e in bad.json()["errors"]] == [(["body", "tags", 1], "comma")]


def test_coverage_api_rules_dry_run_and_pin(app_client: TestClient, session: Session) -> None:
    accounts = _book(session, 3)
    api_as(app_client, session, Role.ADMIN)
    tiers = app_client.get("/api/v1/coverage/tiers").json()
    assert [(t["tier"], t["touch_model"]) for t in tiers] == [
        ("tier1", "high_touch"), ("tier2", "low_touch"), ("tier3", "tech_touch"),
    ]  # fmt: skip
    big = {"fact": "signal.mrr", "op": "gte", "value": 300000}
    rules = {"rules": [{"name": "大口", "tier": "tier1", "condition": big}]}
    saved = app_client.put("/api/v1/coverage/tier-rules", json=rules)
    assert saved.status_code == 200, saved.text
    dry = app_client.post("/api/v1/coverage/apply", json={"dry_run": True}).json()
    assert [c["account_name"] for c in dry["tiers"]["changes"]] == ["API顧客2"]
    pin = app_client.put(
        f"/api/v1/coverage/accounts/{accounts[2].id}/tier",  # type: ignore[attr-defined]
        json={"pinned": True},
    )
    assert pin.json()["tier_pinned"] is True
    dry = app_client.post("/api/v1/coverage/apply", json={"dry_run": True}).json()
    assert dry["tiers"]["changes"] == []
    assert dry["tiers"]["pinned"] == 1
    bad = app_client.put(
        "/api/v1/coverage/tier-rules",
        json={"rules": [{"name": "x", "tier": "tier1", "condition": {"fact": "nope", "op": "eq"}}]},
    )
    assert bad.status_code == 422
    assert "rules[0].condition.fact" in bad.text
    books = app_client.get("/api/v1/coverage/books", params={"field": "sales_owner"})
    assert books.json()["field"] == "sales_owner"


def test_csms_cannot_change_coverage(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    response = app_client.put("/api/v1/coverage/tier-rules", json={"rules": []})
    assert response.status_code == 403
    assert app_client.get("/api/v1/coverage/books").status_code == 403
