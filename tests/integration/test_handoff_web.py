"""Hand-off pages on SQLite and PostgreSQL: sales creates one through the form (a new
account created inline), CS accepts it, CSRF and permissions, the settings panel, the
CSV upload naming problems, and the Account 360 panel."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account
from kizuna.models import Account, Handoff, HandoffSettings
from kizuna.models.enums import Role
from kizuna.models.handoff import HandoffStatus
from webtools import csrf_of, web_login

FORM = {
    "deal_name": "勤怠クラウド 新規導入",
    "won_on": "2026-04-01",
    "mrr_major": "¥350,000",
    "purpose": "勤怠の電子化",
    "success_criteria": "締め作業を2日に",
    "promises": "研修2回",
    "decision_maker_name": "山田 部長",
    "key_people_text": "佐藤 | 課長 | 推進役\n鈴木",
    "expansion_departments": "工場",
    "expansion_headcount": "1,200",
}


def second_client(app_client: TestClient) -> TestClient:
    return TestClient(app_client.app, base_url="http://testserver")


def test_sales_creates_and_cs_accepts(app_client: TestClient, session: Session) -> None:
    ae = web_login(app_client, session, Role.SALES, name="営業 太郎")
    page = app_client.get("/sales/handoffs/new")
    assert page.status_code == 200
    assert 'data-testid="handoff-form"' in page.text
    token = csrf_of(page.text)
    # Without the CSRF token: refused, nothing written.
    no_csrf = app_client.post(
        "/sales/handoffs/new", data={**FORM, "account_name": "新星工業"}, follow_redirects=False
    )
    assert no_csrf.status_code == 403
    # Missing required fields on submit: the form comes back naming them.
    thin = app_client.post(
        "/sales/handoffs/new",
        data={"csrf_token": token, "account_name": "新星工業", "deal_name": "d",
              "won_on": "2026-04-01", "action": "submit"},
    )  # fmt: skip
    assert thin.status_code == 422
    assert 'data-testid="form-errors"' in thin.text
    assert session.scalar(select(Handoff.id)) is None
    assert session.scalar(select(Account.id).where(Account.name == "新星工業")) is None

    created = app_client.post(
        "/sales/handoffs/new",
        data={**FORM, "csrf_token": token, "account_name": "新星工業", "action": "submit"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    session.expire_all()
    h = session.scalars(select(Handoff)).one()
    assert (h.status, h.mrr_amount, h.expansion_headcount) == (
        HandoffStatus.SUBMITTED,
        350000,
        1200,
    )
    assert h.sales_owner_id is None or h.sales_owner_id == ae.id
    assert [p["name"] for p in h.key_people] == ["佐藤", "鈴木"]
    account = session.get(Account, h.account_id)
    assert account is not None
    assert account.name == "新星工業"

    mine = app_client.get(url)
    assert 'data-testid="accept-handoff"' not in mine.text  # not their own
    csm = second_client(app_client)
    web_login(csm, session, Role.CSM)
    detail = csm.get(url)
    assert 'data-testid="accept-handoff"' in detail.text
    token2 = csrf_of(detail.text)
    empty_reason = csm.post(f"{url}/return", data={"csrf_token": token2, "reason": " "})
    assert empty_reason.status_code == 422
    accepted = csm.post(f"{url}/accept", data={"csrf_token": token2}, follow_redirects=False)
    assert accepted.status_code == 303
    session.expire_all()
    assert session.get(Handoff, h.id).status == HandoffStatus.ACCEPTED  # type: ignore[union-attr]
    again = csm.post(f"{url}/accept", data={"csrf_token": token2}, follow_redirects=False)
    assert again.status_code == 303  # refused with a message, not a crash
    assert session.get(Handoff, h.id).accepted_by_id is not None  # type: ignore[union-attr]

    listing = csm.get("/sales/handoffs?tab=accepted")
    assert listing.status_code == 200
    assert "勤怠クラウド 新規導入" in listing.text
    assert 'data-testid="handoff-metrics"' in listing.text
    panel = csm.get(f"/accounts/{h.account_id}/handoff-panel")
    assert "勤怠の電子化" in panel.text
    assert "研修2回" in panel.text
    account_page = csm.get(f"/accounts/{h.account_id}")
    assert f"/accounts/{h.account_id}/handoff-panel" in account_page.text


def test_permissions_settings_and_upload(app_client: TestClient, session: Session) -> None:
    make_account(session, external_id="ACC-W")
    web_login(app_client, session, Role.READ_ONLY)
    assert app_client.get("/sales/handoffs").status_code == 200
    assert app_client.get("/sales/handoffs/new", follow_redirects=False).status_code == 403
    assert 'data-testid="handoff-settings-form"' not in app_client.get("/sales/handoffs").text

    csm = second_client(app_client)
    web_login(csm, session, Role.CSM)
    page = csm.get("/sales/handoffs")
    token = csrf_of(page.text)
    refused = csm.post(
        "/sales/handoffs/settings", data={"csrf_token": token, "required": ["risks"]}
    )
    assert refused.status_code == 403
    upload = csm.post(
        "/sales/handoffs/import",
        data={"csrf_token": token},
        files={"file": ("h.csv", b"external_id,account_external_id,deal_name,won_on\n"
                                 b"X-1,NOPE,d,2026-04-01\n")},
    )  # fmt: skip
    assert upload.status_code == 422
    assert 'data-testid="import-problems"' in upload.text
    assert "account_external_id" in upload.text
    assert session.scalar(select(Handoff.id)) is None
    good = csm.post(
        "/sales/handoffs/import",
        data={"csrf_token": token},
        files={"file": ("h.csv", b"external_id,account_external_id,deal_name,won_on\n"
                                 b"X-1,ACC-W,d,2026-04-01\n")},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    assert session.scalar(select(Handoff.external_id)) == "X-1"

    manager = TestClient(app_client.app, base_url="http://testserver")
    web_login(manager, session, Role.MANAGER)
    token3 = csrf_of(manager.get("/sales/handoffs").text)
    saved = manager.post(
        "/sales/handoffs/settings",
        data={"csrf_token": token3, "required": ["risks", "purpose"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(HandoffSettings, 1).required_fields == ["purpose", "risks"]  # type: ignore[union-attr]
