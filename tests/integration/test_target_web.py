"""Target pages: attainment view, new-target form, split editor, re-split, delete;
readers see, only SALES_ADMIN changes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_team, make_user
from kizuna.models import SalesTarget, SalesTargetMember, SalesTargetTeam, Team
from kizuna.models.enums import Role, TeamKind
from webtools import csrf_of, web_login


def _teams(session: Session) -> tuple[Team, Team]:
    a = make_team(session, TeamKind.CUSTOMER_SALES, name="グロース")
    b = make_team(session, TeamKind.CSM, name="サクセス")
    for name in ("佐藤", "鈴木"):
        make_user(session, Role.CUSTOMER_SALES, name=name, team_id=a.id)
    for name in ("田中", "高橋", "伊藤"):
        make_user(session, Role.CSM, name=name, team_id=b.id)
    session.commit()
    return a, b


def test_manager_sets_splits_and_deletes_a_target(app_client: TestClient, session: Session) -> None:
    a, b = _teams(session)
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/sales/targets?period=2026-Q3")
    assert page.status_code == 200
    assert 'data-testid="sales-tab-targets"' in page.text
    assert "no-targets" in page.text
    token = csrf_of(page.text)
    created = app_client.post(
        "/sales/targets",
        data={
            "csrf_token": token,
            "period": "2026-Q3",
            "lead_source": "cs",
            "metric": "created_amount",
            "value": "¥1,000,000",
            "team_split": "headcount",
            "team_id": [str(a.id), str(b.id)],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    target = session.scalars(select(SalesTarget)).one()
    assert created.headers["location"] == f"/sales/targets/{target.id}"
    assert target.value == 1_000_000
    parts = {t.team_id: t.value for t in session.scalars(select(SalesTargetTeam))}
    assert parts == {a.id: 400_000, b.id: 600_000}

    detail = app_client.get(f"/sales/targets/{target.id}")
    assert detail.status_code == 200
    assert "¥1,000,000" in detail.text
    assert 'data-testid="split-form"' in detail.text
    member = session.scalars(
        select(SalesTargetMember).where(SalesTargetMember.team_id == b.id)
    ).first()
    assert member is not None
    # Fix one person of サクセス at ¥100,000; the other two share the rest of the team.
    form = {
        "csrf_token": token,
        "team_split": "headcount",
        "team_id": [str(a.id), str(b.id)],
        f"moverride_{member.user_id}": "100,000",
    }
    saved = app_client.post(f"/sales/targets/{target.id}/split", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    session.expire_all()
    values = sorted(
        m.value
        for m in session.scalars(select(SalesTargetMember).where(SalesTargetMember.team_id == b.id))
    )
    assert values == [100_000, 250_000, 250_000]

    bad = app_client.post(
        f"/sales/targets/{target.id}/split", data={**form, f"weight_{a.id}": "-1"}
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text

    # A newcomer to グロース is added by the re-split.
    make_user(session, Role.CUSTOMER_SALES, name="山本", team_id=a.id)
    session.commit()
    resplit = app_client.post(
        f"/sales/targets/{target.id}/resplit", data={"csrf_token": token}, follow_redirects=False
    )
    assert resplit.status_code == 303
    assert "山本" in app_client.get(f"/sales/targets/{target.id}").text

    listed = app_client.get("/sales/targets?period=2026-Q3")
    assert 'data-testid="target-cs-created_amount"' in listed.text

    gone = app_client.post(
        f"/sales/targets/{target.id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert gone.headers["location"] == "/sales/targets?period=2026-Q3"
    assert session.scalars(select(SalesTarget)).first() is None


def test_form_errors_are_shown(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    token = csrf_of(app_client.get("/sales/targets").text)
    bad = app_client.post(
        "/sales/targets", data={"csrf_token": token, "period": "2026-Q9", "value": "100"}
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    ok = {"csrf_token": token, "period": "2026-Q1", "value": "100"}
    assert app_client.post("/sales/targets", data=ok, follow_redirects=False).status_code == 303
    again = app_client.post("/sales/targets", data=ok)
    assert again.status_code == 409
    leads = app_client.post(
        "/sales/targets", data={**ok, "metric": "lead_count", "lead_source": "sales", "value": "3"}
    )
    assert leads.status_code == 422
    saved = app_client.post(
        "/sales/targets/settings",
        data={"csrf_token": token, "fiscal_year_start_month": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert re.search(r'<option value="1" selected>', app_client.get("/sales/targets").text)


def test_readers_see_but_do_not_change(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.ADMIN)
    token = csrf_of(app_client.get("/sales/targets").text)
    app_client.post(
        "/sales/targets", data={"csrf_token": token, "period": "2026-Q3", "value": "500"}
    )
    target = session.scalars(select(SalesTarget)).one()
    app_client.cookies.clear()
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/sales/targets?period=2026-Q3")
    assert page.status_code == 200
    assert "new-target-form" not in page.text
    detail = app_client.get(f"/sales/targets/{target.id}")
    assert detail.status_code == 200
    assert "split-form" not in detail.text
    token = csrf_of(page.text)
    refused = app_client.post(f"/sales/targets/{target.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 403
    assert session.scalars(select(SalesTarget)).one().id == target.id
