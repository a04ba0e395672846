"""Segment pages: the builder form round-trip, live preview, list with counts, members and
CSV, the Portfolio cut, and Account 360's tag chips (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_user
from kizuna.models import AccountTag, Segment
from kizuna.models.enums import Role, Tier
from webtools import csrf_of, web_login


@pytest.fixture
def accounts(session: Session) -> dict[str, object]:
    plan = make_product(session, code="PLAN-WEBSEG")
    made = {
        "alpha": make_account(session, name="Alpha 工業", tier=Tier.TIER1, region="関東"),
        "beta": make_account(session, name="Beta 商事", tier=Tier.TIER2, region="関西"),
        "gamma": make_account(session, name="Gamma 物産", tier=Tier.TIER3, region="関東"),
    }
    make_line(session, made["alpha"], plan, mrr=300_000, start=date(2025, 1, 1))
    session.add(AccountTag(account_id=made["gamma"].id, tag="case-study"))
    session.commit()
    return dict(made)


def _builder_form(csrf: str, **extra: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf,
        "name": "関東の顧客",
        "description": "地域で切る",
        "shared": "true",
        "mode": "builder",
        "c.match": "all",
        "c.0.kind": "rule",
        "c.0.fact": "account.region",
        "c.0.op": "eq",
        "c.0.value": "関東",
        "c.1.kind": "group",
        "c.1.match": "any",
        "c.1.0.fact": "account.tier",
        "c.1.0.op": "in",
        "c.1.0.values": ["tier1", "tier3"],
        "c.1.1.fact": "tags",
        "c.1.1.op": "has",
        "c.1.1.value": "case-study",
    }
    form.update(extra)
    return form


def test_builder_form_saves_the_definition_and_edits_it_back(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/segments/new")
    assert page.status_code == 200
    saved = app_client.post(
        "/segments/new", data=_builder_form(csrf_of(page.text)), follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    segment = session.scalars(select(Segment).where(Segment.name == "関東の顧客")).one()
    assert segment.definition == {
        "all": [
            {"fact": "account.region", "op": "eq", "value": "関東"},
            {
                "any": [
                    {"fact": "account.tier", "op": "in", "value": ["tier1", "tier3"]},
                    {"fact": "tags", "op": "has", "value": "case-study"},
                ]
            },
        ]
    }
    assert segment.shared
    detail = app_client.get(saved.headers["location"])
    assert 'data-testid="member-count">2<' in detail.text
    assert "Alpha 工業" in detail.text
    assert "Beta 商事" not in detail.text
    edit = app_client.get(f"/segments/{segment.id}/edit")
    # The builder shows the stored rows again: the group's multi-select keeps its values.
    assert 'name="c.1.kind" value="group"' in edit.text
    assert '<option value="tier3" selected>' in edit.text
    assert 'name="c.0.value" value="関東"' in edit.text


def test_bad_rows_are_shown_next_to_the_row(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/segments/new")
    bad = {"c.2.kind": "rule", "c.2.fact": "signal.mrr", "c.2.op": "gte", "c.2.value": "多い"}
    form = _builder_form(csrf_of(page.text), **bad)
    response = app_client.post("/segments/new", data=form)
    assert response.status_code == 422
    assert 'class="builder-row has-error" data-row="2"' in response.text
    assert session.scalars(select(Segment)).all() == []


def test_raw_yaml_mode_saves_what_the_builder_cannot_show(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/segments/new")
    raw = "not:\n  fact: account.tier\n  op: eq\n  value: tier1\n"
    response = app_client.post(
        "/segments/new",
        data={"csrf_token": csrf_of(page.text), "name": "Tier 1 以外", "mode": "raw", "raw": raw},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    segment = session.scalars(select(Segment)).one()
    assert segment.definition == {"not": {"fact": "account.tier", "op": "eq", "value": "tier1"}}
    edit = app_client.get(f"/segments/{segment.id}/edit")
    assert 'value="raw" checked' in edit.text  # opens in the raw view


def test_live_preview_and_builder_fragment(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM)
    csrf = csrf_of(app_client.get("/segments/new").text)
    headers = {"X-CSRF-Token": csrf}
    preview = app_client.post(
        "/segments/preview", data=_builder_form(csrf, _prefix="c"), headers=headers
    )
    assert preview.status_code == 200
    assert 'data-testid="preview-count">2<' in preview.text
    # Adding a row re-renders the builder with one more row and the preview out of band.
    added = app_client.post(
        "/segments/builder", data=_builder_form(csrf, _prefix="c", _action="add"), headers=headers
    )
    assert 'data-row="2"' in added.text
    assert 'hx-swap-oob="true"' in added.text
    # Changing the field to a number fits the operator to it.
    changed = app_client.post(
        "/segments/builder",
        data=_builder_form(csrf, _prefix="c", **{"c.0.fact": "signal.mrr"}),
        headers=headers,
    )
    assert '<option value="eq" selected>' in changed.text


def test_list_counts_and_private_segments(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    other = make_user(session, Role.CSM)
    session.add_all(
        [
            Segment(name="共有: 関東", description="", shared=True, archived=False,
                    owner_id=other.id,
                    definition={"fact": "account.region", "op": "eq", "value": "関東"}),
            Segment(name="秘密", description="", shared=False, archived=False,
                    owner_id=other.id, definition={}),
        ]
    )  # fmt: skip
    session.commit()
    web_login(app_client, session, Role.CSM)
    page = app_client.get("/segments")
    assert "共有: 関東" in page.text
    assert "秘密" not in page.text
    assert 'data-testid="segment-count">2<' in page.text
    secret = session.scalars(select(Segment).where(Segment.name == "秘密")).one()
    assert app_client.get(f"/segments/{secret.id}").status_code == 404


def test_members_csv(app_client: TestClient, session: Session, accounts: dict[str, object]) -> None:
    user = web_login(app_client, session, Role.CSM)
    segment = Segment(
        name="全社", description="", shared=False, archived=False, owner_id=user.id,
        definition={"fact": "account.tier", "op": "is_set"},
    )  # fmt: skip
    session.add(segment)
    session.commit()
    response = app_client.get(f"/segments/{segment.id}/members.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["name"] for r in rows] == ["Alpha 工業", "Beta 商事", "Gamma 物産"]
    assert rows[0]["mrr_amount"] == "300000"
    assert rows[0]["tier"] == "tier1"


def test_portfolio_cut_restricts_rows_to_members(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    user = web_login(app_client, session, Role.CSM)
    segment = Segment(
        name="関東", description="", shared=False, archived=False, owner_id=user.id,
        definition={"fact": "account.region", "op": "eq", "value": "関東"},
    )  # fmt: skip
    session.add(segment)
    session.commit()
    page = app_client.get(f"/portfolio?segment={segment.id}")
    assert page.status_code == 200
    assert 'data-testid="total-accounts">2<' in page.text
    assert "Beta 商事" not in page.text
    assert "Gamma 物産" in page.text
    assert f'<option value="{segment.id}" selected>' in page.text
    everyone = app_client.get("/portfolio")
    assert 'data-testid="total-accounts">3<' in everyone.text


def test_account_tag_chips_add_and_remove(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.CSM)
    alpha = accounts["alpha"].id  # type: ignore[attr-defined]
    chips = app_client.get(f"/accounts/{alpha}/tags")
    csrf = csrf_of(chips.text)
    added = app_client.post(
        f"/accounts/{alpha}/tags", data={"csrf_token": csrf, "tag": "VIP, renewal-risk"}
    )
    assert added.text.count('data-testid="tag-chip"') == 2
    removed = app_client.post(
        f"/accounts/{alpha}/tags/remove", data={"tag": "VIP"}, headers={"X-CSRF-Token": csrf}
    )
    assert removed.text.count('data-testid="tag-chip"') == 1
    bad = app_client.post(f"/accounts/{alpha}/tags", data={"csrf_token": csrf, "tag": "x" * 65})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    tags = session.scalars(select(AccountTag.tag).where(AccountTag.account_id == alpha)).all()
    assert tags == ["renewal-risk"]


def test_read_only_users_see_chips_but_no_editing(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    web_login(app_client, session, Role.READ_ONLY)
    gamma = accounts["gamma"].id  # type: ignore[attr-defined]
    chips = app_client.get(f"/accounts/{gamma}/tags")
    assert "case-study" in chips.text
    assert "tag-input" not in chips.text
    assert app_client.get("/segments/new").status_code == 403


def test_health_and_revenue_dashboards_cut_by_segment(
    app_client: TestClient, session: Session, accounts: dict[str, object]
) -> None:
    from health_factories import make_score, make_version
    from kizuna.kit.clock import today

    version = make_version(session)
    on = today("Asia/Tokyo")
    for key, band, score in (("alpha", "green", 80.0), ("beta", "red", 20.0),
                             ("gamma", "yellow", 50.0)):  # fmt: skip
        make_score(session, accounts[key], version, score=score, band=band, today=on)
    plan = make_product(session, code="PLAN-CUT")
    make_line(session, accounts["beta"], plan, mrr=70_000, start=date(2025, 1, 1))
    user = web_login(app_client, session, Role.MANAGER)
    kanto = Segment(
        name="関東", description="", shared=False, archived=False, owner_id=user.id,
        definition={"fact": "account.region", "op": "eq", "value": "関東"},
    )  # fmt: skip
    session.add(kanto)
    session.commit()
    whole = app_client.get("/health")
    assert 'data-testid="scored-accounts">3<' in whole.text
    cut = app_client.get(f"/health?segment={kanto.id}")
    assert 'data-testid="scored-accounts">2<' in cut.text
    assert f"/portfolio?band=red&sort=health&segment={kanto.id}" in cut.text
    revenue = app_client.get(f"/revenue?segment={kanto.id}")
    assert revenue.status_code == 200
    assert 'data-testid="mrr-now">¥300,000<' in revenue.text  # Beta's ¥70,000 is cut away
    assert 'data-testid="mrr-now">¥370,000<' in app_client.get("/revenue").text
    # Another person's private segment cannot be used as a cut.
    other = make_user(session, Role.CSM)
    secret = Segment(name="秘密", description="", shared=False, archived=False,
                     owner_id=other.id, definition={})  # fmt: skip
    session.add(secret)
    session.commit()
    assert app_client.get(f"/health?segment={secret.id}").status_code == 404
    assert app_client.get("/portfolio?segment=not-a-uuid").status_code == 422
