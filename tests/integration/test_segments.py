"""Segments and tags through their services: visibility, permissions, validation with
paths, membership today, previews, counts, tags (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import ROLE_PERMISSIONS
from kizuna.kit.errors import Forbidden, Invalid, NotFound
from kizuna.models import AuditEvent, Segment
from kizuna.models.enums import Role, Tier
from kizuna.models.user import User
from kizuna.segment import service, tags
from kizuna.segment.evaluation import FactSource
from kizuna.segment.schemas import SegmentIn, SegmentUpdate

TODAY = date(2026, 6, 15)


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, role=user.role, permissions=ROLE_PERMISSIONS[user.role], name=user.name
    )


def source(session: Session, tmp_path: Path) -> FactSource:
    return FactSource(session, today=TODAY, zone="Asia/Tokyo", data_dir=tmp_path)


@pytest.fixture
def book(session: Session) -> dict[str, object]:
    plan = make_product(session, code="PLAN-SEG")
    accounts = {
        "alpha": make_account(session, name="Alpha 工業", tier=Tier.TIER1, region="関東"),
        "beta": make_account(session, name="Beta 商事", tier=Tier.TIER2, region="関西"),
        "gamma": make_account(session, name="Gamma 物産", tier=Tier.TIER3, region="関東"),
    }
    make_line(session, accounts["alpha"], plan, mrr=300_000, start=date(2025, 1, 1))
    make_line(session, accounts["gamma"], plan, mrr=20_000, start=date(2025, 1, 1))
    return dict(accounts)


KANTO = {"all": [{"fact": "account.region", "op": "eq", "value": "関東"}]}


def test_members_follow_the_data_and_sort_by_name(
    session: Session, tmp_path: Path, book: dict[str, object]
) -> None:
    csm = make_user(session, Role.CSM)
    src = source(session, tmp_path)
    seg = service.create_segment(
        session, actor_of(csm), SegmentIn(name="関東", definition=KANTO), source=src
    )
    ids = service.member_ids(session, actor_of(csm), seg.id, source=src)
    assert ids == [book["alpha"].id, book["gamma"].id]  # type: ignore[attr-defined]
    book["beta"].region = "関東"  # type: ignore[attr-defined]
    session.flush()
    again = service.members(session, actor_of(csm), seg.id, data_dir=tmp_path, today=TODAY)
    assert len(again) == 3  # evaluated on read, never stored
    assert service.count(session, actor_of(csm), seg.id, data_dir=tmp_path, today=TODAY) == 3


def test_definition_is_validated_with_paths_and_stored_normalised(
    session: Session, tmp_path: Path, book: dict[str, object]
) -> None:
    csm = make_user(session, Role.CSM)
    bad = {"all": [KANTO["all"][0], {"fact": "signal.mrr", "op": "gte", "value": "lots"}]}
    with pytest.raises(Invalid) as caught:
        service.create_segment(
            session,
            actor_of(csm),
            SegmentIn(name="x", definition=bad),
            source=source(session, tmp_path),
        )
    paths = [p.loc for p in caught.value.problems]
    assert paths == [("body", "definition.all[1].value")]
    good = {"all": [{"fact": "signal.mrr", "op": "gte", "value": 100000.0}]}
    seg = service.create_segment(
        session,
        actor_of(csm),
        SegmentIn(name="big", definition=good),
        source=source(session, tmp_path),
    )
    assert seg.definition == {"all": [{"fact": "signal.mrr", "op": "gte", "value": 100000}]}
    ids = service.member_ids(session, actor_of(csm), seg.id, source=source(session, tmp_path))
    assert ids == [book["alpha"].id]  # type: ignore[attr-defined]


def test_private_segments_are_the_owners_alone(session: Session, tmp_path: Path) -> None:
    owner, other = make_user(session, Role.CSM), make_user(session, Role.CSM)
    admin = make_user(session, Role.ADMIN)
    src = source(session, tmp_path)
    mine = service.create_segment(session, actor_of(owner), SegmentIn(name="mine"), source=src)
    shared = service.create_segment(
        session, actor_of(owner), SegmentIn(name="team", shared=True), source=src
    )
    assert [s.name for s in service.list_segments(session, actor_of(other))] == ["team"]
    assert {s.name for s in service.list_segments(session, actor_of(owner))} == {"mine", "team"}
    for who in (other, admin):  # private means private, administrators included
        with pytest.raises(NotFound):
            service.get_segment(session, actor_of(who), mine.id)
    # A shared segment: others see it; a CSM may not change it, an admin may.
    with pytest.raises(Forbidden):
        service.update_segment(
            session, actor_of(other), shared.id, SegmentUpdate(name="hijack"), source=src
        )
    service.update_segment(
        session, actor_of(admin), shared.id, SegmentUpdate(name="team (curated)"), source=src
    )
    assert shared.name == "team (curated)"
    # The system actor (jobs, CLI) sees everything.
    assert len(service.list_segments(session, Actor.system())) == 2


def test_writing_needs_segment_write(session: Session, tmp_path: Path) -> None:
    support = make_user(session, Role.SUPPORT)
    with pytest.raises(Forbidden):
        service.create_segment(
            session, actor_of(support), SegmentIn(name="nope"), source=source(session, tmp_path)
        )


def test_archive_hides_and_audits(session: Session, tmp_path: Path) -> None:
    owner = make_user(session, Role.CSM)
    src = source(session, tmp_path)
    seg = service.create_segment(session, actor_of(owner), SegmentIn(name="old"), source=src)
    service.archive_segment(session, actor_of(owner), seg.id)
    assert service.list_segments(session, actor_of(owner)) == []
    assert [s.id for s in service.list_segments(session, actor_of(owner), include_archived=True)]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(seg.id))
    ).all()
    assert sorted(actions) == ["segment.archive", "segment.create"]


def test_counts_load_once_and_survive_a_broken_definition(
    session: Session, tmp_path: Path, book: dict[str, object]
) -> None:
    owner = make_user(session, Role.CSM)
    src = source(session, tmp_path)
    kanto = service.create_segment(
        session, actor_of(owner), SegmentIn(name="関東", definition=KANTO), source=src
    )
    broken = Segment(
        name="消えた項目",
        description="",
        definition={"fact": "account.custom.gone", "op": "is_set"},
        owner_id=owner.id,
        shared=False,
        archived=False,
    )
    session.add(broken)
    session.flush()
    counts = service.counts(actor_of(owner), [kanto, broken], source=src)
    assert counts == {kanto.id: 2, broken.id: None}


def test_preview_counts_and_samples(
    session: Session, tmp_path: Path, book: dict[str, object]
) -> None:
    owner = make_user(session, Role.CSM)
    out = service.preview(
        session,
        actor_of(owner),
        {"any": [{"fact": "account.tier", "op": "in", "value": ["tier1", "tier3"]}]},
        source=source(session, tmp_path),
    )
    assert (out.count, out.total) == (2, 3)
    assert [m.name for m in out.sample] == ["Alpha 工業", "Gamma 物産"]
    assert out.sample[0].mrr_amount == 300_000
    assert out.sample[0].tier is Tier.TIER1


def test_tags_add_remove_set_list_and_audit(session: Session, book: dict[str, object]) -> None:
    csm = make_user(session, Role.CSM)
    alpha, beta = book["alpha"].id, book["beta"].id  # type: ignore[attr-defined]
    who = actor_of(csm)
    assert tags.add_tags(session, who, alpha, [" VIP ", "case-study", "VIP"]) == [
        "VIP",
        "case-study",
    ]
    assert tags.add_tags(session, who, beta, ["VIP", "vip"]) == ["VIP", "vip"]  # case kept
    assert tags.remove_tags(session, who, alpha, ["case-study"]) == ["VIP"]
    assert tags.set_tags(session, who, beta, ["renewal-risk"]) == ["renewal-risk"]
    assert [(t.tag, t.accounts) for t in tags.list_tags(session, who)] == [
        ("VIP", 1),
        ("renewal-risk", 1),
    ]
    changes = session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.action == "account.tags", AuditEvent.object_id == str(beta)
        )
    ).all()
    assert {"tags": [["VIP", "vip"], ["renewal-risk"]]} in changes


@pytest.mark.parametrize(
    ("bad", "code"),
    [("", "blank"), ("   ", "blank"), ("a,b", "comma"), ("x" * 65, "too_long")],
)
def test_bad_tags_are_refused_by_position(
    session: Session, book: dict[str, object], bad: str, code: str
) -> None:
    csm = make_user(session, Role.CSM)
    with pytest.raises(Invalid) as caught:
        tags.add_tags(session, actor_of(csm), book["alpha"].id, ["ok", bad])  # type: ignore[attr-defined]
    (problem,) = caught.value.problems
    assert (problem.loc, problem.code) == (("body", "tags", 1), code)


def test_tags_need_account_write(session: Session, book: dict[str, object]) -> None:
    support = make_user(session, Role.SUPPORT)
    with pytest.raises(Forbidden):
        tags.add_tags(session, actor_of(support), book["alpha"].id, ["x"])  # type: ignore[attr-defined]
    # A tag of exactly 64 characters is fine.
    csm = make_user(session, Role.CSM)
    assert tags.add_tags(session, actor_of(csm), book["alpha"].id, ["y" * 64]) == ["y" * 64]  # type: ignore[attr-defined]
