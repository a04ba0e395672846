"""Renewals and closing-plan pages over HTTP: the renewals centre in Japanese, the inline
forecast (HTMX and plain form), the Account 360 panel, the closing-plan editor, sharing,
the customer's public page and the PDFs."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_contact, make_health, make_line, make_product
from kizuna.kit.clock import today
from kizuna.models import Account, ClosingPlan, ClosingPlanStep, Renewal
from kizuna.models.enums import Role, Tier
from kizuna.renewal import service
from webtools import csrf_of, web_login

TODAY = today("Asia/Tokyo")
HTMX = {"HX-Request": "true"}


def _renewals(session: Session) -> tuple[Renewal, Renewal]:
    plan = make_product(session)
    a = make_account(session, name="株式会社ヒカリ", tier=Tier.TIER2)
    b = make_account(session, name="株式会社カゼ", tier=Tier.TIER1)
    start = TODAY - timedelta(days=300)
    make_line(session, a, plan, mrr=120_000, start=start, end=TODAY + timedelta(days=12))
    make_line(session, b, plan, mrr=45_000, start=start, end=TODAY + timedelta(days=70))
    make_health(
        session,
        a,
        band="red",
        score=31,
        probability=0.7,
        measures=[{"key": "active", "name": "アクティブ率", "points": 10, "value": 0.1}],
    )
    make_health(session, b, band="green", score=85)
    service.sync(session, TODAY)
    session.commit()
    rows = {r.account_id: r for r in session.scalars(select(Renewal))}
    return rows[a.id], rows[b.id]


def test_renewals_page_windows_totals_and_inline_forecast(
    app_client: TestClient, session: Session
) -> None:
    _, safe = _renewals(session)
    web_login(app_client, session, Role.CUSTOMER_SALES)
    page = app_client.get("/sales/renewals", params={"days": 30})
    assert page.status_code == 200
    html = page.text
    assert "更新" in html
    assert "株式会社ヒカリ" in html
    assert "株式会社カゼ" not in html  # 70 days: outside the 30-day window
    assert "アクティブ率" in html  # a health measure pulling the score down
    assert 'data-forecast="at_risk"' in html
    assert "¥120,000" in html
    assert 'data-testid="sales-tab-renewals"' in html
    assert re.search(r'data-testid="window-90"[^>]*>[^<]*<span class="count">2</span>', html)
    wide = app_client.get("/sales/renewals", params={"days": 90}).text
    assert "株式会社カゼ" in wide
    only_commit = app_client.get("/sales/renewals", params={"days": 90, "forecast": "commit"}).text
    assert "株式会社カゼ" in only_commit
    assert "株式会社ヒカリ" not in only_commit
    tier1 = app_client.get("/sales/renewals", params={"days": 90, "tier": "tier1"}).text
    assert "株式会社ヒカリ" not in tier1

    csrf = csrf_of(html)
    row = app_client.post(
        f"/sales/renewals/{safe.id}/forecast",
        data={
            "csrf_token": csrf,
            "forecast": "likely",
            "note": "予算確定待ち",
            "forecast_mrr": "40,000",
        },
        headers=HTMX,
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith("<tr")
    assert 'data-forecast="likely"' in row.text
    assert "予算確定待ち" in row.text
    session.expire_all()
    stored = session.get(Renewal, safe.id)
    assert stored is not None
    assert (stored.forecast.value, stored.forecast_mrr_amount) == ("likely", 40_000)
    bad = app_client.post(
        f"/sales/renewals/{safe.id}/forecast",
        data={"csrf_token": csrf, "forecast": "commit", "forecast_mrr": "abc"},
        headers=HTMX,
    )
    assert 'class="field-error"' in bad.text
    plain = app_client.post(
        f"/sales/renewals/{safe.id}/forecast",
        data={"csrf_token": csrf, "forecast": "suggested"},
        follow_redirects=False,
    )
    assert plain.status_code == 303
    session.expire_all()
    back = session.get(Renewal, safe.id)
    assert back is not None
    assert back.forecast_set_at is None

    synced = app_client.post(
        "/sales/renewals/sync", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert synced.status_code == 303
    accuracy = app_client.get("/sales/renewals", params={"view": "accuracy"})
    assert accuracy.status_code == 200
    assert 'data-testid="accuracy-table"' in accuracy.text


def test_viewer_reads_but_cannot_change(app_client: TestClient, session: Session) -> None:
    risky, _ = _renewals(session)
    web_login(app_client, session, Role.READ_ONLY, locale="en")
    page = app_client.get("/sales/renewals")
    assert page.status_code == 200
    assert "Forecast by category" in page.text
    assert 'data-testid="forecast-form"' not in page.text
    assert 'data-testid="renewals-sync"' not in page.text
    panel = app_client.get(f"/accounts/{risky.account_id}/renewal-panel")
    assert panel.status_code == 200
    assert 'data-forecast="at_risk"' in panel.text
    assert 'data-testid="panel-new-plan"' not in panel.text
    assert app_client.get("/sales/closing-plans/new").status_code == 403


def test_account_panel_and_closing_plan_editor_share_and_pdf(
    app_client: TestClient, session: Session
) -> None:
    risky, _ = _renewals(session)
    account = session.get(Account, risky.account_id)
    assert account is not None
    contact = make_contact(session, account, name="田中 課長")
    session.commit()
    web_login(app_client, session, Role.CSM)
    panel = app_client.get(f"/accounts/{risky.account_id}/renewal-panel")
    assert panel.status_code == 200
    assert 'data-forecast="at_risk"' in panel.text
    assert f"/sales/closing-plans/new?renewal_id={risky.id}" in panel.text

    form = app_client.get(f"/sales/closing-plans/new?renewal_id={risky.id}")
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    created = app_client.post(
        "/sales/closing-plans",
        data={
            "csrf_token": csrf,
            "account_id": str(risky.account_id),
            "renewal_id": str(risky.id),
            "title": "ヒカリ様 更新MCP",
            "goal": "全社展開",
            "internal_note": "価格交渉の余地は小さい",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    plan = session.scalar(select(ClosingPlan).where(ClosingPlan.title == "ヒカリ様 更新MCP"))
    assert plan is not None
    url = f"/sales/closing-plans/{plan.id}"

    added = app_client.post(
        f"{url}/steps",
        data={
            "csrf_token": csrf,
            "title": "利用状況レビュー",
            "side": "ours",
            "status": "planned",
            "due_on": (TODAY - timedelta(days=3)).isoformat(),
            "note": "ダッシュボードを共有",
            "internal_note": "解約を示唆された",
        },
        headers=HTMX,
    )
    assert added.status_code == 200
    assert 'id="mcp-steps"' in added.text
    assert 'data-testid="overdue"' in added.text
    app_client.post(
        f"{url}/steps",
        data={
            "csrf_token": csrf,
            "title": "稟議",
            "side": "customer",
            "status": "planned",
            "owner": f"contact:{contact.id}",
        },
        headers=HTMX,
    )
    missing = app_client.post(f"{url}/steps", data={"csrf_token": csrf, "title": ""}, headers=HTMX)
    assert 'class="field-error"' in missing.text
    steps = list(
        session.scalars(
            select(ClosingPlanStep)
            .where(ClosingPlanStep.plan_id == plan.id)
            .order_by(ClosingPlanStep.position)
        )
    )
    assert [s.title for s in steps] == ["利用状況レビュー", "稟議"]
    assert steps[1].owner_contact_id == contact.id
    moved = app_client.post(
        f"{url}/steps/{steps[1].id}/move",
        data={"csrf_token": csrf, "direction": "up"},
        headers=HTMX,
    )
    assert moved.text.index("稟議") < moved.text.index("利用状況レビュー")
    done = app_client.post(
        f"{url}/steps/{steps[0].id}/complete", data={"csrf_token": csrf}, headers=HTMX
    )
    assert 'data-progress="50"' in done.text
    quick = app_client.post(
        f"{url}/steps/{steps[1].id}",
        data={"csrf_token": csrf, "quick": "status", "status": "blocked"},
        headers=HTMX,
    )
    assert 'value="blocked" selected' in quick.text

    page = app_client.get(url)
    assert "解約を示唆された" in page.text  # internal notes are for us ...
    shared = app_client.post(f"{url}/share", data={"csrf_token": csrf, "language": "en"})
    assert shared.status_code == 200
    link = re.search(r'data-testid="share-url">([^<]+)<', shared.text)
    assert link is not None
    public_path = "/" + link.group(1).split("/", 3)[3]
    app_client.cookies.clear()
    public = app_client.get(public_path)
    assert public.status_code == 200
    assert "解約を示唆された" not in public.text  # ... never for the customer
    assert "価格交渉の余地は小さい" not in public.text
    assert "ダッシュボードを共有" in public.text
    assert "Mutual closing plan" in public.text  # the link's language
    assert 'class="nav' not in public.text
    assert "/logout" not in public.text
    assert public.headers["cache-control"] == "no-store"
    pdf = app_client.get(public_path + ".pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert app_client.get("/mcp/not-a-token").status_code == 404

    web_login(app_client, session, Role.CSM)
    csrf = csrf_of(app_client.get(url).text)
    internal_pdf = app_client.get(f"{url}.pdf")
    assert internal_pdf.headers["content-type"] == "application/pdf"
    revoked = app_client.post(f"{url}/unshare", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    app_client.cookies.clear()
    assert app_client.get(public_path).status_code == 404
    assert app_client.get(public_path + ".pdf").status_code == 404
