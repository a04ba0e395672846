"""Expansion potential (SQLite and PostgreSQL): the service rules, the white-space matrix,
totals by every axis with confidence weighting, the API, the pages and permissions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import (
    api_as,
    make_account,
    make_activity,
    make_line,
    make_product,
    make_user,
)
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.kit.clock import today
from kizuna.kit.errors import Conflict, Forbidden, Invalid
from kizuna.models import AuditEvent, ExpansionPotential
from kizuna.models.enums import ProductKind, Role, Tier
from kizuna.models.potential import PotentialConfidence
from kizuna.potential import service
from kizuna.potential.rules import CellState
from kizuna.potential.schemas import MatrixFilters, PotentialCreate, PotentialUpdate, TotalsBy
from webtools import csrf_of, web_login

TODAY = today("Asia/Tokyo")
SYSTEM = Actor.system("test")


def _potential(
    session: Session, account_id: object, product_id: object, **fields: object
) -> ExpansionPotential:
    data = {
        "account_id": account_id,
        "product_id": product_id,
        "mrr_amount": 100_000,
        "confidence": "medium",
    } | fields
    return service.create_potential(session, SYSTEM, PotentialCreate.model_validate(data))


def test_create_is_unique_per_account_and_product_and_audited(session: Session) -> None:
    account = make_account(session, currency="JPY")
    option = make_product(session, kind=ProductKind.OPTION)
    note = make_activity(session, account)
    created = _potential(
        session, account.id, option.id, seats=30, expected_on="2026-05", activity_ids=[note.id]
    )
    assert created.expected_on == date(2026, 5, 1)
    assert created.currency == "JPY"
    with pytest.raises(Conflict) as exc:
        _potential(session, account.id, option.id)
    assert exc.value.code == "duplicate_potential"
    out = service.get_potential(session, SYSTEM, created.id)
    assert [a.id for a in out.activities] == [note.id]
    assert (out.confidence_percent, out.weighted_mrr_amount) == (50, 50_000)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(created.id))
    ).all()
    assert actions == ["potential.created"]


def test_money_is_integer_minor_units_and_bad_input_names_fields(session: Session) -> None:
    account = make_account(session, currency="USD")
    product = make_product(session)
    other = make_account(session)
    foreign = make_activity(session, other)
    with pytest.raises(Invalid) as exc:
        _potential(session, account.id, product.id, activity_ids=[foreign.id])
    assert [p.loc for p in exc.value.problems] == [("body", "activity_ids", 0)]
    with pytest.raises(ValueError, match="mrr_amount"):
        PotentialCreate.model_validate(
            {"account_id": account.id, "product_id": product.id, "mrr_amount": 12.5,
             "confidence": "low"}
        )  # fmt: skip
    saved = _potential(session, account.id, product.id, mrr_amount=123_456)
    session.expire_all()
    stored = session.get(ExpansionPotential, saved.id)
    assert stored is not None
    assert (stored.mrr_amount, stored.currency) == (123_456, "USD")
    assert isinstance(stored.mrr_amount, int)


def test_update_and_upsert_and_delete(session: Session) -> None:
    account = make_account(session)
    product = make_product(session, kind=ProductKind.ADD_ON)
    created = _potential(session, account.id, product.id)
    service.update_potential(
        session, SYSTEM, created.id, PotentialUpdate(confidence=PotentialConfidence.HIGH)
    )
    assert created.confidence is PotentialConfidence.HIGH
    again = service.set_potential(
        session,
        SYSTEM,
        PotentialCreate.model_validate(
            {"account_id": account.id, "product_id": product.id, "mrr_amount": 7,
             "confidence": "low"}
        ),
    )  # fmt: skip
    assert again.id == created.id
    assert (again.mrr_amount, again.confidence) == (7, PotentialConfidence.LOW)
    service.delete_potential(session, SYSTEM, created.id)
    assert session.get(ExpansionPotential, created.id) is None
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(created.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert actions == [
        "potential.created",
        "potential.updated",
        "potential.updated",
        "potential.deleted",
    ]


def test_matrix_states_owned_potential_none_and_ended_line(session: Session) -> None:
    base = make_product(session, code="BASE", kind=ProductKind.BASE_PLAN)
    crm = make_product(session, code="CRM", kind=ProductKind.OPTION)
    growth = make_product(session, code="GROWTH", kind=ProductKind.SERVICE)
    a = make_account(session, name="A社")
    b = make_account(session, name="B社")
    make_line(session, a, base, mrr=10_000, start=TODAY - timedelta(days=100))
    # ended yesterday: not owned any more
    make_line(
        session, b, base, mrr=10_000, start=TODAY - timedelta(days=400),
        end=TODAY - timedelta(days=1),
    )  # fmt: skip
    # starts tomorrow: not owned yet
    make_line(session, b, growth, mrr=5_000, start=TODAY + timedelta(days=1))
    _potential(session, a.id, crm.id, mrr_amount=30_000, confidence="high")
    _potential(session, a.id, base.id, mrr_amount=5_000)  # more seats on an owned plan
    result = service.matrix(session, SYSTEM, MatrixFilters(), today=TODAY, account_ids={a.id, b.id})
    assert [p.code for p in result.products][:3] == ["BASE", "CRM", "GROWTH"]
    states = {
        (r.account_name, p.code): c.state
        for r in result.rows
        for p, c in zip(result.products, r.cells, strict=True)
    }
    assert states[("A社", "BASE")] is CellState.OWNED
    assert states[("A社", "CRM")] is CellState.POTENTIAL
    assert states[("A社", "GROWTH")] is CellState.NONE
    assert states[("B社", "BASE")] is CellState.NONE
    assert states[("B社", "GROWTH")] is CellState.NONE
    owned_cell = next(c for c in result.rows[0].cells if c.product_id == base.id)
    assert (owned_cell.owned, owned_cell.mrr_amount) == (True, 5_000)
    only = service.matrix(
        session, SYSTEM, MatrixFilters(with_potential=True), today=TODAY,
        account_ids={a.id, b.id},
    )  # fmt: skip
    assert [r.account_name for r in only.rows] == ["A社"]
    paged = service.matrix(
        session, SYSTEM, MatrixFilters(), today=TODAY, account_ids={a.id, b.id}, per_page=1,
        page=2,
    )  # fmt: skip
    assert (paged.total, paged.pages, [r.account_name for r in paged.rows]) == (2, 2, ["B社"])


def test_totals_by_product_tier_and_owner_weighted_by_confidence(session: Session) -> None:
    csm1 = make_user(session, Role.CSM, name="佐藤")
    csm2 = make_user(session, Role.CSM, name="鈴木")
    crm = make_product(session, code="T-CRM", name="CRM", kind=ProductKind.OPTION)
    app = make_product(session, code="T-APP", name="APP", kind=ProductKind.OPTION)
    a = make_account(session, tier=Tier.TIER1, csm_owner_id=csm1.id)
    b = make_account(session, tier=Tier.TIER2, csm_owner_id=csm2.id)
    c = make_account(session, tier=None, csm_owner_id=None)
    _potential(session, a.id, crm.id, mrr_amount=100_000, confidence="high", seats=10)  # 80 000
    _potential(session, b.id, crm.id, mrr_amount=50_001, confidence="low")  # 10 000.2
    _potential(session, b.id, app.id, mrr_amount=30_000, confidence="medium")  # 15 000
    _potential(session, c.id, app.id, mrr_amount=1, confidence="medium")  # 0.5
    ids = {a.id, b.id, c.id}

    def rows(by: TotalsBy) -> dict[str | None, tuple[int, int, int]]:
        t = service.totals(session, SYSTEM, by=by, account_ids=ids)
        return {r.key: (r.count, r.mrr_amount, r.weighted_mrr_amount) for r in t.rows}

    assert rows(TotalsBy.PRODUCT) == {
        "T-CRM": (2, 150_001, 90_000),  # 8 000 000 + 1 000 020 = 9 000 020 → 90 000.2
        "T-APP": (2, 30_001, 15_000),  # 1 500 050 → 15 000.5 → half-even 15 000
    }
    assert rows(TotalsBy.TIER) == {
        "tier1": (1, 100_000, 80_000),
        "tier2": (2, 80_001, 25_000),
        None: (1, 1, 0),
    }
    assert rows(TotalsBy.OWNER) == {
        str(csm1.id): (1, 100_000, 80_000),
        str(csm2.id): (2, 80_001, 25_000),
        None: (1, 1, 0),
    }
    grand = service.totals(session, SYSTEM, by="product", account_ids=ids).grand
    assert [(g.currency, g.count, g.mrr_amount, g.weighted_mrr_amount, g.seats) for g in grand] == [
        ("JPY", 4, 180_002, 105_001, 10)
    ]
    filtered = service.totals(session, SYSTEM, by=TotalsBy.PRODUCT, tier=Tier.TIER2)
    assert {r.key for r in filtered.rows} >= {"T-CRM", "T-APP"}
    assert all(r.key in {"T-CRM", "T-APP"} for r in filtered.rows if r.key.startswith("T-"))
    with pytest.raises(Invalid):
        service.totals(session, SYSTEM, by="region")


def test_live_evidence_reads_lines_and_health(session: Session, tmp_path: object) -> None:
    account = make_account(session)
    seat_plan = make_product(session, kind=ProductKind.ADD_ON)
    make_line(session, account, seat_plan, mrr=1_000, start=TODAY - timedelta(days=30), quantity=25)
    created = _potential(session, account.id, seat_plan.id)
    out = service.get_potential(
        session,
        SYSTEM,
        created.id,
        today=TODAY,
        zone="Asia/Tokyo",
        data_dir=tmp_path,  # type: ignore[arg-type]
    )
    assert out.evidence is not None
    assert (out.evidence.owned, out.evidence.product_seats) == (True, 25)
    assert out.evidence.health_score is None  # never scored


def test_permissions_read_and_write(session: Session) -> None:
    account = make_account(session)
    product = make_product(session)
    support = actor_for_user(make_user(session, Role.SUPPORT))
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    data = PotentialCreate.model_validate(
        {"account_id": account.id, "product_id": product.id, "mrr_amount": 1,
         "confidence": "low"}
    )  # fmt: skip
    for actor in (support, viewer):
        with pytest.raises(Forbidden):
            service.create_potential(session, actor, data)
    created = service.create_potential(
        session, actor_for_user(make_user(session, Role.CUSTOMER_SALES)), data
    )
    assert service.get_potential(session, viewer, created.id).id == created.id
    with pytest.raises(Forbidden):
        service.delete_potential(session, viewer, created.id)


def test_api_crud_matrix_totals_and_permissions(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    account = make_account(session, tier=Tier.TIER1)
    product = make_product(session, code="API-OPT", kind=ProductKind.OPTION)
    session.commit()
    body = {
        "account_id": str(account.id),
        "product_id": str(product.id),
        "mrr_amount": 200_000,
        "confidence": "high",
        "expected_on": "2026-07",
        "seats": 40,
    }
    created = app_client.post("/api/v1/potential", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert created.json()["expected_on"] == "2026-07-01"
    assert app_client.post("/api/v1/potential", json=body).status_code == 409
    got = app_client.get(f"/api/v1/potential/{pid}").json()
    assert got["evidence"]["owned"] is False
    patched = app_client.patch(f"/api/v1/potential/{pid}", json={"confidence": "low"})
    assert patched.json()["weighted_mrr_amount"] == 40_000
    listed = app_client.get("/api/v1/potential", params={"account_id": str(account.id)}).json()
    assert [i["id"] for i in listed["items"]] == [pid]
    matrix = app_client.get("/api/v1/potential/matrix", params={"q": account.name}).json()
    row = matrix["rows"][0]
    cell = next(c for c in row["cells"] if c["product_id"] == str(product.id))
    assert (cell["state"], cell["mrr_amount"]) == ("potential", 200_000)
    totals = app_client.get("/api/v1/potential/totals", params={"by": "tier"}).json()
    tier1 = next(r for r in totals["rows"] if r["key"] == "tier1")
    assert tier1["weighted_mrr_amount"] >= 40_000
    bad = app_client.get("/api/v1/potential/totals", params={"by": "region"})
    assert bad.status_code == 422
    assert app_client.delete(f"/api/v1/potential/{pid}").status_code == 204
    assert app_client.get(f"/api/v1/potential/{pid}").status_code == 404

    api_as(app_client, session, Role.SUPPORT)
    assert app_client.get("/api/v1/potential/matrix").status_code == 200
    assert app_client.post("/api/v1/potential", json=body).status_code == 403
    api_as(app_client, session, Role.CSM, scopes=["read"])
    assert app_client.post("/api/v1/potential", json=body).status_code == 403


def test_pages_matrix_editor_csv_and_panel(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM, locale="ja")
    account = make_account(session, name="株式会社ホワイト", tier=Tier.TIER1)
    product = make_product(session, code="WEB-OPT", name="CRM連携", kind=ProductKind.OPTION)
    session.commit()
    page = app_client.get("/sales/potential", params={"q": "ホワイト"})
    assert page.status_code == 200
    assert "拡張ポテンシャル" in page.text or "Expansion potential" in page.text
    assert f'data-testid="cell-{account.id}-WEB-OPT"' in page.text
    editor = app_client.get(
        "/sales/potential/edit",
        params={"account_id": str(account.id), "product_id": str(product.id)},
        headers={"HX-Request": "true"},
    )
    assert editor.status_code == 200
    assert 'data-testid="potential-form"' in editor.text
    assert "<html" not in editor.text
    form = {
        "csrf_token": csrf_of(editor.text),
        "account_id": str(account.id),
        "product_id": str(product.id),
        "return_to": "/sales/potential?q=%E3%83%9B%E3%83%AF%E3%82%A4%E3%83%88",
        "mrr": "１２０,０００",
        "currency": "JPY",
        "confidence": "high",
        "expected_month": "2026-09",
        "note": "人事部でも使いたいとの声",
    }
    bad = app_client.post("/sales/potential/edit", data=form | {"mrr": "abc"})
    assert bad.status_code == 422
    assert "field-error" in bad.text
    saved = app_client.post("/sales/potential/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/sales/potential?q=")
    stored = session.scalar(
        select(ExpansionPotential).where(ExpansionPotential.account_id == account.id)
    )
    assert stored is not None
    assert (stored.mrr_amount, stored.expected_on) == (120_000, date(2026, 9, 1))
    page = app_client.get("/sales/potential", params={"q": "ホワイト"})
    assert 'data-state="potential"' in page.text
    assert "￥120,000" in page.text or "¥120,000" in page.text
    csv = app_client.get("/sales/potential.csv", params={"q": "ホワイト"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "WEB-OPT" in csv.text
    assert "potential 120000 JPY (80%)" in csv.text
    panel = app_client.get(f"/accounts/{account.id}/potential-panel")
    assert panel.status_code == 200
    assert "人事部でも使いたいとの声" in panel.text
    # the return address never leaves the site
    away = app_client.post(
        "/sales/potential/edit", data=form | {"return_to": "//evil.test/"}, follow_redirects=False
    )
    assert away.headers["location"] == "/sales/potential"


def test_pages_refuse_writes_without_pipeline_write(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.SUPPORT)
    account = make_account(session)
    product = make_product(session)
    session.commit()
    page = app_client.get("/sales/potential")
    assert page.status_code == 200
    assert "/sales/potential/edit?" not in page.text
    editor = app_client.get(
        "/sales/potential/edit",
        params={"account_id": str(account.id), "product_id": str(product.id)},
    )
    assert editor.status_code == 403
