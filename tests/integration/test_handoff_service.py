"""Hand-off service on SQLite and PostgreSQL: the status flow and its illegal transitions,
required fields from the settings, completeness and time to accept as stored, and
accepting (copy to the account, the event, the playbook trigger firing on it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_contact, make_product, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.handoff import service
from kizuna.handoff.schemas import (
    HandoffCreate,
    HandoffFilters,
    HandoffSettingsIn,
    HandoffUpdate,
    KeyPerson,
    Tab,
)
from kizuna.kit.errors import Conflict, Forbidden, Invalid, NotFound
from kizuna.models import Account, AuditEvent, DomainEvent, Handoff, Job, Task
from kizuna.models.enums import Role
from kizuna.models.handoff import HandoffStatus
from kizuna.playbook import service as playbooks
from kizuna.playbook.engine import evaluate_playbooks
from kizuna.playbook.schemas import PlaybookCreate

FULL = {
    "mrr_amount": 350_000,
    "purpose": "紙の勤怠管理を電子化し、残業の見える化で離職率を下げる",
    "success_criteria": "半年で月平均残業時間を20%削減",
    "promises": "初期設定の代行と管理者向け研修を2回実施すると約束",
    "decision_maker_name": "山田 太郎",
    "decision_maker_title": "人事部長",
    "expansion_departments": "営業本部、工場（約1,200名）",
}


def people(session: Session) -> tuple[Actor, Actor, Actor]:
    ae = actor_for_user(make_user(session, Role.SALES, name="営業 一郎"))
    csm = actor_for_user(make_user(session, Role.CSM, name="CSM 花子"))
    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    return ae, csm, viewer


def new(session: Session, actor: Actor, account: Account, **values: object) -> Handoff:
    data = HandoffCreate(
        account_id=account.id,
        deal_name=str(values.pop("deal_name", "勤怠クラウド 新規")),
        won_on=date(2026, 4, 1),
        **values,  # type: ignore[arg-type]
    )
    return service.create_handoff(session, actor, data)


def test_flow_draft_submit_return_resubmit_accept(session: Session) -> None:
    ae, csm, _ = people(session)
    account = make_account(session)
    h = new(session, ae, account, purpose="電子化")
    assert (h.status, h.sales_owner_id, h.currency) == (HandoffStatus.DRAFT, ae.user_id, "JPY")
    assert h.completeness == 11

    # Submitting names every required field still empty (defaults: 5, purpose is filled).
    with pytest.raises(Invalid) as missing:
        service.submit_handoff(session, ae, h.id)
    assert [p.loc[-1] for p in missing.value.problems] == [
        "success_criteria",
        "promises",
        "decision_maker",
        "expansion_room",
    ]
    assert h.status == HandoffStatus.DRAFT

    service.update_handoff(session, ae, h.id, HandoffUpdate(**FULL))  # type: ignore[arg-type]
    assert h.completeness == 67  # 6 of 9
    service.submit_handoff(session, ae, h.id)
    assert (h.status, h.completeness_at_submission) == (HandoffStatus.SUBMITTED, 67)
    first = h.first_submitted_at

    # Returning needs a reason; then sales edits and submits again.
    with pytest.raises(Invalid) as no_reason:
        service.return_handoff(session, csm, h.id, "  ")
    assert no_reason.value.problems[0].loc == ("body", "reason")
    service.return_handoff(session, csm, h.id, "リスク欄が空です。競合の状況も書いてください")
    assert (h.status, h.returns_count) == (HandoffStatus.RETURNED, 1)
    service.update_handoff(session, ae, h.id, HandoffUpdate(risks="競合A社と比較中だった"))
    service.submit_handoff(session, ae, h.id)
    assert h.first_submitted_at == first
    assert h.submitted_at is not None
    assert h.completeness_at_submission == 78

    service.accept_handoff(session, csm, h.id)
    assert h.status == HandoffStatus.ACCEPTED
    assert h.accepted_by_id == csm.user_id

    out = service.get_handoff(session, csm, h.id)
    assert [(t.from_status, t.to_status) for t in out.history] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "accepted"),
    ]
    assert out.history[2].reason.startswith("リスク欄")
    assert out.history[2].actor_name == "CSM 花子"
    assert out.hours_to_accept_first is not None
    assert out.hours_to_accept_first >= 0
    assert out.actions == []
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(h.id))
    ).all()
    assert sorted(set(actions)) == [
        "handoff.accept",
        "handoff.create",
        "handoff.return",
        "handoff.submit",
        "handoff.update",
    ]


def test_every_illegal_transition_is_refused(session: Session) -> None:
    ae, csm, viewer = people(session)
    account = make_account(session)
    h = new(session, ae, account, **FULL)
    # draft: cannot be accepted or returned
    with pytest.raises(Conflict, match="accept a hand-off that is draft"):
        service.accept_handoff(session, csm, h.id)
    with pytest.raises(Conflict):
        service.return_handoff(session, csm, h.id, "x")
    service.submit_handoff(session, ae, h.id)
    # submitted: cannot be edited or submitted again
    with pytest.raises(Conflict):
        service.update_handoff(session, ae, h.id, HandoffUpdate(risks="x"))
    with pytest.raises(Conflict):
        service.submit_handoff(session, ae, h.id)
    # the submitter cannot decide their own hand-off
    with pytest.raises(Forbidden):
        service.accept_handoff(session, ae, h.id)
    with pytest.raises(Forbidden):
        service.return_handoff(session, ae, h.id, "x")
    # read-only users cannot do anything; they can read
    with pytest.raises(Forbidden):
        service.accept_handoff(session, viewer, h.id)
    assert service.get_handoff(session, viewer, h.id).status == "submitted"
    service.return_handoff(session, csm, h.id, "決裁者の連絡先を")
    # returned: cannot be accepted or returned again
    with pytest.raises(Conflict):
        service.accept_handoff(session, csm, h.id)
    with pytest.raises(Conflict):
        service.return_handoff(session, csm, h.id, "again")
    service.submit_handoff(session, ae, h.id)
    service.accept_handoff(session, csm, h.id)
    # accepted is final
    for call in (
        lambda: service.update_handoff(session, ae, h.id, HandoffUpdate(risks="x")),
        lambda: service.submit_handoff(session, ae, h.id),
        lambda: service.accept_handoff(session, csm, h.id),
        lambda: service.return_handoff(session, csm, h.id, "x"),
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "invalid_transition"
    with pytest.raises(NotFound):
        service.get_handoff(session, csm, account.id)  # not a hand-off id


def test_settings_change_what_is_required(session: Session) -> None:
    ae, csm, _ = people(session)
    admin = actor_for_user(make_user(session, Role.MANAGER))
    assert service.get_settings(session, csm).required_fields == [
        "purpose",
        "success_criteria",
        "promises",
        "decision_maker",
        "expansion_room",
    ]
    with pytest.raises(Forbidden):
        service.put_settings(session, csm, HandoffSettingsIn(required_fields=[]))
    with pytest.raises(Invalid) as unknown:
        service.put_settings(session, admin, HandoffSettingsIn(required_fields=["budget"]))
    assert unknown.value.problems[0].loc == ("body", "required_fields")
    out = service.put_settings(
        session, admin, HandoffSettingsIn(required_fields=["risks", "key_people", "mrr"])
    )
    assert out.required_fields == ["mrr", "key_people", "risks"]

    h = new(session, ae, make_account(session), **FULL)
    with pytest.raises(Invalid) as missing:
        service.submit_handoff(session, ae, h.id)
    assert [p.loc[-1] for p in missing.value.problems] == ["key_people", "risks"]
    service.update_handoff(
        session,
        ae,
        h.id,
        HandoffUpdate(key_people=[KeyPerson(name="佐藤", role="現場責任者")], risks="予算"),
    )
    service.submit_handoff(session, ae, h.id)
    # Nothing required: an empty hand-off can be submitted.
    service.put_settings(session, admin, HandoffSettingsIn(required_fields=[]))
    empty = new(session, ae, make_account(session), deal_name="空")
    service.submit_handoff(session, ae, empty.id)
    assert empty.completeness_at_submission == 0


def test_references_are_checked(session: Session) -> None:
    ae, _, _ = people(session)
    account, other = make_account(session), make_account(session)
    theirs = make_contact(session, other)
    make_product(session, code="HR-ANALYTICS")
    with pytest.raises(Invalid) as bad:
        new(
            session,
            ae,
            account,
            decision_maker_contact_id=theirs.id,
            key_people=[KeyPerson(name="x", contact_id=theirs.id)],
            expansion_products=["HR-ANALYTICS", "NOPE"],
        )
    assert [p.loc for p in bad.value.problems] == [
        ("body", "decision_maker_contact_id"),
        ("body", "key_people", 0, "contact_id"),
        ("body", "expansion_products"),
    ]
    mine = make_contact(session, account, name="鈴木 部長")
    h = new(
        session,
        ae,
        account,
        external_id="SF-1",
        decision_maker_contact_id=mine.id,
        expansion_products=["HR-ANALYTICS", "HR-ANALYTICS"],
    )
    assert h.expansion_products == ["HR-ANALYTICS"]
    assert service.get_handoff(session, ae, h.id).decision_maker_contact_name == "鈴木 部長"
    with pytest.raises(Invalid) as dup:
        new(session, ae, account, external_id="SF-1")
    assert dup.value.problems[0].code == "duplicate"


def test_account_by_name_is_found_or_created(session: Session) -> None:
    ae, _, _ = people(session)
    existing = make_account(session, name="株式会社サクラ")
    a = service.create_handoff(
        session,
        ae,
        HandoffCreate(account_name="株式会社サクラ", deal_name="d", won_on=date(2026, 4, 1)),
    )
    assert a.account_id == existing.id
    b = service.create_handoff(
        session,
        ae,
        HandoffCreate(account_name="新星工業株式会社", deal_name="d", won_on=date(2026, 4, 1)),
    )
    created = session.get(Account, b.account_id)
    assert created is not None
    assert created.name == "新星工業株式会社"
    with pytest.raises(Invalid):
        service.create_handoff(session, ae, HandoffCreate(deal_name="d", won_on=date(2026, 4, 1)))


def test_submit_on_create_is_all_or_nothing(session: Session) -> None:
    ae, _, _ = people(session)
    account = make_account(session)
    with pytest.raises(Invalid):
        new(session, ae, account, submit=True)
    h = new(session, ae, account, submit=True, **FULL)
    assert h.status == HandoffStatus.SUBMITTED


def test_accept_copies_to_the_account_and_publishes(session: Session) -> None:
    ae, csm, _ = people(session)
    make_product(session, code="HR-ANALYTICS")
    account = make_account(session, success_criteria="既存の成功基準")
    h = new(
        session,
        ae,
        account,
        expansion_headcount=1200,
        expansion_products=["HR-ANALYTICS"],
        **FULL,
    )
    service.submit_handoff(session, ae, h.id)
    jobs_before = session.scalars(select(Job).where(Job.name == "playbooks.evaluate")).all()
    service.accept_handoff(session, csm, h.id)

    session.refresh(account)
    assert account.purpose_of_adoption == FULL["purpose"]  # was empty: filled
    assert account.success_criteria == f"既存の成功基準\n\n{FULL['success_criteria']}"  # appended
    assert account.expansion_room == (
        "営業本部、工場（約1,200名）\n対象人数: 1,200名\n製品: HR-ANALYTICS"
    )
    assert account.sales_owner_id == ae.user_id  # was empty
    assert session.scalar(
        select(AuditEvent.action).where(
            AuditEvent.object_id == str(account.id), AuditEvent.action == "account.update"
        )
    )
    event = session.scalars(select(DomainEvent).where(DomainEvent.kind == "handoff.accepted")).one()
    assert event.account_id == account.id
    assert event.payload == {
        "handoff_id": str(h.id),
        "deal_name": "勤怠クラウド 新規",
        "mrr_amount": 350_000,
        "currency": "JPY",
    }
    jobs = session.scalars(select(Job).where(Job.name == "playbooks.evaluate")).all()
    assert len(jobs) == len(jobs_before) + 1

    # A second hand-off for the same account: text already there is not repeated, the
    # sales owner already set is kept.
    other_ae = actor_for_user(make_user(session, Role.SALES))
    again = new(session, other_ae, account, deal_name="追加", **FULL)
    service.submit_handoff(session, other_ae, again.id)
    service.accept_handoff(session, csm, again.id)
    session.refresh(account)
    assert account.purpose_of_adoption == FULL["purpose"]
    assert account.sales_owner_id == ae.user_id


def test_accepted_handoff_fires_the_handoff_received_playbook(
    session: Session, tmp_path: Path
) -> None:
    system = Actor.system("test")
    ae, csm, _ = people(session)
    account = make_account(session, name="オンボーディング株式会社")
    playbooks.create_playbook(
        session,
        system,
        PlaybookCreate(
            key="onboard",
            name="受注後キックオフ",
            definition={
                "trigger": {"type": "handoff_received"},
                "actions": [{"type": "create_task", "title": "キックオフ: {account}"}],
            },
        ),
    )
    playbooks.publish(session, system, "onboard")
    h = new(session, ae, account, **FULL)
    service.submit_handoff(session, ae, h.id)
    service.accept_handoff(session, csm, h.id)
    now = datetime.now(UTC) + timedelta(minutes=1)
    evaluate_playbooks(
        session,
        system,
        today=now.date(),
        zone="Asia/Tokyo",
        data_dir=tmp_path,
        now=now,
        dry_run=False,
    )
    task = session.scalars(select(Task).where(Task.account_id == account.id)).one()
    assert task.title == "キックオフ: オンボーディング株式会社"
    assert task.why["event"]["payload"]["handoff_id"] == str(h.id)


def test_lists_tabs_and_metrics(session: Session) -> None:
    ae, csm, _ = people(session)
    ae2 = actor_for_user(make_user(session, Role.SALES, name="営業 二郎"))
    account = make_account(session)
    draft = new(session, ae, account, deal_name="下書き")
    waiting = new(session, ae, account, deal_name="待ち", **FULL)
    service.submit_handoff(session, ae, waiting.id)
    done = new(session, ae2, account, deal_name="受理済み", **FULL)
    service.submit_handoff(session, ae2, done.id)
    service.accept_handoff(session, csm, done.id)
    # time to accept measured from the stored times: make it exactly 3 days
    assert done.submitted_at is not None
    done.first_submitted_at = done.submitted_at = datetime(2026, 4, 2, 0, 0, tzinfo=UTC)
    done.accepted_at = datetime(2026, 4, 5, 0, 0, tzinfo=UTC)
    session.flush()

    def names(tab: Tab, **kw: object) -> set[str]:
        page = service.list_handoffs(session, csm, HandoffFilters(tab=tab, **kw))  # type: ignore[arg-type]
        return {h.deal_name for h in page.items}

    assert names(Tab.REVIEW) == {"待ち"}
    assert names(Tab.DRAFTS) == {"下書き"}
    assert names(Tab.ACCEPTED) == {"受理済み"}
    assert names(Tab.ALL, sales_owner_id=ae.user_id) == {"下書き", "待ち"}
    assert names(Tab.ALL, won_from=date(2026, 4, 2)) == set()
    counts = service.count_by_tab(session, csm, HandoffFilters())
    assert counts == {"review": 1, "returned": 0, "drafts": 1, "accepted": 1, "all": 3}
    assert draft.id in {h.id for h in service.list_handoffs(session, csm, HandoffFilters()).items}

    report = service.metrics_report(session, csm, won_from=date(2026, 4, 1))
    assert (report.total.count, report.total.submitted, report.total.accepted) == (3, 2, 1)
    assert report.total.median_hours_to_accept == 72.0
    assert report.total.average_completeness == 67.0
    assert report.total.share_returned == 0.0
    by_name = {o.sales_owner_name: o for o in report.owners}
    assert by_name["営業 二郎"].median_hours_to_accept == 72.0
    assert by_name["営業 一郎"].waiting == 1
    assert service.metrics_report(session, csm, won_to=date(2026, 3, 31)).total.count == 0

    latest = service.latest_for_account(session, csm, account.id)
    assert latest is not None
    assert latest.deal_name == "受理済み"
