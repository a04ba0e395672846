"""PoC use cases: create and edit, the status flow, target accounts with participants and
measured results, the decision, product feedback; lists with counts per CSM.

Reading needs SALES_READ (a PoC's accounts need ACCOUNT_READ too); changing needs
PIPELINE_WRITE. Every change is audited as ``poc``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.poc import Poc, PocAccount, PocDecision, PocFeedback, PocStatus
from kizuna.models.product import Product
from kizuna.models.user import User
from kizuna.poc import rules
from kizuna.poc.schemas import (
    Criterion,
    CriterionOut,
    FeedbackIn,
    FeedbackOut,
    OwnerCount,
    Participant,
    ParticipantOut,
    PocAccountIn,
    PocAccountOut,
    PocAccountUpdate,
    PocCreate,
    PocFilters,
    PocList,
    PocOut,
    PocSummary,
    PocUpdate,
    ResultIn,
    Transition,
)

OBJECT = "poc"
_AUDITED = ("name", "purpose", "product_id", "starts_on", "ends_on", "owner_id")
_RESULT_STATES = frozenset({PocStatus.RUNNING, PocStatus.EVALUATING, PocStatus.DECIDED})
MAX_LIST = 1000


# ------------------------------------------------------------------------------ reading


def access_poc(session: Session, actor: Actor, poc_id: uuid.UUID, *, write: bool = False) -> Poc:
    actor.require(Permission.SALES_READ)
    poc = session.get(Poc, poc_id)
    if poc is None:
        raise NotFound("PoC not found")
    if write:
        actor.require(Permission.PIPELINE_WRITE)
    return poc


def _counts(session: Session, poc_ids: Sequence[uuid.UUID]) -> tuple[Counter[Any], Counter[Any]]:
    if not poc_ids:
        return Counter(), Counter()
    accounts = Counter(
        dict(
            session.execute(
                select(PocAccount.poc_id, func.count())
                .where(PocAccount.poc_id.in_(poc_ids))
                .group_by(PocAccount.poc_id)
            ).all()
        )
    )
    feedback = Counter(
        dict(
            session.execute(
                select(PocFeedback.poc_id, func.count())
                .where(PocFeedback.poc_id.in_(poc_ids))
                .group_by(PocFeedback.poc_id)
            ).all()
        )
    )
    return accounts, feedback


_owner = aliased(User, name="owner")


def _summary_select() -> Any:
    return (
        select(Poc, Product.name.label("product_name"), _owner.name.label("owner_name"))
        .outerjoin(Product, Product.id == Poc.product_id)
        .outerjoin(_owner, _owner.id == Poc.owner_id)
    )


def _summary(row: Any, accounts: Counter[Any], feedback: Counter[Any]) -> PocSummary:
    p: Poc = row[0]
    return PocSummary(
        id=p.id,
        name=p.name,
        product_id=p.product_id,
        product_name=row.product_name,
        status=p.status,
        starts_on=p.starts_on,
        ends_on=p.ends_on,
        owner_id=p.owner_id,
        owner_name=row.owner_name,
        decision=p.decision,
        account_count=accounts.get(p.id, 0),
        feedback_count=feedback.get(p.id, 0),
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def list_pocs(session: Session, actor: Actor, filters: PocFilters) -> PocList:
    """PoCs (open ones first, then newest), the count per status and per CSM; the counts
    follow the product and account filters but not status or owner, so they stay a
    picture of everyone's work."""
    actor.require(Permission.SALES_READ)
    stmt = _summary_select()
    if filters.product_id is not None:
        stmt = stmt.where(Poc.product_id == filters.product_id)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
        stmt = stmt.where(
            Poc.id.in_(select(PocAccount.poc_id).where(PocAccount.account_id == filters.account_id))
        )
    every = session.execute(stmt.limit(MAX_LIST)).all()
    by_status = Counter(r[0].status.value for r in every)
    owners: dict[uuid.UUID | None, OwnerCount] = {}
    for r in every:
        p: Poc = r[0]
        c = owners.setdefault(
            p.owner_id,
            OwnerCount(
                owner_id=p.owner_id, owner_name=r.owner_name,
                total=0, open=0, decided=0, adopted=0, cancelled=0,
            ),
        )  # fmt: skip
        c.total += 1
        c.open += p.status in rules.OPEN
        c.decided += p.status is PocStatus.DECIDED
        c.adopted += p.decision is PocDecision.ADOPT and p.status is PocStatus.DECIDED
        c.cancelled += p.status is PocStatus.CANCELLED
    chosen = [
        r
        for r in every
        if (filters.status is None or r[0].status is filters.status)
        and (filters.owner_id is None or r[0].owner_id == filters.owner_id)
    ]
    order = {s: n for n, s in enumerate(PocStatus)}
    chosen.sort(key=lambda r: (r[0].status in rules.FINAL, order[r[0].status], r[0].name))
    accounts, feedback = _counts(session, [r[0].id for r in chosen])
    return PocList(
        items=[_summary(r, accounts, feedback) for r in chosen],
        by_status={s.value: by_status.get(s.value, 0) for s in PocStatus},
        by_owner=sorted(owners.values(), key=lambda c: (-c.total, c.owner_name or "")),
    )


def _participants(raw: list[dict[str, Any]]) -> list[ParticipantOut]:
    return [
        ParticipantOut(
            contact_id=uuid.UUID(p["contact_id"]) if p.get("contact_id") else None,
            name=str(p.get("name", "")),
        )
        for p in raw
    ]


def poc_accounts(session: Session, poc_id: uuid.UUID) -> list[PocAccountOut]:
    adder = aliased(User, name="adder")
    rows = session.execute(
        select(PocAccount, Account.name, adder.name)
        .join(Account, Account.id == PocAccount.account_id)
        .outerjoin(adder, adder.id == PocAccount.added_by_id)
        .where(PocAccount.poc_id == poc_id)
        .order_by(Account.name, PocAccount.id)
    ).all()
    return [
        PocAccountOut(
            id=pa.id,
            account_id=pa.account_id,
            account_name=name,
            reason=pa.reason,
            participants=_participants(list(pa.participants or [])),
            results={str(k): str(v) for k, v in (pa.results or {}).items()},
            outcome=pa.outcome,
            added_by_name=added_by,
            created_at=pa.created_at,
        )
        for pa, name, added_by in rows
    ]


def get_poc(session: Session, actor: Actor, poc_id: uuid.UUID) -> PocOut:
    actor.require(Permission.ACCOUNT_READ)
    access_poc(session, actor, poc_id)
    row = session.execute(_summary_select().where(Poc.id == poc_id)).one()
    accounts = poc_accounts(session, poc_id)
    creator = aliased(User, name="creator")
    feedback = [
        FeedbackOut(
            id=f.id, text=f.text, sent_on=f.sent_on, created_by_name=name, created_at=f.created_at
        )
        for f, name in session.execute(
            select(PocFeedback, creator.name)
            .outerjoin(creator, creator.id == PocFeedback.created_by_id)
            .where(PocFeedback.poc_id == poc_id)
            .order_by(PocFeedback.created_at, PocFeedback.id)
        ).all()
    ]
    p: Poc = row[0]
    summary = _summary(row, Counter({p.id: len(accounts)}), Counter({p.id: len(feedback)}))
    names = _user_names(session, [p.decided_by_id, p.created_by_id])
    return PocOut(
        **summary.model_dump(),
        purpose=p.purpose,
        success_criteria=[CriterionOut.model_validate(c) for c in p.success_criteria or []],
        decision_note=p.decision_note,
        decided_at=p.decided_at,
        decided_by_name=names.get(p.decided_by_id),
        cancel_reason=p.cancel_reason,
        created_by_name=names.get(p.created_by_id),
        accounts=accounts,
        feedback=feedback,
        next_statuses=rules.next_statuses(p.status),
    )


def _user_names(session: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def account_pocs(
    session: Session, actor: Actor, account_id: uuid.UUID
) -> list[tuple[PocSummary, PocAccountOut]]:
    """The PoCs ``account_id`` takes part in (open first), each with its own row."""
    actor.require(Permission.SALES_READ)
    access_account(session, actor, account_id)
    listing = list_pocs(session, actor, PocFilters(account_id=account_id))
    out = []
    for summary in listing.items:
        mine = [a for a in poc_accounts(session, summary.id) if a.account_id == account_id]
        out.append((summary, mine[0]))
    return out


# ------------------------------------------------------------------------------ writing


def _check_product(session: Session, product_id: uuid.UUID | None) -> None:
    if product_id is not None and session.get(Product, product_id) is None:
        raise Invalid.field("product_id", "no such product", code="unknown_product")


def _check_owner(session: Session, owner_id: uuid.UUID | None) -> None:
    if owner_id is None:
        return
    user = session.get(User, owner_id)
    if user is None or not user.is_active:
        raise Invalid.field("owner_id", "no such active user", code="unknown_user")


def _criteria(new: list[Criterion], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Criteria as stored: sent keys must exist already; new ones get fresh keys."""
    old_keys = [str(c["key"]) for c in old]
    problems = [
        FieldProblem(("body", "success_criteria", n, "key"), "unknown_criterion", "no such key")
        for n, c in enumerate(new)
        if c.key is not None and c.key not in old_keys
    ]
    sent = [c.key for c in new if c.key is not None]
    if len(sent) != len(set(sent)):
        problems.append(
            FieldProblem(("body", "success_criteria"), "duplicate_key", "a key appears twice")
        )
    if problems:
        raise Invalid(problems)
    fresh = iter(rules.criterion_keys(old_keys, sum(1 for c in new if c.key is None)))
    return [
        {
            "key": c.key or next(fresh),
            "criterion": c.criterion.strip(),
            "target": c.target.strip(),
            "measure": c.measure.strip(),
        }
        for c in new
    ]


def create_poc(session: Session, actor: Actor, data: PocCreate) -> Poc:
    actor.require(Permission.SALES_READ)
    actor.require(Permission.PIPELINE_WRITE)
    _check_product(session, data.product_id)
    owner_id = data.owner_id or actor.user_id
    _check_owner(session, owner_id)
    poc = Poc(
        name=data.name.strip(),
        purpose=data.purpose,
        product_id=data.product_id,
        success_criteria=_criteria(data.success_criteria, []),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=PocStatus.PLANNED,
        owner_id=owner_id,
        created_by_id=actor.user_id,
    )
    session.add(poc)
    session.flush()
    changes = audit.snapshot(poc, (*_AUDITED, "status", "success_criteria"))
    audit.record(session, actor, "poc.created", OBJECT, poc.id, summary=poc.name, changes=changes)
    return poc


def update_poc(session: Session, actor: Actor, poc_id: uuid.UUID, data: PocUpdate) -> Poc:
    poc = access_poc(session, actor, poc_id, write=True)
    sent = data.model_fields_set
    values: dict[str, Any] = {}
    for name in ("name", "purpose", "product_id", "starts_on", "ends_on", "owner_id"):
        if name in sent:
            values[name] = getattr(data, name)
    for required in ("name", "purpose"):
        if required in values and values[required] is None:
            raise Invalid.field(required, "may not be empty", code="missing")
    if "name" in values:
        values["name"] = values["name"].strip()
    if "product_id" in values:
        _check_product(session, values["product_id"])
    if values.get("owner_id") is not None:
        _check_owner(session, values["owner_id"])
    starts = values.get("starts_on", poc.starts_on)
    ends = values.get("ends_on", poc.ends_on)
    if starts and ends and ends < starts:
        raise Invalid.field("ends_on", "must not be before starts_on", code="ends_before_start")
    if "success_criteria" in sent and data.success_criteria is not None:
        old = list(poc.success_criteria or [])
        values["success_criteria"] = _criteria(data.success_criteria, old)
        _prune_results(session, poc.id, {c["key"] for c in values["success_criteria"]})
    changes = audit.apply_changes(poc, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "poc.updated", OBJECT, poc.id, summary=poc.name, changes=changes
        )
    return poc


def _prune_results(session: Session, poc_id: uuid.UUID, keys: set[str]) -> None:
    """Drop results of criteria that no longer exist."""
    for pa in session.scalars(select(PocAccount).where(PocAccount.poc_id == poc_id)):
        kept = {k: v for k, v in (pa.results or {}).items() if k in keys}
        if kept != (pa.results or {}):
            pa.results = kept


def transition(session: Session, actor: Actor, poc_id: uuid.UUID, data: Transition) -> Poc:
    """Move the PoC along its flow; ``Conflict`` (code ``illegal_transition``) for a move
    the flow does not allow; ``decided`` requires a decision and a note."""
    poc = access_poc(session, actor, poc_id, write=True)
    current, target = poc.status, data.status
    if not rules.allowed(current, target):
        raise Conflict(
            f"a PoC cannot go from {current.value} to {target.value}",
            code="illegal_transition",
            current=current.value,
            target=target.value,
        )
    note = data.note.strip()
    values: dict[str, Any] = {"status": target}
    if target is PocStatus.DECIDED:
        problems = []
        if data.decision is None:
            problems.append(FieldProblem(("body", "decision"), "missing", "choose a decision"))
        if not note:
            problems.append(FieldProblem(("body", "note"), "missing", "explain the decision"))
        if problems:
            raise Invalid(problems)
        values |= {
            "decision": data.decision,
            "decision_note": note,
            "decided_at": utc_now(),
            "decided_by_id": actor.user_id,
        }
    elif target is PocStatus.CANCELLED:
        values["cancel_reason"] = note
    elif data.decision is not None:
        raise Invalid.field("decision", "a decision is made only when deciding", code="not_now")
    changes = audit.apply_changes(poc, values)
    session.flush()
    audit.record(
        session, actor, f"poc.{target.value}", OBJECT, poc.id, summary=poc.name, changes=changes
    )
    return poc


def _clean_participants(
    session: Session, account_id: uuid.UUID, participants: list[Participant]
) -> list[dict[str, Any]]:
    ids = [p.contact_id for p in participants if p.contact_id is not None]
    names = dict(
        session.execute(
            select(Contact.id, Contact.name).where(
                Contact.id.in_(ids), Contact.account_id == account_id
            )
        ).all()
        if ids
        else []
    )
    problems = [
        FieldProblem(
            ("body", "participants", n, "contact_id"),
            "unknown_contact",
            "not a contact of this account",
        )
        for n, p in enumerate(participants)
        if p.contact_id is not None and p.contact_id not in names
    ]
    if problems:
        raise Invalid(problems)
    return [
        {
            "contact_id": str(p.contact_id) if p.contact_id else None,
            "name": p.name.strip() or (names[p.contact_id] if p.contact_id else ""),
        }
        for p in participants
    ]


def add_account(
    session: Session, actor: Actor, poc_id: uuid.UUID, data: PocAccountIn
) -> PocAccount:
    """A target account chosen by the CSM; not once the PoC is decided or cancelled."""
    poc = access_poc(session, actor, poc_id, write=True)
    account = access_account_for_input(session, actor, data.account_id)
    if poc.status in rules.FINAL:
        raise Conflict("the PoC is closed", code="poc_closed", status=poc.status.value)
    exists = session.scalar(
        select(PocAccount.id).where(
            PocAccount.poc_id == poc.id, PocAccount.account_id == account.id
        )
    )
    if exists is not None:
        raise Conflict("the account already takes part", code="duplicate_account")
    row = PocAccount(
        poc_id=poc.id,
        account_id=account.id,
        reason=data.reason.strip(),
        participants=_clean_participants(session, account.id, data.participants),
        results={},
        added_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "poc.account_added", OBJECT, poc.id,
        summary=f"{poc.name}: {account.name}",
        changes={
            "account_id": [None, str(account.id)],
            "reason": [None, row.reason],
            "participants": [None, row.participants],
        },
    )  # fmt: skip
    return row


def _poc_account(session: Session, poc: Poc, account_id: uuid.UUID) -> PocAccount:
    row = session.scalar(
        select(PocAccount).where(PocAccount.poc_id == poc.id, PocAccount.account_id == account_id)
    )
    if row is None:
        raise NotFound("the account does not take part in this PoC")
    return row


def update_account(
    session: Session,
    actor: Actor,
    poc_id: uuid.UUID,
    account_id: uuid.UUID,
    data: PocAccountUpdate,
) -> PocAccount:
    poc = access_poc(session, actor, poc_id, write=True)
    access_account(session, actor, account_id)
    row = _poc_account(session, poc, account_id)
    values: dict[str, Any] = {}
    if data.reason is not None:
        values["reason"] = data.reason.strip()
    if data.participants is not None:
        values["participants"] = _clean_participants(session, account_id, data.participants)
    changes = audit.apply_changes(row, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "poc.account_updated", OBJECT, poc.id,
            summary=poc.name, changes={"account_id": str(account_id), **changes},
        )  # fmt: skip
    return row


def remove_account(
    session: Session, actor: Actor, poc_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    poc = access_poc(session, actor, poc_id, write=True)
    access_account(session, actor, account_id)
    row = _poc_account(session, poc, account_id)
    if poc.status in rules.FINAL:
        raise Conflict("the PoC is closed", code="poc_closed", status=poc.status.value)
    audit.record(
        session, actor, "poc.account_removed", OBJECT, poc.id, summary=poc.name,
        changes={"account_id": [str(account_id), None], "results": [row.results, None]},
    )  # fmt: skip
    session.delete(row)
    session.flush()


def record_result(
    session: Session, actor: Actor, poc_id: uuid.UUID, account_id: uuid.UUID, data: ResultIn
) -> PocAccount:
    """Measured results per criterion and the account's outcome, while the PoC runs, is
    evaluated or (late numbers) after the decision."""
    poc = access_poc(session, actor, poc_id, write=True)
    access_account(session, actor, account_id)
    row = _poc_account(session, poc, account_id)
    if poc.status not in _RESULT_STATES:
        raise Conflict(
            "results are recorded once the PoC runs", code="not_running", status=poc.status.value
        )
    keys = {str(c["key"]) for c in poc.success_criteria or []}
    unknown = [k for k in data.results if k not in keys]
    if unknown:
        raise Invalid(
            [
                FieldProblem(("body", "results", k), "unknown_criterion", "no such criterion")
                for k in unknown
            ]
        )
    results = dict(row.results or {})
    for key, text in data.results.items():
        if text.strip():
            results[key] = text.strip()[:2000]
        else:
            results.pop(key, None)
    values: dict[str, Any] = {"results": results}
    if "outcome" in data.model_fields_set:
        values["outcome"] = data.outcome
    changes = audit.apply_changes(row, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "poc.result_recorded", OBJECT, poc.id,
            summary=poc.name, changes={"account_id": str(account_id), **changes},
        )  # fmt: skip
    return row


def add_feedback(
    session: Session, actor: Actor, poc_id: uuid.UUID, data: FeedbackIn
) -> PocFeedback:
    poc = access_poc(session, actor, poc_id, write=True)
    item = PocFeedback(
        poc_id=poc.id, text=data.text.strip(), sent_on=data.sent_on, created_by_id=actor.user_id
    )
    session.add(item)
    session.flush()
    audit.record(
        session, actor, "poc.feedback_added", OBJECT, poc.id, summary=poc.name,
        changes={"feedback": [None, {"text": item.text, "sent_on": audit.json_safe(item.sent_on)}]},
    )  # fmt: skip
    return item


def update_feedback(
    session: Session, actor: Actor, poc_id: uuid.UUID, feedback_id: uuid.UUID, data: FeedbackIn
) -> PocFeedback:
    poc = access_poc(session, actor, poc_id, write=True)
    item = session.get(PocFeedback, feedback_id)
    if item is None or item.poc_id != poc.id:
        raise NotFound("feedback not found")
    changes = audit.apply_changes(item, {"text": data.text.strip(), "sent_on": data.sent_on})
    if changes:
        session.flush()
        audit.record(
            session, actor, "poc.feedback_updated", OBJECT, poc.id, summary=poc.name,
            changes={"feedback_id": str(item.id), **changes},
        )  # fmt: skip
    return item


def remove_feedback(
    session: Session, actor: Actor, poc_id: uuid.UUID, feedback_id: uuid.UUID
) -> None:
    poc = access_poc(session, actor, poc_id, write=True)
    item = session.get(PocFeedback, feedback_id)
    if item is None or item.poc_id != poc.id:
        raise NotFound("feedback not found")
    audit.record(
        session, actor, "poc.feedback_removed", OBJECT, poc.id, summary=poc.name,
        changes={"feedback": [{"text": item.text, "sent_on": audit.json_safe(item.sent_on)}, None]},
    )  # fmt: skip
    session.delete(item)
    session.flush()
