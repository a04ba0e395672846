"""Revenue figures and exchange rates through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product, make_user
from kizuna.models import AuditEvent
from kizuna.models.enums import Role, Tier

WINDOW = {"from": "2026-01-01", "to": "2026-02-01"}


def book(session: Session) -> dict[str, object]:
    """Three JPY customers: one contracts mid-January, one churns, one is new."""
    csm = make_user(session, Role.CSM, name="担当 一郎")
    base, option = make_product(session, code="BASE"), make_product(session, code="OPT")
    kept = make_account(session, name="継続株式会社", tier=Tier.TIER1, csm_owner_id=csm.id)
    make_line(session, kept, base, mrr=100_000, start=date(2025, 4, 1))
    option_line = make_line(
        session, kept, option, mrr=20_000, start=date(2025, 4, 1), end=date(2026, 1, 16)
    )
    gone = make_account(session, name="解約株式会社", tier=Tier.TIER3, employee_count=40)
    gone_line = make_line(session, gone, base, mrr=50_000, start=date(2025, 1, 1))
    gone_line.end_on = date(2026, 1, 31)
    fresh = make_account(session, name="新規株式会社", tier=Tier.TIER2, employee_count=2500)
    make_line(session, fresh, base, mrr=30_000, start=date(2026, 1, 20))
    session.commit()
    return {"kept": kept, "gone": gone, "option_line": option_line, "gone_line": gone_line}


def test_window_report_and_groups(app_client: TestClient, session: Session) -> None:
    data = book(session)
    api_as(app_client, session, Role.READ_ONLY)
    body = app_client.get("/api/v1/revenue/window", params=WINDOW).json()
    f = body["figures"]
    assert (body["currency"], f["n_start"], f["n_churned"]) == ("JPY", 2, 1)
    assert (f["start_mrr"], f["end_mrr"]) == (170_000, 130_000)
    assert (f["churned_mrr"], f["contraction_mrr"], f["new_mrr"]) == (50_000, 20_000, 30_000)
    assert Decimal(f["logo_churn_rate"]) == Decimal("0.5")
    assert Decimal(f["nrr"]) == Decimal("0.588235")  # 100,000 ÷ 170,000
    assert Decimal(f["mrr_churn_rate"]) == Decimal("0.411765")

    tiers = app_client.get("/api/v1/revenue/window", params={**WINDOW, "by": "tier"}).json()
    assert [g["key"] for g in tiers["groups"]] == ["tier1", "tier2", "tier3"]
    segments = app_client.get("/api/v1/revenue/window", params={**WINDOW, "by": "segment"})
    assert {g["key"] for g in segments.json()["groups"]} == {"smb", "enterprise", "unknown"}
    owners = app_client.get("/api/v1/revenue/window", params={**WINDOW, "by": "owner"}).json()
    csm_id = str(data["kept"].csm_owner_id)  # type: ignore[attr-defined]
    assert [(g["key"], g["label"]) for g in owners["groups"]] == [
        (csm_id, "担当 一郎"),
        ("none", ""),
    ]
    drill = app_client.get(
        "/api/v1/revenue/drilldown",
        params={**WINDOW, "figure": "start", "by": "owner", "group": csm_id},
    ).json()
    assert [a["name"] for a in drill["accounts"]] == ["継続株式会社"]


def test_back_dated_edit_changes_past_figures(app_client: TestClient, session: Session) -> None:
    data = book(session)
    api_as(app_client, session, Role.ADMIN)
    before = app_client.get("/api/v1/revenue/window", params=WINDOW).json()["figures"]
    line = data["gone_line"]
    patched = app_client.patch(
        f"/api/v1/subscriptions/{line.id}",  # type: ignore[attr-defined]
        json={"end_on": None},
    )
    assert patched.status_code == 200, patched.text
    after = app_client.get("/api/v1/revenue/window", params=WINDOW).json()["figures"]
    assert (before["n_churned"], after["n_churned"]) == (1, 0)
    assert after["end_mrr"] == before["end_mrr"] + 50_000


def test_monthly_kgi_cohorts_totals_and_drilldown(app_client: TestClient, session: Session) -> None:
    book(session)
    api_as(app_client, session, Role.CSM)
    monthly = app_client.get(
        "/api/v1/revenue/monthly", params={"from": "2025-12-15", "to": "2026-02-28"}
    ).json()
    assert [m["month"] for m in monthly["months"]] == ["2025-12-01", "2026-01-01", "2026-02-01"]
    january = monthly["months"][1]
    assert (january["mrr"], january["closing_mrr"], january["net_change"]) == (
        170_000, 130_000, -40_000,
    )  # fmt: skip
    kgi = app_client.get("/api/v1/revenue/kgi", params={"quarters": 2}).json()
    assert len(kgi["points"]) == 2
    assert kgi["points"][0]["quarter"] < kgi["points"][1]["quarter"]
    cohorts = app_client.get(
        "/api/v1/revenue/cohorts", params={"from": "2025-01-01", "to": "2026-01-01"}
    ).json()
    assert [r["cohort"] for r in cohorts["rows"] if r["size"]] == ["2025-01", "2025-04", "2026-01"]
    totals = app_client.get("/api/v1/revenue/totals").json()
    assert totals["arr"] == 12 * totals["mrr"]

    churned = app_client.get(
        "/api/v1/revenue/drilldown", params={**WINDOW, "figure": "churned"}
    ).json()
    assert (churned["count"], churned["total_mrr"]) == (1, 50_000)
    (account,) = churned["accounts"]
    assert (account["name"], account["movement"], account["start_mrr"]) == (
        "解約株式会社", "churn", 50_000,
    )  # fmt: skip
    assert [line["end_on"] for line in account["lines"]] == ["2026-01-31"]
    by_product = app_client.get(
        "/api/v1/revenue/drilldown",
        params={**WINDOW, "figure": "churned", "by": "product", "group": "OPT"},
    ).json()
    assert [(a["name"], a["product_code"]) for a in by_product["accounts"]] == [
        ("継続株式会社", "OPT")
    ]


def test_bad_parameters_are_named(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    backwards = app_client.get(
        "/api/v1/revenue/window", params={"from": "2026-02-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["from"]
    missing = app_client.get("/api/v1/revenue/window", params={"from": "2026-01-01"})
    assert [e["field"] for e in missing.json()["errors"]] == ["to"]
    bad_cut = app_client.get("/api/v1/revenue/window", params={**WINDOW, "by": "colour"})
    assert [e["field"] for e in bad_cut.json()["errors"]] == ["by"]
    group_alone = app_client.get(
        "/api/v1/revenue/drilldown", params={**WINDOW, "figure": "new", "group": "x"}
    )
    assert [e["field"] for e in group_alone.json()["errors"]] == ["group"]


def test_foreign_currency_needs_a_rate(app_client: TestClient, session: Session) -> None:
    usd = make_account(session, name="US Corp", currency="USD")
    make_line(
        session, usd, make_product(session), mrr=10_050, start=date(2025, 1, 1), currency="USD"
    )
    session.commit()
    api_as(app_client, session, Role.ADMIN)
    refused = app_client.get("/api/v1/revenue/window", params=WINDOW)
    assert refused.status_code == 409
    assert refused.json()["code"] == "missing_rate"
    assert "USD" in refused.json()["detail"]

    created = app_client.post(
        "/api/v1/currency-rates",
        json={"currency": "USD", "rate": "150.5", "valid_from": "2025-01-01"},
    )
    assert created.status_code == 201, created.text
    f = app_client.get("/api/v1/revenue/window", params=WINDOW).json()["figures"]
    assert f["start_mrr"] == 15_125  # $100.50 × 150.5 = ¥15,125.25 → ¥15,125


def test_currency_rate_crud_is_audited_and_checked(
    app_client: TestClient, session: Session
) -> None:
    api_as(app_client, session, Role.ADMIN)
    body = {"currency": "EUR", "rate": "162.25", "valid_from": "2026-01-01"}
    rate = app_client.post("/api/v1/currency-rates", json=body).json()
    duplicate = app_client.post("/api/v1/currency-rates", json=body)
    assert [e["field"] for e in duplicate.json()["errors"]] == ["valid_from"]
    reporting = app_client.post("/api/v1/currency-rates", json={**body, "currency": "JPY"})
    assert [e["code"] for e in reporting.json()["errors"]] == ["reporting"]
    unknown = app_client.post("/api/v1/currency-rates", json={**body, "currency": "XYZ"})
    assert [e["code"] for e in unknown.json()["errors"]] == ["unknown_currency"]
    negative = app_client.post("/api/v1/currency-rates", json={**body, "rate": "-1"})
    assert [e["field"] for e in negative.json()["errors"]] == ["rate"]

    patched = app_client.patch(f"/api/v1/currency-rates/{rate['id']}", json={"rate": "163"})
    assert Decimal(patched.json()["rate"]) == Decimal("163")
    listed = app_client.get("/api/v1/currency-rates").json()
    assert [(r["currency"], r["valid_from"]) for r in listed] == [("EUR", "2026-01-01")]
    assert app_client.delete(f"/api/v1/currency-rates/{rate['id']}").status_code == 204
    assert app_client.get(f"/api/v1/currency-rates/{rate['id']}").status_code == 404
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == rate["id"])
    ).all()
    assert sorted(actions) == [
        "currency_rate.create", "currency_rate.delete", "currency_rate.update",
    ]  # fmt: skip


def test_permissions(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.SUPPORT)
    assert app_client.get("/api/v1/revenue/window", params=WINDOW).status_code == 403
    api_as(app_client, session, Role.MANAGER)
    assert app_client.get("/api/v1/revenue/totals").status_code == 200
    body = {"currency": "USD", "rate": "150", "valid_from": "2026-01-01"}
    assert app_client.post("/api/v1/currency-rates", json=body).status_code == 403
