"""Administration and settings pages through the browser's forms, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import PASSWORD, make_account, make_line, make_product, make_user
from kizuna.auth.passwords import verify_password
from kizuna.kit.clock import utc_now
from kizuna.models import Product, Team, User
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import Role
from kizuna.models.user import ApiToken
from webtools import csrf_of, web_login


def submit(client: TestClient, url: str, data: dict[str, Any], *, page: str = "") -> Response:
    """POST a form the way a browser does: with the CSRF token of the page it sits on."""
    token = csrf_of(client.get(page or url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def fetch(session: Session, model: Any, **where: Any) -> Any:
    session.expire_all()
    return session.scalar(select(model).filter_by(**where))


def test_admin_creates_a_team_and_a_user(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    created = submit(
        app_client,
        "/admin/teams/new",
        {"name": "カスタマーサクセス1課", "kind": "csm", "description": "大口"},
    )
    assert (created.status_code, created.headers["location"]) == (303, "/admin/teams")
    team = fetch(session, Team, name="カスタマーサクセス1課")
    assert team is not None

    form = {
        "name": "佐藤 花子",
        "email": "Hanako@Example.JP",
        "role": "manager",
        "team_id": str(team.id),
        "locale": "en",
        "timezone": "Asia/Tokyo",
        "capacity_accounts": "40",
        "password": "kizuna-secret-42",
    }
    response = submit(app_client, "/admin/users/new", form)
    assert response.status_code == 303, response.text
    user = fetch(session, User, email="hanako@example.jp")
    assert (user.role, user.team_id, user.locale, user.capacity_accounts) == (
        Role.MANAGER,
        team.id,
        "en",
        40,
    )
    assert verify_password(user.password_hash, "kizuna-secret-42")

    listing = app_client.get("/admin/users", params={"team_id": str(team.id)})
    assert "佐藤 花子" in listing.text
    assert "$argon2" not in listing.text
    members = app_client.get(f"/admin/teams/{team.id}")
    assert "佐藤 花子" in members.text
    assert "カスタマーサクセス1課" in app_client.get("/admin/teams").text


def test_duplicate_email_shows_the_error_at_the_field(
    app_client: TestClient, session: Session
) -> None:
    admin = web_login(app_client, session, Role.ADMIN, email="kanri@example.jp")
    form = {
        "name": "重複 太郎",
        "email": admin.email.upper(),
        "role": "csm",
        "locale": "ja",
        "timezone": "Asia/Tokyo",
        "password": "kizuna-secret-42",
    }
    response = submit(app_client, "/admin/users/new", form)
    assert response.status_code == 422
    assert 'data-testid="error-email">他のデータで使用されています。' in response.text
    assert 'value="重複 太郎"' in response.text  # what was typed is kept
    assert "kizuna-secret-42" not in response.text  # but never the password


def test_admin_edits_unlocks_and_deactivates_a_user(
    app_client: TestClient, session: Session
) -> None:
    admin = web_login(app_client, session, Role.ADMIN)
    locked = make_user(session, Role.CSM, locked_until=utc_now() + timedelta(minutes=10))
    session.commit()
    url = f"/admin/users/{locked.id}"
    assert "ロック解除" in app_client.get(url).text

    edit = {"name": "新しい名前", "role": "support", "locale": "ja", "timezone": "Asia/Tokyo"}
    assert submit(app_client, url, edit).status_code == 303
    assert submit(app_client, f"{url}/unlock", {}, page=url).status_code == 303
    short = submit(app_client, f"{url}/password", {"password": "short"}, page=url)
    assert short.status_code == 422
    assert 'data-testid="error-password"' in short.text
    assert submit(app_client, f"{url}/deactivate", {}, page=url).status_code == 303
    user = fetch(session, User, id=locked.id)
    assert (user.name, user.role, user.locked_until, user.is_active) == (
        "新しい名前",
        Role.SUPPORT,
        None,
        False,
    )

    self_url = f"/admin/users/{admin.id}"
    last_admin = submit(app_client, f"{self_url}/deactivate", {}, page=self_url)
    assert last_admin.status_code == 409
    assert "最後の有効な管理者" in last_admin.text


def test_csm_sees_users_but_may_not_create_them(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM)
    assert app_client.get("/admin/users").status_code == 200
    assert app_client.get("/admin/teams").status_code == 200
    assert app_client.get("/admin/users/new").status_code == 403
    assert app_client.get("/admin/products/new").status_code == 403
    assert app_client.get("/admin/custom-fields").status_code == 403
    assert app_client.get("/admin/products").status_code == 200


def test_product_price_is_typed_in_major_units(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    form = {
        "code": "PLAN-STD",
        "name": "スタンダード",
        "kind": "base_plan",
        "unit": "seat",
        "list_price": "12,000",
        "currency": "JPY",
        "is_active": "true",
    }
    assert submit(app_client, "/admin/products/new", form).status_code == 303
    product = fetch(session, Product, code="PLAN-STD")
    assert (product.list_price_amount, product.currency, product.is_active) == (12000, "JPY", True)
    assert 'value="12,000"' in app_client.get(f"/admin/products/{product.id}").text

    usd = {**form, "code": "ADD-USD", "list_price": "12.5", "currency": "usd"}
    assert submit(app_client, "/admin/products/new", usd).status_code == 303
    assert fetch(session, Product, code="ADD-USD").list_price_amount == 1250

    bad = submit(app_client, "/admin/products/new", {**form, "code": "X", "list_price": "12.5"})
    assert bad.status_code == 422
    assert 'data-testid="error-list_price"' in bad.text


def test_a_product_in_use_cannot_be_deleted(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    used, unused = make_product(session), make_product(session)
    make_line(session, make_account(session), used, mrr=1000, start=date(2024, 4, 1))
    session.commit()
    url = f"/admin/products/{used.id}"
    refused = submit(app_client, f"{url}/delete", {}, page=url)
    assert refused.status_code == 409
    assert "代わりに無効にしてください" in refused.text
    url = f"/admin/products/{unused.id}"
    assert submit(app_client, f"{url}/delete", {}, page=url).status_code == 303
    assert fetch(session, Product, id=unused.id) is None


def test_custom_field_appears_on_the_account_form(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    account = make_account(session)
    session.commit()
    form = {
        "object_type": "account",
        "key": "contract_plan",
        "label_ja": "契約プラン",
        "label_en": "Contract plan",
        "field_type": "select",
        "position": "1",
        "choices": "ライト\r\nスタンダード\r\n\r\nエンタープライズ\r\n",
        "required": "true",
    }
    assert submit(app_client, "/admin/custom-fields/new", form).status_code == 303
    definition = fetch(session, CustomFieldDefinition, key="contract_plan")
    assert definition.choices == ["ライト", "スタンダード", "エンタープライズ"]
    assert definition.required is True
    assert "contract_plan" in app_client.get("/admin/custom-fields").text

    edit_page = app_client.get(f"/accounts/{account.id}/edit").text
    assert "契約プラン" in edit_page
    assert 'name="cf_contract_plan"' in edit_page
    assert "エンタープライズ</option>" in edit_page

    no_choices = submit(
        app_client, "/admin/custom-fields/new", {**form, "key": "other", "choices": ""}
    )
    assert no_choices.status_code == 422
    assert 'data-testid="error-choices"' in no_choices.text


def test_token_secret_is_shown_once_and_can_be_revoked(
    app_client: TestClient, session: Session
) -> None:
    user = web_login(app_client, session, Role.CSM)
    created = submit(
        app_client,
        "/settings/tokens",
        {"name": "週次レポート", "scopes": ["read", "write"], "expires_in_days": "30"},
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = fetch(session, ApiToken, user_id=user.id)
    secret = created.text.split('data-testid="token-secret"')[0].rsplit('value="', 1)[1]
    secret = secret.split('"')[0]
    assert secret.startswith(token.prefix)
    assert (token.scopes, token.expires_at is not None) == (["read", "write"], True)

    listing = app_client.get("/settings/tokens").text
    assert token.prefix in listing
    assert secret not in listing
    assert token.token_hash not in listing

    api = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    url = f"/settings/tokens/{token.id}/revoke"
    assert submit(app_client, url, {}, page="/settings/tokens").status_code == 303
    assert fetch(session, ApiToken, id=token.id).revoked_at is not None
    api = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_token_form_needs_a_scope(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM)
    response = submit(app_client, "/settings/tokens", {"name": "x", "expires_in_days": ""})
    assert response.status_code == 422
    assert "field-error" in response.text


def test_profile_language_and_password(app_client: TestClient, session: Session) -> None:
    user = web_login(app_client, session, Role.CSM)
    assert '<html lang="ja">' in app_client.get("/portfolio").text
    form = {"name": user.name, "locale": "en", "timezone": "Europe/London"}
    assert submit(app_client, "/settings/profile", form).status_code == 303
    assert '<html lang="en">' in app_client.get("/portfolio").text

    url, page = "/settings/profile/password", "/settings/profile"
    wrong = {
        "current_password": "nope",
        "new_password": "another-secret-7",
        "new_password_again": "another-secret-7",
    }
    assert submit(app_client, url, wrong, page=page).status_code == 422
    right = {**wrong, "current_password": PASSWORD}
    assert submit(app_client, url, right, page=page).status_code == 303
    assert verify_password(fetch(session, User, id=user.id).password_hash, "another-secret-7")


def test_every_admin_page_renders(app_client: TestClient, session: Session) -> None:
    admin = web_login(app_client, session, Role.ADMIN)
    team = Team(name="サポート", kind="support")
    session.add(team)
    product = make_product(session)
    definition = CustomFieldDefinition(
        object_type="product", key="sku", label_ja="SKU", label_en="SKU", field_type="text"
    )
    session.add(definition)
    session.commit()
    pages = [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{admin.id}",
        "/admin/teams",
        "/admin/teams/new",
        f"/admin/teams/{team.id}",
        "/admin/products?kind=base_plan",
        "/admin/products/new",
        f"/admin/products/{product.id}",
        "/admin/custom-fields",
        "/admin/custom-fields/new?object_type=product",
        f"/admin/custom-fields/{definition.id}",
        "/settings/tokens",
        "/settings/profile",
    ]
    for url in pages:
        response = app_client.get(url)
        assert response.status_code == 200, url
        assert 'class="nav-item active"' in response.text, url
    assert 'name="cf_sku"' in app_client.get("/admin/products/new").text
