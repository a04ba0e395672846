"""Portfolio and Account 360 pages through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from factories import PASSWORD, make_account, make_line, make_product, make_user
from kizuna.auth import service as auth
from kizuna.kit.clock import today
from kizuna.models import Activity, Contact, ContactRoleLink, SurveyResponse, User
from kizuna.models.enums import ActivityKind, ContactRole, Role, SurveyKind, Tier
from kizuna.web.deps import SESSION_COOKIE

TODAY = today()


def sign_in(client: TestClient, session: Session, role: Role, **fields: Any) -> tuple[User, str]:
    user = make_user(session, role, **fields)
    opened = auth.login(session, user.email, PASSWORD, policy=auth.LoginPolicy())
    session.commit()
    client.cookies.set(SESSION_COOKIE, opened.token)
    return user, opened.csrf_token


@contextmanager
def count_queries(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    event.listen(connection.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection.engine, "before_cursor_execute", record)


def seed_portfolio(session: Session, csm: User) -> None:
    product = make_product(session)
    start = TODAY - timedelta(days=100)
    for i in range(60):
        account = make_account(
            session,
            name=f"株式会社サンプル{i:03d}",
            industry="小売業",
            tier=Tier.TIER2,
            csm_owner_id=csm.id if i % 2 else None,
        )
        make_line(
            session,
            account,
            product,
            mrr=10_000 * (i + 1),
            start=start,
            end=TODAY + timedelta(days=10 + i),
        )
    make_account(session, name="日本製造株式会社", industry="製造業", tier=Tier.TIER1)
    session.commit()


def test_portfolio_totals_filters_sort_and_pages(
    app_client: TestClient, session: Session, connection: Connection
) -> None:
    csm, _ = sign_in(app_client, session, Role.CSM)
    seed_portfolio(session, csm)

    with count_queries(connection) as queries:
        page = app_client.get("/portfolio")
    assert page.status_code == 200
    assert len(queries) <= 8, queries  # the query-count baseline: no N+1
    assert '<html lang="ja">' in page.text
    assert "¥18,300,000" in page.text  # Σ 10,000 × (1..60)
    first = page.text.index("株式会社サンプル059")
    assert first < page.text.index("株式会社サンプル058")  # -mrr by default
    assert "2 ページ中 1 ページ目" in page.text

    second = app_client.get("/portfolio", params={"page": 2})
    assert "株式会社サンプル000" in second.text

    filtered = app_client.get("/portfolio", params={"owner_id": str(csm.id), "tier": ""})
    assert 'data-testid="total-accounts">30<' in filtered.text
    by_industry = app_client.get("/portfolio", params={"industry": "製造業"})
    assert "日本製造株式会社" in by_industry.text
    assert "サンプル" not in by_industry.text
    by_renewal = app_client.get("/portfolio", params={"sort": "renewal"})
    assert by_renewal.text.index("サンプル000") < by_renewal.text.index("サンプル001")
    search = app_client.get("/portfolio", params={"q": "製造"})
    assert 'data-testid="total-accounts">1<' in search.text


def test_portfolio_rejects_a_bad_parameter_with_a_page(
    app_client: TestClient, session: Session
) -> None:
    sign_in(app_client, session, Role.CSM)
    response = app_client.get("/portfolio", params={"tier": "tier9"})
    assert response.status_code == 422
    assert "tier" in response.text


def seed_account_360(session: Session, author: User) -> Any:
    account = make_account(
        session,
        name="株式会社絆",
        tier=Tier.TIER1,
        purpose_of_adoption="営業報告の自動化",
        csm_owner_id=author.id,
    )
    product = make_product(session, name="エンタープライズプラン")
    make_line(
        session,
        account,
        product,
        mrr=500_000,
        start=TODAY - timedelta(days=200),
        end=TODAY + timedelta(days=165),
        quantity=50,
    )
    for i, role in enumerate([ContactRole.DECISION_MAKER, ContactRole.CHAMPION]):
        contact = Contact(account_id=account.id, name=f"担当 {i}", title="部長")
        contact.role_links = [ContactRoleLink(role=role)]
        session.add(contact)
    session.flush()
    now = auth.utc_now()
    for i in range(45):
        session.add(
            Activity(
                account_id=account.id,
                kind=ActivityKind.MEETING,
                subject=f"定例 {i:02d}",
                occurred_at=now - timedelta(days=i + 1),
                author_id=author.id,
            )
        )
    session.add(
        SurveyResponse(account_id=account.id, kind=SurveyKind.NPS, score=9, responded_on=TODAY)
    )
    session.commit()
    return account


def test_account_360_shows_every_section_in_bounded_queries(
    app_client: TestClient, session: Session, connection: Connection
) -> None:
    csm, _ = sign_in(app_client, session, Role.CSM)
    account = seed_account_360(session, csm)
    with count_queries(connection) as queries:
        page = app_client.get(f"/accounts/{account.id}")
    assert page.status_code == 200
    assert len(queries) <= 14, queries  # fixed: one query per section, none per row
    for text in (
        "株式会社絆",
        "営業報告の自動化",
        "¥500,000",
        "エンタープライズプラン",
        "決裁者",
        "チャンピオン",
        "担当 0",
        "定例 00",
        "NPS",
    ):
        assert text in page.text, text
    assert "定例 40" not in page.text  # 30 newest first, the rest behind "show more"
    older = re.search(r'hx-get="(/accounts/[^"]+/timeline\?before=[^"]+)"', page.text)
    assert older is not None
    more = app_client.get(older.group(1).replace("&amp;", "&"))
    assert "定例 40" in more.text
    assert "定例 00" not in more.text


def test_add_activity_and_see_it_then_a_bad_one_names_the_field(
    app_client: TestClient, session: Session
) -> None:
    csm, csrf = sign_in(app_client, session, Role.SUPPORT)
    account = seed_account_360(session, csm)
    local = datetime.now(ZoneInfo("Asia/Tokyo")).replace(hour=10, minute=30)
    ok = app_client.post(
        f"/accounts/{account.id}/activities",
        data={
            "csrf_token": csrf,
            "kind": "inquiry",
            "subject": "ログイン不可",
            "occurred_at_local": local.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert ok.status_code == 200
    assert "ログイン不可" in ok.text
    assert local.strftime("%Y/%m/%d 10:30") in ok.text  # stored UTC, shown in JST
    bad = app_client.post(
        f"/accounts/{account.id}/activities",
        data={"csrf_token": csrf, "kind": "meeting", "subject": ""},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert 'class="field-error"' in bad.text


def test_post_without_csrf_is_refused(app_client: TestClient, session: Session) -> None:
    csm, _ = sign_in(app_client, session, Role.CSM)
    account = seed_account_360(session, csm)
    response = app_client.post(
        f"/accounts/{account.id}/activities", data={"kind": "note", "subject": "x"}
    )
    assert response.status_code == 403


def test_create_and_edit_account_through_forms(app_client: TestClient, session: Session) -> None:
    _, csrf = sign_in(app_client, session, Role.MANAGER)
    bad = app_client.post(
        "/accounts/new", data={"csrf_token": csrf, "name": "", "employee_count": "many"}
    )
    assert bad.status_code == 422
    created = app_client.post(
        "/accounts/new",
        data={"csrf_token": csrf, "name": "株式会社新規", "tier": "tier3", "employee_count": "120"},
    )
    assert created.status_code == 200
    assert "株式会社新規" in created.text
    account_id = re.search(r"/accounts/([0-9a-f-]{36})/edit", created.text)
    assert account_id is not None
    edited = app_client.post(
        f"/accounts/{account_id.group(1)}/edit",
        data={"csrf_token": csrf, "name": "株式会社新規", "industry": "教育", "tier": ""},
    )
    assert "教育" in edited.text
    assert "Tier 3" not in edited.text  # emptied select clears the tier


def test_read_only_sees_no_write_controls(app_client: TestClient, session: Session) -> None:
    csm = make_user(session, Role.CSM)
    account = seed_account_360(session, csm)
    sign_in(app_client, session, Role.READ_ONLY)
    page = app_client.get(f"/accounts/{account.id}")
    assert page.status_code == 200
    assert "activity-form" not in page.text
    assert f"/accounts/{account.id}/edit" not in page.text
    assert app_client.get("/accounts/new").status_code == 403


def test_unknown_account_is_a_404_page_and_anonymous_goes_to_login(
    app_client: TestClient, session: Session
) -> None:
    sign_in(app_client, session, Role.CSM)
    missing = app_client.get("/accounts/0190a0a0-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert "<html" in missing.text
    app_client.cookies.clear()
    anonymous = app_client.get("/portfolio?tier=tier1", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/portfolio%3Ftier%3Dtier1"
