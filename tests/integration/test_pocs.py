"""The PoC tracker (SQLite and PostgreSQL): status flow and every illegal transition,
decide needs a decision, accounts with participants and results, feedback, counts per
CSM, the API, the pages and permissions."""

from __future__ import annotations

import itertools
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_contact, make_product, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.kit.errors import Conflict, Forbidden, Invalid
from kizuna.models import AuditEvent, Poc
from kizuna.models.enums import Role
from kizuna.models.poc import PocDecision, PocOutcome, PocStatus
from kizuna.poc import rules, service
from kizuna.poc.schemas import (
    FeedbackIn,
    PocAccountIn,
    PocCreate,
    PocFilters,
    PocUpdate,
    ResultIn,
    Transition,
)
from webtools import csrf_of, web_login

SYSTEM = Actor.system("test")


def _poc(session: Session, **fields: object) -> Poc:
    data = {
        "name": "新機能ワークフローPoC",
        "purpose": "承認フローの手戻りが減るかを検証する",
        "success_criteria": [
            {"criterion": "承認リードタイム", "target": "30%短縮", "measure": "ログの中央値"},
            {"criterion": "利用部署数", "target": "3部署以上"},
        ],
    } | fields
    return service.create_poc(session, SYSTEM, PocCreate.model_validate(data))


def _to(session: Session, poc: Poc, status: PocStatus, **kw: object) -> Poc:
    return service.transition(
        session, SYSTEM, poc.id, Transition.model_validate({"status": status} | kw)
    )


def test_happy_flow_to_decided_with_decision_note_and_audit(session: Session) -> None:
    poc = _poc(session)
    assert poc.status is PocStatus.PLANNED
    assert [c["key"] for c in poc.success_criteria] == ["c1", "c2"]
    _to(session, poc, PocStatus.RUNNING)
    _to(session, poc, PocStatus.EVALUATING)
    with pytest.raises(Invalid) as exc:
        _to(session, poc, PocStatus.DECIDED)
    assert {p.loc for p in exc.value.problems} == {("body", "decision"), ("body", "note")}
    with pytest.raises(Invalid) as exc:
        _to(session, poc, PocStatus.DECIDED, decision="adopt")
    assert [p.loc for p in exc.value.problems] == [("body", "note")]
    assert poc.status is PocStatus.EVALUATING
    _to(session, poc, PocStatus.DECIDED, decision="adopt", note="全社展開へ")
    assert (poc.status, poc.decision, poc.decision_note) == (
        PocStatus.DECIDED,
        PocDecision.ADOPT,
        "全社展開へ",
    )
    assert poc.decided_at is not None
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(poc.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert actions == ["poc.created", "poc.running", "poc.evaluating", "poc.decided"]


LEGAL = {
    (PocStatus.PLANNED, PocStatus.RUNNING),
    (PocStatus.PLANNED, PocStatus.CANCELLED),
    (PocStatus.RUNNING, PocStatus.EVALUATING),
    (PocStatus.RUNNING, PocStatus.CANCELLED),
    (PocStatus.EVALUATING, PocStatus.DECIDED),
    (PocStatus.EVALUATING, PocStatus.CANCELLED),
}
PATH = {
    PocStatus.PLANNED: [],
    PocStatus.RUNNING: [PocStatus.RUNNING],
    PocStatus.EVALUATING: [PocStatus.RUNNING, PocStatus.EVALUATING],
    PocStatus.DECIDED: [PocStatus.RUNNING, PocStatus.EVALUATING, PocStatus.DECIDED],
    PocStatus.CANCELLED: [PocStatus.CANCELLED],
}


@pytest.mark.parametrize(
    ("current", "target"),
    [p for p in itertools.product(PocStatus, PocStatus) if p not in LEGAL],
    ids=lambda s: s.value,
)
def test_every_illegal_transition_is_rejected(
    session: Session, current: PocStatus, target: PocStatus
) -> None:
    poc = _poc(session)
    for step in PATH[current]:
        extra = {"decision": "stop", "note": "x"} if step is PocStatus.DECIDED else {}
        _to(session, poc, step, **extra)
    assert poc.status is current
    with pytest.raises(Conflict) as exc:
        _to(session, poc, target, decision="adopt", note="n")
    assert exc.value.code == "illegal_transition"
    assert poc.status is current


def test_rules_table_matches_the_legal_moves() -> None:
    moves = {(a, b) for a in PocStatus for b in PocStatus if rules.allowed(a, b)}
    assert moves == LEGAL


def test_cancel_keeps_the_reason(session: Session) -> None:
    poc = _poc(session)
    _to(session, poc, PocStatus.RUNNING)
    _to(session, poc, PocStatus.CANCELLED, note="顧客側の体制変更")
    assert (poc.status, poc.cancel_reason, poc.decision) == (
        PocStatus.CANCELLED,
        "顧客側の体制変更",
        None,
    )


def test_accounts_participants_results_and_feedback(session: Session) -> None:
    poc = _poc(session)
    account = make_account(session, name="株式会社PoC")
    contact = make_contact(session, account, name="山田 花子")
    stranger = make_contact(session, make_account(session), name="他社 太郎")
    with pytest.raises(Invalid) as exc:
        service.add_account(
            session, SYSTEM, poc.id,
            PocAccountIn.model_validate(
                {"account_id": account.id, "participants": [{"contact_id": stranger.id}]}
            ),
        )  # fmt: skip
    assert [p.loc for p in exc.value.problems] == [("body", "participants", 0, "contact_id")]
    service.add_account(
        session, SYSTEM, poc.id,
        PocAccountIn.model_validate(
            {"account_id": account.id, "reason": "ワークフロー利用が最多",
             "participants": [{"contact_id": contact.id}, {"name": "情報システム部 佐藤"}]}
        ),
    )  # fmt: skip
    with pytest.raises(Conflict):
        service.add_account(
            session, SYSTEM, poc.id, PocAccountIn.model_validate({"account_id": account.id})
        )
    # results only once the PoC runs
    with pytest.raises(Conflict):
        service.record_result(
            session, SYSTEM, poc.id, account.id, ResultIn(results={"c1": "25%短縮"})
        )
    _to(session, poc, PocStatus.RUNNING)
    with pytest.raises(Invalid):
        service.record_result(session, SYSTEM, poc.id, account.id, ResultIn(results={"zz": "x"}))
    service.record_result(
        session, SYSTEM, poc.id, account.id,
        ResultIn(results={"c1": "25%短縮", "c2": "4部署"}, outcome=PocOutcome.PARTLY),
    )  # fmt: skip
    service.add_feedback(
        session, SYSTEM, poc.id, FeedbackIn.model_validate({"text": "差戻し理由の必須化",
                                                           "sent_on": "2026-03-02"})
    )  # fmt: skip
    out = service.get_poc(session, SYSTEM, poc.id)
    [row] = out.accounts
    assert [p.name for p in row.participants] == ["山田 花子", "情報システム部 佐藤"]
    assert row.participants[0].contact_id == contact.id
    assert row.results == {"c1": "25%短縮", "c2": "4部署"}
    assert row.outcome is PocOutcome.PARTLY
    assert [f.text for f in out.feedback] == ["差戻し理由の必須化"]
    assert (out.account_count, out.feedback_count) == (1, 1)
    # dropping a criterion drops its results; a kept key keeps them
    service.update_poc(
        session, SYSTEM, poc.id,
        PocUpdate.model_validate({"success_criteria": [
            {"key": "c1", "criterion": "承認リードタイム", "target": "30%短縮"},
            {"criterion": "満足度"}]}),
    )  # fmt: skip
    out = service.get_poc(session, SYSTEM, poc.id)
    assert [c.key for c in out.success_criteria] == ["c1", "c3"]
    assert out.accounts[0].results == {"c1": "25%短縮"}
    with pytest.raises(Invalid):
        service.update_poc(
            session, SYSTEM, poc.id,
            PocUpdate.model_validate({"success_criteria": [{"key": "c9", "criterion": "x"}]}),
        )  # fmt: skip
    [(summary, mine)] = service.account_pocs(session, SYSTEM, account.id)
    assert (summary.id, mine.reason) == (poc.id, "ワークフロー利用が最多")
    _to(session, poc, PocStatus.CANCELLED)
    with pytest.raises(Conflict):
        service.add_account(
            session, SYSTEM, poc.id,
            PocAccountIn.model_validate({"account_id": make_account(session).id}),
        )  # fmt: skip


def test_list_filters_and_counts_per_csm(session: Session) -> None:
    csm1 = make_user(session, Role.CSM, name="PoC担当A")
    csm2 = make_user(session, Role.CSM, name="PoC担当B")
    product = make_product(session)
    a = _poc(session, name="A1", owner_id=csm1.id, product_id=product.id)
    _poc(session, name="A2", owner_id=csm1.id)
    b = _poc(session, name="B1", owner_id=csm2.id)
    for step in (PocStatus.RUNNING, PocStatus.EVALUATING):
        _to(session, a, step)
    _to(session, a, PocStatus.DECIDED, decision="adopt", note="採用")
    _to(session, b, PocStatus.CANCELLED)
    listing = service.list_pocs(session, SYSTEM, PocFilters(owner_id=csm1.id))
    assert [p.name for p in listing.items] == ["A2", "A1"]  # open first
    counts = {c.owner_name: c for c in listing.by_owner}
    assert (counts["PoC担当A"].total, counts["PoC担当A"].open, counts["PoC担当A"].adopted) == (
        2,
        1,
        1,
    )
    assert (counts["PoC担当B"].total, counts["PoC担当B"].cancelled) == (1, 1)
    assert listing.by_status["decided"] >= 1
    by_product = service.list_pocs(session, SYSTEM, PocFilters(product_id=product.id))
    assert [p.name for p in by_product.items] == ["A1"]
    decided = service.list_pocs(session, SYSTEM, PocFilters(status=PocStatus.DECIDED))
    assert "A1" in [p.name for p in decided.items]


def test_permissions(session: Session) -> None:
    support = actor_for_user(make_user(session, Role.SUPPORT))
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    with pytest.raises(Forbidden):
        service.create_poc(session, support, PocCreate(name="x"))
    poc = service.create_poc(
        session, actor_for_user(make_user(session, Role.CSM)), PocCreate(name="CSMのPoC")
    )
    assert service.get_poc(session, viewer, poc.id).name == "CSMのPoC"
    with pytest.raises(Forbidden):
        service.transition(session, viewer, poc.id, Transition(status=PocStatus.RUNNING))


def test_api_flow_and_permissions(app_client: TestClient, session: Session) -> None:
    me = api_as(app_client, session, Role.CSM)
    account = make_account(session)
    session.commit()
    created = app_client.post(
        "/api/v1/pocs",
        json={"name": "API PoC", "success_criteria": [{"criterion": "定着率", "target": "80%"}]},
    )
    assert created.status_code == 201, created.text
    poc = created.json()
    assert (poc["status"], poc["owner_id"], poc["next_statuses"]) == (
        "planned",
        str(me.id),
        ["running", "cancelled"],
    )
    pid = poc["id"]
    added = app_client.post(
        f"/api/v1/pocs/{pid}/accounts",
        json={"account_id": str(account.id), "participants": [{"name": "担当者"}]},
    )
    assert added.status_code == 201, added.text
    illegal = app_client.post(f"/api/v1/pocs/{pid}/transition", json={"status": "decided"})
    assert illegal.status_code == 409
    assert app_client.post(f"/api/v1/pocs/{pid}/transition", json={"status": "running"}).is_success
    result = app_client.put(
        f"/api/v1/pocs/{pid}/accounts/{account.id}/results",
        json={"results": {"c1": "85%"}, "outcome": "met"},
    )
    assert result.json()["accounts"][0]["outcome"] == "met"
    app_client.post(f"/api/v1/pocs/{pid}/transition", json={"status": "evaluating"})
    missing = app_client.post(f"/api/v1/pocs/{pid}/transition", json={"status": "decided"})
    assert missing.status_code == 422
    decided = app_client.post(
        f"/api/v1/pocs/{pid}/transition",
        json={"status": "decided", "decision": "extend", "note": "期間延長"},
    )
    assert decided.json()["decision"] == "extend"
    fb = app_client.post(f"/api/v1/pocs/{pid}/feedback", json={"text": "一括承認がほしい"})
    assert fb.status_code == 201
    listing = app_client.get("/api/v1/pocs", params={"account_id": str(account.id)}).json()
    assert [p["id"] for p in listing["items"]] == [pid]

    api_as(app_client, session, Role.SUPPORT)
    assert app_client.get(f"/api/v1/pocs/{pid}").status_code == 200
    assert app_client.post("/api/v1/pocs", json={"name": "x"}).status_code == 403
    assert app_client.post(f"/api/v1/pocs/{pid}/feedback", json={"text": "x"}).status_code == 403


def test_pages_create_run_record_and_decide(app_client: TestClient, session: Session) -> None:
    web_login(app_client, session, Role.CSM, locale="ja")
    account = make_account(session, name="株式会社ページPoC")
    session.commit()
    form_page = app_client.get("/sales/pocs/new")
    assert form_page.status_code == 200
    token = csrf_of(form_page.text)
    empty = app_client.post("/sales/pocs/new", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 422
    made = app_client.post(
        "/sales/pocs/new",
        data={
            "csrf_token": token,
            "name": "画面から作るPoC",
            "purpose": "検証目的",
            "crit_key": ["", ""],
            "crit_text": ["継続利用", ""],
            "crit_target": ["80%", ""],
            "crit_measure": ["週次アクティブ", ""],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    poc_id = url.rsplit("/", 1)[1]
    add = app_client.post(
        f"{url}/accounts",
        data={"csrf_token": token, "account": "株式会社ページPoC", "reason": "熱量が高い",
              "names": "山田\n佐藤"},
        follow_redirects=False,
    )  # fmt: skip
    assert add.status_code == 303
    unknown = app_client.post(
        f"{url}/accounts", data={"csrf_token": token, "account": "存在しない会社"}
    )
    assert unknown.status_code == 422
    wrong = app_client.post(
        f"{url}/transition", data={"csrf_token": token, "status": "evaluating"},
        follow_redirects=False,
    )  # fmt: skip
    assert wrong.status_code == 303
    stored = session.get(Poc, uuid.UUID(poc_id))
    assert stored is not None
    assert stored.status is PocStatus.PLANNED
    for status in ("running", "evaluating"):
        app_client.post(f"{url}/transition", data={"csrf_token": token, "status": status})
    recorded = app_client.post(
        f"{url}/accounts/{account.id}",
        data={"csrf_token": token, "action": "results", "result_c1": "85%", "outcome": "met"},
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    no_note = app_client.post(
        f"{url}/transition", data={"csrf_token": token, "status": "decided", "decision": "adopt"}
    )
    assert no_note.status_code == 422
    assert "field-error" in no_note.text
    app_client.post(
        f"{url}/transition",
        data={"csrf_token": token, "status": "decided", "decision": "adopt", "note": "採用"},
    )
    app_client.post(f"{url}/feedback", data={"csrf_token": token, "text": "改善要望A"})
    detail = app_client.get(url)
    assert detail.status_code == 200
    html = detail.text
    assert "画面から作るPoC" in html
    assert "85%" in html
    assert "山田, 佐藤" in html
    assert "改善要望A" in html
    assert 'data-testid="poc-decision"' in html
    listing = app_client.get("/sales/pocs").text
    assert "画面から作るPoC" in listing
    assert 'data-testid="poc-owner-counts"' in listing
    panel = app_client.get(f"/accounts/{account.id}/pocs-panel")
    assert "画面から作るPoC" in panel.text


def test_pages_refuse_writes_without_pipeline_write(
    app_client: TestClient, session: Session
) -> None:
    poc = _poc(session)
    session.commit()
    web_login(app_client, session, Role.SUPPORT)
    assert app_client.get("/sales/pocs").status_code == 200
    detail = app_client.get(f"/sales/pocs/{poc.id}")
    assert detail.status_code == 200
    assert 'data-testid="poc-actions"' not in detail.text
    assert app_client.get("/sales/pocs/new").status_code == 403
    token = csrf_of(app_client.get("/settings/profile").text)
    moved = app_client.post(
        f"/sales/pocs/{poc.id}/transition", data={"csrf_token": token, "status": "running"}
    )
    assert moved.status_code == 403
