"""Contacts, contract lines and survey answers managed from Account 360, on both engines."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import PASSWORD, make_account, make_contact, make_line, make_product, make_user
from kizuna.auth import service as auth
from kizuna.kit.clock import today
from kizuna.models import Account, Contact, Subscription, SurveyResponse
from kizuna.models.enums import ContactRole, ProductUnit, Role, SurveyKind
from kizuna.web.deps import SESSION_COOKIE

TODAY = today()


def log_in(client: TestClient, session: Session, role: Role) -> str:
    """Sign ``client`` in as a new user with ``role``; the session's CSRF token."""
    user = make_user(session, role)
    opened = auth.login(session, user.email, PASSWORD, policy=auth.LoginPolicy())
    session.commit()
    client.cookies.set(SESSION_COOKIE, opened.token)
    return opened.csrf_token


def an_account(session: Session) -> Account:
    account = make_account(session, name="株式会社記録")
    session.commit()
    return account


def role_block(html: str, heading: str) -> str:
    """The stakeholder list under one role heading (up to the next heading)."""
    match = re.search(rf"<h3>{heading}.*?(?=<h3>|</section>)", html, re.DOTALL)
    assert match, heading
    return match.group(0)


def form_block(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</form>", start)]


def post(client: TestClient, url: str, csrf: str, **fields: Any) -> Response:
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def test_add_a_contact_with_two_roles_then_edit_it(
    app_client: TestClient, session: Session
) -> None:
    csrf = log_in(app_client, session, Role.CSM)
    account = an_account(session)
    added = post(
        app_client,
        f"/accounts/{account.id}/contacts",
        csrf,
        name="山田 花子",
        email="Hanako@Example.jp",
        title="情報システム部長",
        roles=["decision_maker", "champion"],
        influence="high",
        is_primary="true",
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/accounts/{account.id}#stakeholders"
    page = app_client.get(f"/accounts/{account.id}").text
    assert "山田 花子" in role_block(page, "決裁者")
    assert "山田 花子" in role_block(page, "チャンピオン")
    assert "山田 花子" not in role_block(page, "利用者")
    assert "hanako@example.jp" in page

    link = re.search(r'href="(/contacts/[0-9a-f-]{36}/edit)"', page)
    assert link is not None
    form = app_client.get(link.group(1))
    assert form.status_code == 200
    assert 'value="情報システム部長"' in form.text
    edited = post(
        app_client,
        link.group(1),
        csrf,
        name="山田 花子",
        title="CIO",
        roles=["executive_sponsor"],
        left="true",
    )
    assert edited.status_code == 303
    page = app_client.get(f"/accounts/{account.id}").text
    assert "CIO" in role_block(page, "エグゼクティブスポンサー")
    assert "山田 花子" not in role_block(page, "決裁者")
    contact = session.scalars(select(Contact).where(Contact.account_id == account.id)).one()
    session.refresh(contact)
    assert (contact.email, contact.is_active) == (None, False)  # emptied e-mail is cleared


def test_a_bad_email_is_shown_next_to_the_email_field(
    app_client: TestClient, session: Session
) -> None:
    csrf = log_in(app_client, session, Role.SUPPORT)
    account = an_account(session)
    bad = post(
        app_client,
        f"/accounts/{account.id}/contacts",
        csrf,
        name="鈴木 一郎",
        email="not-an-address",
        roles=["user"],
    )
    assert bad.status_code == 422
    contact_form = form_block(bad.text, "contact-form")
    assert 'data-testid="error-email"' in contact_form
    assert 'value="鈴木 一郎"' in contact_form  # what was typed is kept
    assert re.search(r'id="add-contact"[^>]*\bopen\b', bad.text)
    assert not re.search(r'id="add-survey"[^>]*\bopen\b', bad.text)
    assert "error-email" not in form_block(bad.text, "survey-form")
    assert session.scalars(select(Contact).where(Contact.account_id == account.id)).all() == []


def test_add_contract_lines_by_mrr_or_by_list_price(
    app_client: TestClient, session: Session
) -> None:
    csrf = log_in(app_client, session, Role.MANAGER)
    account = an_account(session)
    product = make_product(session, name="スタンダードプラン", unit=ProductUnit.SEAT)
    session.commit()
    url = f"/accounts/{account.id}/subscriptions"
    line: dict[str, Any] = {
        "product_id": str(product.id),
        "currency": "JPY",
        "quantity": "10",
        "start_on": str(TODAY - timedelta(days=30)),
        "end_on": str(TODAY + timedelta(days=335)),
        "billing_period_months": "1",
        "term_months": "12",
        "auto_renew": "true",
    }
    assert post(app_client, url, csrf, **line, mrr="120,000").status_code == 303
    stored = session.scalars(select(Subscription).where(Subscription.account_id == account.id))
    assert [s.mrr_amount for s in stored] == [120_000]
    page = app_client.get(f"/accounts/{account.id}").text
    assert 'data-testid="account-mrr">¥120,000<' in page

    early = {**line, "end_on": str(TODAY - timedelta(days=60))}
    bad = post(app_client, url, csrf, **early, mrr="5,000")
    assert bad.status_code == 422
    assert 'data-testid="error-end_on"' in form_block(bad.text, "line-form")
    assert 'value="5,000"' in form_block(bad.text, "line-form")
    assert re.search(r'id="add-line"[^>]*\bopen\b', bad.text)

    by_price = {**line, "quantity": "50", "unit_list_price": "1,000", "discount_percent": "10"}
    assert post(app_client, url, csrf, **by_price).status_code == 303
    page = app_client.get(f"/accounts/{account.id}").text
    assert "¥45,000" in page
    assert 'data-testid="account-mrr">¥165,000<' in page


def test_edit_a_line_recomputes_mrr_from_the_list_price(
    app_client: TestClient, session: Session
) -> None:
    csrf = log_in(app_client, session, Role.CUSTOMER_SALES)
    account = an_account(session)
    product = make_product(session)
    line = make_line(session, account, product, mrr=120_000, start=TODAY - timedelta(days=5))
    session.commit()
    form = app_client.get(f"/subscriptions/{line.id}/edit")
    assert form.status_code == 200
    assert 'value="120,000"' in form.text
    edited = post(
        app_client,
        f"/subscriptions/{line.id}/edit",
        csrf,
        product_id=str(product.id),
        currency="JPY",
        quantity="20",
        unit_list_price="2,000",
        discount_percent="",
        start_on=str(line.start_on),
        billing_period_months="1",
        contract_ref="C-2025-001",
    )
    assert edited.status_code == 303
    session.refresh(line)
    assert (line.mrr_amount, line.contract_ref, line.auto_renew) == (40_000, "C-2025-001", False)
    blank = post(app_client, f"/subscriptions/{line.id}/edit", csrf, product_id=str(product.id))
    assert blank.status_code == 422
    assert 'data-testid="error-mrr"' in blank.text


def test_record_survey_answers(app_client: TestClient, session: Session) -> None:
    csrf = log_in(app_client, session, Role.CSM)
    account = an_account(session)
    contact = make_contact(session, account, name="回答 太郎")
    session.commit()
    url = f"/accounts/{account.id}/survey-responses"
    bad = post(app_client, url, csrf, kind="nps", score="11", comment="とても良い")
    assert bad.status_code == 422
    assert 'data-testid="error-score"' in form_block(bad.text, "survey-form")
    assert "とても良い" in form_block(bad.text, "survey-form")
    assert re.search(r'id="add-survey"[^>]*\bopen\b', bad.text)
    ok = post(app_client, url, csrf, kind="nps", score="9", contact_id=str(contact.id))
    assert ok.status_code == 303
    answer = session.scalars(select(SurveyResponse)).one()
    assert (answer.kind, answer.score, answer.responded_on) == (SurveyKind.NPS, 9, TODAY)
    assert answer.contact_id == contact.id


def test_delete_each_kind_of_record(app_client: TestClient, session: Session) -> None:
    csrf = log_in(app_client, session, Role.ADMIN)
    account = an_account(session)
    contact = make_contact(session, account, roles=[ContactRole.USER])
    line = make_line(session, account, make_product(session), mrr=1_000, start=TODAY)
    answer = SurveyResponse(
        account_id=account.id, kind=SurveyKind.CSAT, score=4, responded_on=TODAY
    )
    session.add(answer)
    session.commit()
    for url, anchor in (
        (f"/contacts/{contact.id}/delete", "stakeholders"),
        (f"/subscriptions/{line.id}/delete", "contract-lines"),
        (f"/survey-responses/{answer.id}/delete", "surveys"),
    ):
        response = post(app_client, url, csrf)
        assert response.status_code == 303, url
        assert response.headers["location"] == f"/accounts/{account.id}#{anchor}"
        assert post(app_client, url, csrf).status_code == 404  # gone
    session.expire_all()
    for model in (Contact, Subscription, SurveyResponse):
        assert session.scalars(select(model)).all() == []


def test_support_cannot_add_contract_lines(app_client: TestClient, session: Session) -> None:
    csrf = log_in(app_client, session, Role.SUPPORT)
    account = an_account(session)
    product = make_product(session)
    session.commit()
    page = app_client.get(f"/accounts/{account.id}").text
    assert 'id="add-line"' not in page
    assert "/subscriptions/new" not in page
    assert 'id="add-contact"' in page  # support may add contacts and survey answers
    assert 'id="add-survey"' in page
    refused = post(
        app_client,
        f"/accounts/{account.id}/subscriptions",
        csrf,
        product_id=str(product.id),
        mrr="1,000",
        start_on=str(TODAY),
    )
    assert refused.status_code == 403
    assert app_client.get(f"/accounts/{account.id}/subscriptions/new").status_code == 403
    assert session.scalars(select(Subscription)).all() == []


def test_the_add_line_form_is_on_the_page_and_on_its_own_page(
    app_client: TestClient, session: Session
) -> None:
    log_in(app_client, session, Role.SALES)
    account = an_account(session)
    make_product(session, name="SSOオプション")
    session.commit()
    page = app_client.get(f"/accounts/{account.id}").text
    assert "SSOオプション" in form_block(page, "line-form")
    new = app_client.get(f"/accounts/{account.id}/subscriptions/new")
    assert new.status_code == 200
    form = form_block(new.text, "line-form")
    assert 'id="line-form"' in new.text
    assert "SSOオプション" in form
    assert 'name="currency" value="JPY"' in form
