"""Coverage pages: books and re-balancing, the coverage model form, the rule editors with
dry run and apply, and pinning a tier on Account 360 (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_team, make_user
from kizuna.models import Account, CoverageTier, TierRule
from kizuna.models.enums import Role, TeamKind, Tier
from webtools import csrf_of, web_login


def test_books_page_suggests_moves_and_applies_the_ticked_ones(
    app_client: TestClient, session: Session
) -> None:
    team = make_team(session, TeamKind.CSM, name="CSチーム")
    full = make_user(session, Role.CSM, name="満杯 太郎", team_id=team.id, capacity_accounts=1)
    free = make_user(session, Role.CSM, name="余裕 花子", team_id=team.id, capacity_accounts=9)
    held = [make_account(session, name=f"顧客{n}", tier=Tier.TIER3, csm_owner_id=full.id)
            for n in range(3)]  # fmt: skip
    session.commit()
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/coverage")
    assert page.status_code == 200
    assert page.text.count('data-testid="book-row"') == 2
    assert 'class="over-capacity"' in page.text
    assert "300%" in page.text  # 3 accounts against a capacity of 1
    assert 'data-testid="apply-moves"' in page.text  # managers hold COVERAGE_ADMIN
    moves = [f"{a.id}:{full.id}:{free.id}" for a in held[:2]]
    for move in moves:
        assert f'value="{move}"' in page.text
    response = app_client.post(
        "/coverage/rebalance",
        data={"csrf_token": csrf_of(page.text), "field": "csm_owner", "move": moves[:1]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.expire_all()
    assert [a.csm_owner_id for a in held] == [free.id, full.id, full.id]


def test_csms_cannot_open_coverage(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM)
    assert app_client.get("/coverage").status_code == 403
    assert app_client.get("/admin/coverage").status_code == 403


def test_coverage_model_form_saves_each_tier(app_client: TestClient, session: Session) -> None:
    team = make_team(session, TeamKind.CUSTOMER_SALES, name="CSales")
    web_login(app_client, session, Role.ADMIN)
    page = app_client.get("/coverage")
    data = {"csrf_token": csrf_of(page.text)}
    for tier, touch, per in (("tier1", "high_touch", "15"), ("tier2", "high_touch", "40"),
                             ("tier3", "tech_touch", "")):  # fmt: skip
        data |= {f"{tier}.touch_model": touch, f"{tier}.team_id": str(team.id),
                 f"{tier}.accounts_per_person": per, f"{tier}.cadence_days": "30",
                 f"{tier}.description": f"{tier} の説明"}  # fmt: skip
    assert app_client.post("/coverage/model", data=data, follow_redirects=False).status_code == 303
    rows = {r.tier: r for r in session.scalars(select(CoverageTier))}
    assert rows[Tier.TIER2].touch_model.value == "high_touch"
    assert rows[Tier.TIER2].accounts_per_person == 40
    assert rows[Tier.TIER3].accounts_per_person is None
    bad = data | {"tier1.accounts_per_person": "0"}
    assert app_client.post("/coverage/model", data=bad).status_code == 422


def test_tier_rule_editor_dry_run_and_apply(app_client: TestClient, session: Session) -> None:
    plan = make_product(session, code="PLAN-WEBCOV")
    big = make_account(session, name="大口", tier=Tier.TIER3)
    make_line(session, big, plan, mrr=800_000, start=date(2025, 1, 1))
    session.commit()
    web_login(app_client, session, Role.ADMIN)
    form = app_client.get("/admin/coverage/tier-rules/new")
    assert form.status_code == 200
    saved = app_client.post(
        "/admin/coverage/tier-rules/new",
        data={"csrf_token": csrf_of(form.text), "name": "大口は Tier 1", "tier": "tier1",
              "enabled": "true", "c.match": "all", "c.0.kind": "rule",
              "c.0.fact": "signal.mrr", "c.0.op": "gte", "c.0.value": "500,000"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    rule = session.scalars(select(TierRule)).one()
    assert rule.condition == {"all": [{"fact": "signal.mrr", "op": "gte", "value": 500000}]}
    admin = app_client.get("/admin/coverage")
    csrf = csrf_of(admin.text)
    dry = app_client.post("/admin/coverage/apply", data={"csrf_token": csrf, "dry_run": "1"})
    assert 'data-testid="tier-changes"' in dry.text
    assert "大口" in dry.text
    session.expire_all()
    assert session.get(Account, big.id).tier is Tier.TIER3  # type: ignore[union-attr]
    app_client.post("/admin/coverage/apply", data={"csrf_token": csrf, "dry_run": "0"})
    session.expire_all()
    assert session.get(Account, big.id).tier is Tier.TIER1  # type: ignore[union-attr]
    # A bad value is shown on its row and nothing is saved.
    edit = app_client.get(f"/admin/coverage/tier-rules/{rule.id}/edit")
    bad = app_client.post(
        f"/admin/coverage/tier-rules/{rule.id}/edit",
        data={"csrf_token": csrf_of(edit.text), "name": "x", "tier": "tier1", "c.match": "all",
              "c.0.kind": "rule", "c.0.fact": "signal.mrr", "c.0.op": "gte", "c.0.value": "?"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'data-row="0"' in bad.text
    app_client.post(f"/admin/coverage/tier-rules/{rule.id}/delete", data={"csrf_token": csrf})
    assert session.scalars(select(TierRule)).all() == []


def test_assignment_rule_editor_names_the_missing_team(
    app_client: TestClient, session: Session
) -> None:
    web_login(app_client, session, Role.ADMIN)
    form = app_client.get("/admin/coverage/assignment-rules/new")
    response = app_client.post(
        "/admin/coverage/assignment-rules/new",
        data={"csrf_token": csrf_of(form.text), "name": "RR", "owner_field": "csm_owner",
              "strategy": "round_robin", "enabled": "true", "c.match": "all"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "field-error" in response.text


def test_pin_tier_from_account_360(app_client: TestClient, session: Session) -> None:
    account = make_account(session, name="固定したい", tier=Tier.TIER2)
    session.commit()
    web_login(app_client, session, Role.CSM)
    chips = app_client.get(f"/accounts/{account.id}/tags")
    assert 'data-testid="tier-pin"' in chips.text
    pinned = app_client.post(
        f"/accounts/{account.id}/tier-pin",
        data={"pinned": "true"},
        headers={"X-CSRF-Token": csrf_of(chips.text)},
    )
    assert "Unpin tier" in pinned.text or "固定を解除" in pinned.text
    session.expire_all()
    assert session.get(Account, account.id).tier_pinned  # type: ignore[union-attr]
