"""Mutual closing plans: steps, progress, overdue, order, owners, share links and the PDF."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_contact, make_line, make_product, make_user
from kizuna.auth.secrets import digest
from kizuna.auth.service import actor_for_user
from kizuna.kit.errors import Forbidden, Invalid, NotFound
from kizuna.models import Account, AuditEvent, ClosingPlan, Renewal
from kizuna.models.enums import Role
from kizuna.models.renewal import ClosingPlanSide, ClosingStepStatus
from kizuna.renewal import closing_plans as service
from kizuna.renewal import service as renewals
from kizuna.renewal.pdf import render_pdf
from kizuna.renewal.schemas import (
    PlanCreate,
    PlanUpdate,
    ShareCreate,
    StepCreate,
    StepOrder,
    StepUpdate,
)

TODAY = date(2026, 3, 10)
S = ClosingStepStatus


def pdf_text(content: bytes) -> str:
    """The text shown by a reportlab PDF: its content streams inflated, and each string
    of a text operator decoded (UTF-16BE for the CID font)."""
    texts = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = raw.strip()
        if data.endswith(b"~>"):  # ASCII85 (reportlab writes it without the "<~")
            data = base64.a85decode(
                data if data.startswith(b"<~") else data[:-2], adobe=data.startswith(b"<~")
            )
        try:
            data = zlib.decompress(data)
        except zlib.error:
            continue
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data, re.S):
            unescaped = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m.group(1), 8)])
                    if m.group(1)[:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1))
                ),
                literal,
            )
            try:
                texts.append(unescaped.decode("utf-16-be"))
            except UnicodeDecodeError:
                texts.append(unescaped.decode("latin-1"))
    return "\n".join(texts)


def _at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    """The closing-plan service's clock reads ``when`` (UTC)."""
    moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
    monkeypatch.setattr("kizuna.renewal.closing_plans.utc_now", lambda: moment)


def _plan(session: Session) -> tuple[ClosingPlan, object]:
    csm = make_user(session, Role.CSM, name="佐藤 花子")
    account = make_account(session, name="株式会社ミライ")
    actor = actor_for_user(csm)
    plan = service.create_plan(
        session,
        actor,
        PlanCreate(
            account_id=account.id,
            title="2026年度 更新計画",
            goal="全社展開で問い合わせ工数を30%削減",
            internal_note="値引きは5%まで",
            owner_id=csm.id,
        ),
    )
    return plan, actor


def test_steps_progress_overdue_order_and_owners(session: Session) -> None:
    plan, actor = _plan(session)
    account_contact = make_contact(session, _account(session, plan), name="山田 太郎")
    other_contact = make_contact(session, make_account(session), name="他社 担当")
    user = make_user(session, Role.CUSTOMER_SALES, name="鈴木 一郎")

    s1 = service.add_step(
        session,
        actor,
        plan.id,
        StepCreate(title="キックオフ", owner_user_id=user.id, due_on=TODAY - timedelta(days=5)),
        today=TODAY,
    )
    s2 = service.add_step(
        session,
        actor,
        plan.id,
        StepCreate(
            title="稟議提出",
            side=ClosingPlanSide.CUSTOMER,
            owner_contact_id=account_contact.id,
            due_on=TODAY - timedelta(days=1),
            note="経営会議で承認",
            internal_note="決裁者は慎重",
        ),
        today=TODAY,
    )
    s3 = service.add_step(
        session,
        actor,
        plan.id,
        StepCreate(title="契約締結", owner_name="法務部", due_on=TODAY + timedelta(days=10)),
        today=TODAY,
    )
    s0 = service.add_step(
        session, actor, plan.id, StepCreate(title="事前準備", position=0), today=TODAY
    )
    out = service.get_plan(session, actor, plan.id, today=TODAY)
    assert [s.title for s in out.steps] == ["事前準備", "キックオフ", "稟議提出", "契約締結"]
    assert [s.position for s in out.steps] == [0, 1, 2, 3]
    assert [s.owner_display for s in out.steps] == ["", "鈴木 一郎", "山田 太郎", "法務部"]
    assert (out.progress, out.steps_total, out.steps_done, out.overdue) == (0, 4, 0, 2)
    assert [s.overdue for s in out.steps] == [False, True, True, False]

    done = service.complete_step(session, actor, plan.id, s1.id, today=TODAY)
    assert (done.status, done.done_on) == (S.DONE, TODAY)
    out = service.get_plan(session, actor, plan.id, today=TODAY)
    assert (out.progress, out.steps_done, out.overdue) == (25, 1, 1)
    # Reopened: the done date goes.
    service.update_step(
        session, actor, plan.id, s1.id, StepUpdate(status=S.IN_PROGRESS), today=TODAY
    )
    assert s1.done_on is None
    service.update_step(
        session, actor, plan.id, s2.id, StepUpdate(status=S.DONE, done_on=TODAY), today=TODAY
    )
    service.update_step(session, actor, plan.id, s3.id, StepUpdate(status=S.BLOCKED), today=TODAY)
    out = service.get_plan(session, actor, plan.id, today=TODAY)
    assert (out.progress, out.overdue) == (25, 1)  # blocked is not done

    service.reorder_steps(session, actor, plan.id, StepOrder(step_ids=[s3.id, s2.id, s1.id, s0.id]))
    assert [s.title for s in service.get_plan(session, actor, plan.id, today=TODAY).steps] == [
        "契約締結",
        "稟議提出",
        "キックオフ",
        "事前準備",
    ]
    service.move_step(session, actor, plan.id, s0.id, -1)
    titles = [s.title for s in service.get_plan(session, actor, plan.id, today=TODAY).steps]
    assert titles == ["契約締結", "稟議提出", "事前準備", "キックオフ"]
    with pytest.raises(Invalid) as bad_order:
        service.reorder_steps(session, actor, plan.id, StepOrder(step_ids=[s1.id, s2.id]))
    assert bad_order.value.problems[0].loc == ("body", "step_ids")

    # Owners: a contact of another account, or two owners at once, are refused by field.
    with pytest.raises(Invalid) as foreign:
        service.add_step(
            session,
            actor,
            plan.id,
            StepCreate(title="x", owner_contact_id=other_contact.id),
            today=TODAY,
        )
    assert foreign.value.problems[0].loc == ("body", "owner_contact_id")
    with pytest.raises(Invalid) as two:
        service.add_step(
            session,
            actor,
            plan.id,
            StepCreate(title="x", owner_user_id=user.id, owner_name="誰か"),
            today=TODAY,
        )
    assert two.value.problems[0].code == "one_owner"
    # Switching an owner clears the others.
    service.update_step(
        session, actor, plan.id, s2.id, StepUpdate(owner_name="情報システム部"), today=TODAY
    )
    assert (s2.owner_contact_id, s2.owner_name) == (None, "情報システム部")

    service.delete_step(session, actor, plan.id, s0.id)
    out = service.get_plan(session, actor, plan.id, today=TODAY)
    assert [s.position for s in out.steps] == [0, 1, 2]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(plan.id))
    ).all()
    assert {"closing_plan.create", "closing_plan.step_add", "closing_plan.step_update"} <= set(
        actions
    )
    assert "closing_plan.step_reorder" in actions
    assert "closing_plan.step_delete" in actions

    viewer = actor_for_user(make_user(session, Role.READ_ONLY))
    assert service.get_plan(session, viewer, plan.id, today=TODAY).title == "2026年度 更新計画"
    with pytest.raises(Forbidden):
        service.add_step(session, viewer, plan.id, StepCreate(title="x"), today=TODAY)


def _account(session: Session, plan: ClosingPlan) -> Account:
    account = session.get(Account, plan.account_id)
    assert account is not None
    return account


def test_links_to_a_renewal_or_an_opportunity_must_be_the_accounts(session: Session) -> None:
    plan, actor = _plan(session)
    product = make_product(session)
    mine = _account(session, plan)
    other = make_account(session)
    make_line(session, mine, product, mrr=1_000, start=date(2025, 5, 1), end=date(2026, 5, 1))
    make_line(session, other, product, mrr=1_000, start=date(2025, 5, 1), end=date(2026, 5, 1))
    renewals.sync(session, date(2026, 3, 1))
    by_account = {r.account_id: r for r in session.scalars(select(Renewal))}
    service.update_plan(
        session, actor, plan.id, PlanUpdate(renewal_id=by_account[plan.account_id].id)
    )
    assert plan.renewal_id == by_account[plan.account_id].id
    with pytest.raises(Invalid) as wrong:
        service.update_plan(session, actor, plan.id, PlanUpdate(renewal_id=by_account[other.id].id))
    assert wrong.value.problems[0].loc == ("body", "renewal_id")
    out = renewals.get_renewal(
        session, actor, by_account[plan.account_id].id, today=date(2026, 3, 1)
    )
    assert [p.title for p in out.closing_plans] == ["2026年度 更新計画"]


def test_share_link_security_and_the_customer_view(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, actor = _plan(session)
    service.add_step(
        session,
        actor,
        plan.id,
        StepCreate(title="導入効果の報告", note="資料は事前送付", internal_note="競合が接触中"),
        today=TODAY,
    )
    _at(monkeypatch, "2026-03-10 01:00:00")
    link = service.share(
        session,
        actor,
        plan.id,
        ShareCreate(language="en", expires_on=date(2026, 3, 20)),
        zone="Asia/Tokyo",
    )
    # Only the SHA-256 of the token is stored.
    assert plan.share_token_hash == digest(link.token)
    assert link.token not in str(plan.share_token_hash)
    assert link.path == f"/mcp/{link.token}"
    # Works through the 20th in Tokyo: until 2026-03-20 15:00 UTC.
    _at(monkeypatch, "2026-03-20 14:59:00")
    view = service.public_plan(session, link.token, today=TODAY)
    assert view.language == "en"
    dumped = view.model_dump_json()
    assert "競合が接触中" not in dumped
    assert "値引きは5%まで" not in dumped
    assert "資料は事前送付" in dumped
    assert str(plan.id) not in dumped
    _at(monkeypatch, "2026-03-20 15:00:01")
    with pytest.raises(NotFound):
        service.public_plan(session, link.token, today=TODAY)
    forged = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    with pytest.raises(NotFound):
        service.public_plan(session, forged, today=TODAY)

    # A new link replaces the old; revoking ends it.
    _at(monkeypatch, "2026-03-10 01:00:00")
    second = service.share(session, actor, plan.id, ShareCreate(), zone="Asia/Tokyo")
    with pytest.raises(NotFound):
        service.public_plan(session, link.token, today=TODAY)
    assert service.public_plan(session, second.token, today=TODAY).language == "ja"
    service.revoke_share(session, actor, plan.id)
    with pytest.raises(NotFound):
        service.public_plan(session, second.token, today=TODAY)
    assert plan.share_token_hash is None
    with pytest.raises(Invalid) as past:
        service.share(
            session, actor, plan.id, ShareCreate(expires_on=date(2020, 1, 1)), zone="Asia/Tokyo"
        )
    assert past.value.problems[0].loc == ("body", "expires_on")


def test_pdf_is_a_pdf_with_the_plans_text_and_no_internal_notes(session: Session) -> None:
    plan, actor = _plan(session)
    for i in range(30):  # enough steps for a second page
        service.add_step(
            session,
            actor,
            plan.id,
            StepCreate(
                title=f"ステップ{i} Review {i}",
                note="顧客メモ" if i == 0 else "",
                internal_note="社内だけの話",
                due_on=TODAY - timedelta(days=1) if i == 1 else None,
            ),
            today=TODAY,
        )
    for language in ("ja", "en"):
        content = render_pdf(service.plan_for_pdf(session, actor, plan.id, language, today=TODAY))
        assert content.startswith(b"%PDF-")
        assert content.rstrip().endswith(b"%%EOF")
        pages = [int(n) for n in re.findall(rb"/Type /Pages\s*/?[^>]*?/Count (\d+)", content)] or [
            int(n) for n in re.findall(rb"/Count (\d+)", content)
        ]
        assert max(pages) == 2
        text = pdf_text(content)
        assert "2026年度 更新計画" in text
        assert "株式会社ミライ" in text
        assert "全社展開で問い合わせ工数を30%削減" in text
        assert "ステップ0 Review 0" in text
        assert "ステップ29 Review 29" in text
        assert "顧客メモ" in text
        assert "社内だけの話" not in text
        assert "値引きは5%まで" not in text
        assert ("期日超過" if language == "ja" else "Overdue") in text
        assert ("進捗" if language == "ja" else "Progress") in text
