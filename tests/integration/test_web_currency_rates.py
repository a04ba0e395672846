"""The exchange-rates admin page: list, add (errors at the field), delete, ja and en."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.models import CurrencyRate
from kizuna.models.enums import Role
from webtools import csrf_of, web_login

URL = "/admin/currency-rates"


def test_admin_adds_and_deletes_a_rate(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN, locale="ja")
    page = app_client.get(URL)
    assert page.status_code == 200
    assert "為替レート" in page.text
    assert "為替レートはまだありません" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "currency": "usd", "rate": "1,50.25", "valid_from": "2026-01-01"}
    added = app_client.post(URL, data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    listed = app_client.get(URL).text
    assert "USD" in listed
    assert "150.25" in listed
    assert "2026-01-01" in listed
    rate = session.scalars(select(CurrencyRate)).one()

    again = app_client.post(URL, data=form)
    assert again.status_code == 422
    assert 'data-testid="error-valid_from"' in again.text
    bad = app_client.post(URL, data={**form, "currency": "JPY", "rate": "abc"})
    assert 'data-testid="error-rate"' in bad.text

    deleted = app_client.post(
        f"{URL}/{rate.id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    session.expire_all()
    assert session.scalars(select(CurrencyRate)).all() == []


def test_page_in_english_and_only_for_currency_admins(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.ADMIN, locale="en")
    page = app_client.get(URL).text
    assert "Exchange rates" in page
    assert "Rate (JPY per 1 unit)" in page
    assert re.search(r'href="/admin/currency-rates"', page)  # in the admin navigation
    app_client.cookies.clear()
    web_login(app_client, session, Role.MANAGER)
    assert app_client.get(URL).status_code == 403
    assert 'href="/admin/currency-rates"' not in app_client.get("/portfolio").text
