"""Journey pages through HTTP (SQLite and PostgreSQL): the board and stalled list in
Japanese and English, the Account 360 panel with its checks, moves and goals (HTMX and
plain forms), and the journey editor."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from kizuna.auth.actor import Actor
from kizuna.journey import service
from kizuna.kit.clock import today, utc_now
from kizuna.models import Account, AccountGoal, JourneyPhaseHistory, JourneyStep, Segment
from kizuna.models.enums import Phase, Role
from webtools import csrf_of, web_login

ZONE = "Asia/Tokyo"


def _journey_company(session: Session, tmp_path: Path) -> dict[str, Account]:
    plan = make_product(session)
    accounts = {}
    for name in ("遅延商事", "順調物産"):
        account = make_account(session, name=name)
        make_line(session, account, plan, mrr=10_000, start=date(2025, 1, 1))
        accounts[name] = account
    service.evaluate_journey(
        session, Actor.system("test"), today=today(ZONE), zone=ZONE, data_dir=tmp_path
    )
    late = session.scalars(
        select(JourneyPhaseHistory).where(JourneyPhaseHistory.account_id == accounts["遅延商事"].id)
    ).one()
    late.entered_at = utc_now() - timedelta(days=120)
    session.commit()
    return accounts


def test_board_and_stalled_in_japanese_and_english(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    _journey_company(session, tmp_path)
    web_login(app_client, session, Role.READ_ONLY)
    board = app_client.get("/journey")
    assert board.status_code == 200
    assert "導入期" in board.text
    assert "遅延商事" in board.text
    assert 'data-testid="count-onboarding">2<' in board.text
    assert "1 社が目標超過" in board.text
    assert board.text.index("遅延商事") < board.text.index("順調物産")  # most overdue first
    stalled = app_client.get("/journey/stalled")
    assert stalled.status_code == 200
    assert "遅延商事" in stalled.text
    assert "順調物産" not in stalled.text
    assert "+30" in stalled.text  # 120 days against 90
    everyone = app_client.get("/journey/stalled?phase=any&all=1&sort=name")
    assert "順調物産" in everyone.text

    web_login(app_client, session, Role.READ_ONLY, locale="en")
    english = app_client.get("/journey")
    assert "Onboarding" in english.text
    assert "past target" in english.text
    assert "Stalled onboarding" in app_client.get("/journey/stalled").text


def test_account_panel_checks_moves_and_goals(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    accounts = _journey_company(session, tmp_path)
    account = accounts["順調物産"]
    web_login(app_client, session, Role.CSM)
    page = app_client.get(f"/accounts/{account.id}")
    assert f'hx-get="/accounts/{account.id}/journey-panel"' in page.text
    panel = app_client.get(f"/accounts/{account.id}/journey-panel")
    assert panel.status_code == 200
    assert 'data-testid="journey-phase">導入期<' in panel.text
    assert 'data-testid="step-initial_setup" data-done="no"' in panel.text
    assert "管理者の人数" in panel.text  # a live criterion with its fact name
    token = csrf_of(panel.text)

    # HTMX: the panel comes back with the step done
    checked = app_client.post(
        f"/accounts/{account.id}/journey/steps/initial_setup",
        data={"csrf_token": token, "done": "1", "note": "設定会"},
        headers={"HX-Request": "true"},
    )
    assert checked.status_code == 200
    assert 'data-testid="step-initial_setup" data-done="yes"' in checked.text
    assert "設定会" in checked.text

    # a plain form: redirected back to Account 360
    moved = app_client.post(
        f"/accounts/{account.id}/journey/phase",
        data={"csrf_token": token, "phase": "adoption", "reason": "導入完了"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    session.expire_all()
    assert session.get(Account, account.id).phase is Phase.ADOPTION  # type: ignore[union-attr]
    refused = app_client.post(
        f"/accounts/{account.id}/journey/phase",
        data={"csrf_token": token, "phase": "expansion", "reason": ""},
        headers={"HX-Request": "true"},
    )
    assert "顧客は移動していません。" in refused.text

    added = app_client.post(
        f"/accounts/{account.id}/goals",
        data={"csrf_token": token, "title": "問い合わせ対応時間を半減", "due_on": "2026-12-31"},
        headers={"HX-Request": "true"},
    )
    assert "問い合わせ対応時間を半減" in added.text
    goal = session.scalars(select(AccountGoal).where(AccountGoal.account_id == account.id)).one()
    done = app_client.post(
        f"/accounts/{account.id}/goals/{goal.id}",
        data={"csrf_token": token, "status": "achieved"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    session.expire_all()
    assert session.get(AccountGoal, goal.id).status == "achieved"  # type: ignore[union-attr]

    # a read-only user sees the panel without the forms
    web_login(app_client, session, Role.READ_ONLY, locale="en")
    read = app_client.get(f"/accounts/{account.id}/journey-panel")
    assert "Phase history" in read.text
    assert "Mark done" not in read.text
    assert (
        app_client.post(
            f"/accounts/{account.id}/journey/steps/initial_setup",
            data={"csrf_token": csrf_of(app_client.get("/journey").text), "done": "0"},
        ).status_code
        == 403
    )


def test_the_editor(app_client: TestClient, session: Session, tmp_path: Path) -> None:
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/admin/journey")
    assert page.status_code == 200
    assert "初期設定" in page.text
    token = csrf_of(page.text)

    saved = app_client.post(
        "/admin/journey/phases/adoption",
        data={"csrf_token": token, "name": "定着期", "name_en": "Adoption", "target_days": "120",
              "description": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    bad_target = app_client.post(
        "/admin/journey/phases/adoption",
        data={"csrf_token": token, "name": "定着期", "target_days": "0"},
    )
    assert bad_target.status_code == 422

    form = app_client.get("/admin/journey/steps/new?phase=adoption")
    assert form.status_code == 200
    assert "signal.seat_activation" in form.text
    as_yaml = "all:\n  - fact: activity.qbr.count\n    op: gte\n    value: many\n"
    wrong = app_client.post(
        "/admin/journey/steps/new",
        data={"csrf_token": token, "key": "qbr_done", "phase": "adoption", "name": "QBR実施",
              "required": "1", "manual": "1", "criteria_text": as_yaml},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert "criteria.all[0].value" in wrong.text
    as_json = '{"all": [{"fact": "activity.qbr.count", "op": "gte", "value": 1}]}'
    created = app_client.post(
        "/admin/journey/steps/new",
        data={"csrf_token": token, "key": "qbr_done", "phase": "adoption", "name": "QBR実施",
              "manual": "1", "criteria_text": as_json},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303, created.text
    step = session.scalars(select(JourneyStep).where(JourneyStep.key == "qbr_done")).one()
    assert step.required is False
    assert step.criteria is not None
    edit = app_client.get("/admin/journey/steps/qbr_done")
    assert "activity.qbr.count" in edit.text
    up = app_client.post(
        "/admin/journey/steps/qbr_done",
        data={"csrf_token": token, "action": "up"},
        follow_redirects=False,
    )
    assert up.status_code == 303
    session.expire_all()
    assert session.get(JourneyStep, step.id).position == 2  # type: ignore[union-attr]
    evaluated = app_client.post(
        "/admin/journey/evaluate", data={"csrf_token": token}, follow_redirects=False
    )
    assert evaluated.status_code == 303
    yaml_text = app_client.get("/admin/journey/yaml").text
    assert "qbr_done" in yaml_text
    refused = app_client.post(
        "/admin/journey/import",
        data={"csrf_token": token},
        files={"file": ("journey.yaml", b"phases: []\n", "text/yaml")},
    )
    assert refused.status_code == 422
    assert 'data-testid="import-error"' in refused.text
    deleted = app_client.post(
        "/admin/journey/steps/qbr_done",
        data={"csrf_token": token, "action": "delete"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303

    web_login(app_client, session, Role.CSM)
    assert app_client.get("/admin/journey").status_code == 403


def test_board_and_stalled_cut_by_a_segment(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    _journey_company(session, tmp_path)
    user = web_login(app_client, session, Role.CSM)
    segment = Segment(
        name="順調だけ", description="", shared=False, archived=False, owner_id=user.id,
        definition={"fact": "account.name", "op": "contains", "value": "順調"},
    )  # fmt: skip
    session.add(segment)
    session.commit()
    board = app_client.get(f"/journey?segment={segment.id}")
    assert board.status_code == 200
    assert 'data-testid="count-onboarding">1<' in board.text
    assert "順調物産" in board.text
    assert "遅延商事" not in board.text
    assert f'<option value="{segment.id}" selected>' in board.text
    stalled = app_client.get(f"/journey/stalled?phase=any&all=1&segment={segment.id}")
    assert "順調物産" in stalled.text
    assert "遅延商事" not in stalled.text
    assert app_client.get("/journey?segment=not-a-uuid").status_code == 422
