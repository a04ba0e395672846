"""Mutual closing plans (MCP): steps agreed with the customer for a renewal, an expansion
opportunity or an account, and the read-only share link.

A share link carries a random 256-bit token; only its SHA-256 is stored, so the link
cannot be recovered from the database (making a new one replaces it; revoking clears
it). The public view (:func:`public_plan`) never carries internal notes or ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.auth.secrets import digest, new_secret
from kizuna.kit.clock import ensure_utc, utc_now
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.models.account import Account
from kizuna.models.contact import Contact
from kizuna.models.pipeline import Opportunity
from kizuna.models.renewal import ClosingPlan, ClosingPlanStep, ClosingStepStatus, Renewal
from kizuna.models.user import User
from kizuna.renewal import rules
from kizuna.renewal.schemas import (
    PlanCreate,
    PlanFilters,
    PlanOut,
    PlanUpdate,
    PublicPlan,
    PublicStep,
    ShareCreate,
    ShareOut,
    StepCreate,
    StepOrder,
    StepOut,
    StepUpdate,
)

PLAN_FIELDS = ("account_id", "renewal_id", "opportunity_id", "title", "goal", "owner_id")
STEP_FIELDS = (
    "title",
    "side",
    "owner_user_id",
    "owner_contact_id",
    "owner_name",
    "due_on",
    "status",
    "done_on",
    "note",
    "internal_note",
    "position",
)


# ---------------------------------------------------------------------------- loading


def _plan(session: Session, actor: Actor, plan_id: uuid.UUID) -> ClosingPlan:
    plan = session.get(ClosingPlan, plan_id)
    if plan is None:
        raise NotFound("closing plan not found")
    access_account(session, actor, plan.account_id)
    return plan


def _steps(session: Session, plan_id: uuid.UUID) -> list[ClosingPlanStep]:
    return list(
        session.scalars(
            select(ClosingPlanStep)
            .where(ClosingPlanStep.plan_id == plan_id)
            .order_by(ClosingPlanStep.position, ClosingPlanStep.created_at)
        )
    )


def _step(session: Session, plan: ClosingPlan, step_id: uuid.UUID) -> ClosingPlanStep:
    step = session.get(ClosingPlanStep, step_id)
    if step is None or step.plan_id != plan.id:
        raise NotFound("step not found")
    return step


def share_live(plan: ClosingPlan, now: datetime) -> bool:
    return plan.share_token_hash is not None and (
        plan.share_expires_at is None or ensure_utc(plan.share_expires_at) > now
    )


# ---------------------------------------------------------------------------- reading


def list_plans(
    session: Session, actor: Actor, filters: PlanFilters, *, today: date, limit: int = 200
) -> list[PlanOut]:
    actor.require(Permission.SALES_READ)
    if not actor.can(Permission.ACCOUNT_READ):
        return []
    stmt = select(ClosingPlan).where(ClosingPlan.archived.is_(filters.archived))
    if filters.account_id is not None:
        stmt = stmt.where(ClosingPlan.account_id == filters.account_id)
    if filters.renewal_id is not None:
        stmt = stmt.where(ClosingPlan.renewal_id == filters.renewal_id)
    if filters.opportunity_id is not None:
        stmt = stmt.where(ClosingPlan.opportunity_id == filters.opportunity_id)
    if filters.owner_id is not None:
        stmt = stmt.where(ClosingPlan.owner_id == filters.owner_id)
    plans = list(session.scalars(stmt.order_by(ClosingPlan.updated_at.desc()).limit(limit)))
    return _outs(session, plans, today)


def get_plan(session: Session, actor: Actor, plan_id: uuid.UUID, *, today: date) -> PlanOut:
    actor.require(Permission.SALES_READ)
    return _outs(session, [_plan(session, actor, plan_id)], today)[0]


def _outs(session: Session, plans: Sequence[ClosingPlan], today: date) -> list[PlanOut]:
    if not plans:
        return []
    ids = [p.id for p in plans]
    steps: dict[uuid.UUID, list[ClosingPlanStep]] = {i: [] for i in ids}
    for step in session.scalars(
        select(ClosingPlanStep)
        .where(ClosingPlanStep.plan_id.in_(ids))
        .order_by(ClosingPlanStep.position, ClosingPlanStep.created_at)
    ):
        steps[step.plan_id].append(step)
    all_steps = [s for group in steps.values() for s in group]
    user_ids = {p.owner_id for p in plans if p.owner_id} | {
        s.owner_user_id for s in all_steps if s.owner_user_id
    }
    contact_ids = {s.owner_contact_id for s in all_steps if s.owner_contact_id}
    users = _names(session, User, user_ids)
    contacts = _names(session, Contact, contact_ids)
    accounts = _names(session, Account, {p.account_id for p in plans})
    renewals = dict(
        session.execute(
            select(Renewal.id, Renewal.renews_on).where(
                Renewal.id.in_([p.renewal_id for p in plans if p.renewal_id])
            )
        ).all()
    )
    opportunities = _names(
        session, Opportunity, {p.opportunity_id for p in plans if p.opportunity_id}
    )
    now = utc_now()
    outs: list[PlanOut] = []
    for plan in plans:
        mine = steps[plan.id]
        states = [rules.StepState(s.status, s.due_on) for s in mine]
        live = share_live(plan, now)
        outs.append(
            PlanOut(
                id=plan.id,
                account_id=plan.account_id,
                account_name=accounts.get(plan.account_id, ""),
                renewal_id=plan.renewal_id,
                renewal_renews_on=renewals.get(plan.renewal_id) if plan.renewal_id else None,
                opportunity_id=plan.opportunity_id,
                opportunity_name=(
                    opportunities.get(plan.opportunity_id) if plan.opportunity_id else None
                ),
                title=plan.title,
                goal=plan.goal,
                internal_note=plan.internal_note,
                owner_id=plan.owner_id,
                owner_name=users.get(plan.owner_id) if plan.owner_id else None,
                archived=plan.archived,
                progress=rules.progress(states),
                steps_total=len(mine),
                steps_done=sum(1 for s in mine if s.status is ClosingStepStatus.DONE),
                overdue=rules.overdue_count(states, today),
                shared=live,
                share_language=plan.share_language if live else None,
                share_expires_at=plan.share_expires_at if live else None,
                shared_at=plan.shared_at if live else None,
                steps=[_step_out(s, users, contacts, today) for s in mine],
                created_at=plan.created_at,
                updated_at=plan.updated_at,
            )
        )
    return outs


def _names(session: Session, model: Any, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return {
        row[0]: row[1]
        for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    }


def _owner_display(
    step: ClosingPlanStep, users: dict[uuid.UUID, str], contacts: dict[uuid.UUID, str]
) -> str:
    if step.owner_user_id and step.owner_user_id in users:
        return users[step.owner_user_id]
    if step.owner_contact_id and step.owner_contact_id in contacts:
        return contacts[step.owner_contact_id]
    return step.owner_name


def _step_out(
    step: ClosingPlanStep,
    users: dict[uuid.UUID, str],
    contacts: dict[uuid.UUID, str],
    today: date,
) -> StepOut:
    return StepOut(
        id=step.id,
        position=step.position,
        title=step.title,
        side=step.side,
        owner_user_id=step.owner_user_id,
        owner_contact_id=step.owner_contact_id,
        owner_name=step.owner_name,
        owner_display=_owner_display(step, users, contacts),
        due_on=step.due_on,
        status=step.status,
        done_on=step.done_on,
        note=step.note,
        internal_note=step.internal_note,
        overdue=rules.is_overdue(step.status, step.due_on, today),
    )


# ---------------------------------------------------------------------------- writing


def _check_links(
    session: Session,
    account_id: uuid.UUID,
    values: dict[str, Any],
) -> None:
    problems: list[FieldProblem] = []
    renewal_id = values.get("renewal_id")
    if renewal_id is not None:
        renewal = session.get(Renewal, renewal_id)
        if renewal is None or renewal.account_id != account_id:
            problems.append(
                FieldProblem(
                    ("body", "renewal_id"), "unknown_renewal", "no such renewal of this account"
                )
            )
    opportunity_id = values.get("opportunity_id")
    if opportunity_id is not None:
        opportunity = session.get(Opportunity, opportunity_id)
        if opportunity is None or opportunity.account_id != account_id:
            problems.append(
                FieldProblem(
                    ("body", "opportunity_id"),
                    "unknown_opportunity",
                    "no such opportunity of this account",
                )
            )
    owner_id = values.get("owner_id")
    if owner_id is not None and session.get(User, owner_id) is None:
        problems.append(FieldProblem(("body", "owner_id"), "unknown_user", "no such user"))
    if problems:
        raise Invalid(problems)


def create_plan(session: Session, actor: Actor, data: PlanCreate) -> ClosingPlan:
    actor.require(Permission.PIPELINE_WRITE)
    try:
        access_account(session, actor, data.account_id)
    except NotFound:
        raise Invalid.field("account_id", "no such account", code="unknown_account") from None
    values = data.model_dump()
    _check_links(session, data.account_id, values)
    plan = ClosingPlan(**values, created_by_id=actor.user_id)
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor,
        "closing_plan.create",
        "closing_plan",
        plan.id,
        summary=f"closing plan {plan.title}",
        changes=audit.snapshot(plan, PLAN_FIELDS),
    )
    return plan


def update_plan(
    session: Session, actor: Actor, plan_id: uuid.UUID, data: PlanUpdate
) -> ClosingPlan:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    values = {k: getattr(data, k) for k in data.model_fields_set}
    for name in ("title", "goal", "internal_note", "archived"):
        if name in values and values[name] is None:
            values.pop(name)
    _check_links(session, plan.account_id, values)
    changes = audit.apply_changes(plan, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "closing_plan.update", "closing_plan", plan.id, changes=changes
        )
    return plan


def delete_plan(session: Session, actor: Actor, plan_id: uuid.UUID) -> None:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    audit.record(
        session,
        actor,
        "closing_plan.delete",
        "closing_plan",
        plan.id,
        summary=f"closing plan {plan.title}",
        changes=audit.snapshot(plan, PLAN_FIELDS),
    )
    session.execute(
        delete(ClosingPlanStep)
        .where(ClosingPlanStep.plan_id == plan.id)
        .execution_options(synchronize_session="fetch")
    )
    session.delete(plan)
    session.flush()


def _check_step(session: Session, plan: ClosingPlan, values: dict[str, Any]) -> None:
    problems: list[FieldProblem] = []
    owners = [k for k in ("owner_user_id", "owner_contact_id") if values.get(k) is not None] + (
        ["owner_name"] if (values.get("owner_name") or "").strip() else []
    )
    if len(owners) > 1:
        problems.append(
            FieldProblem(
                ("body", owners[1]),
                "one_owner",
                "give one owner: a user, a contact or a name",
            )
        )
    user_id = values.get("owner_user_id")
    if user_id is not None and session.get(User, user_id) is None:
        problems.append(FieldProblem(("body", "owner_user_id"), "unknown_user", "no such user"))
    contact_id = values.get("owner_contact_id")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.account_id != plan.account_id:
            problems.append(
                FieldProblem(
                    ("body", "owner_contact_id"),
                    "unknown_contact",
                    "no such contact of this account",
                )
            )
    if problems:
        raise Invalid(problems)


def _done_date(values: dict[str, Any], today: date) -> None:
    """A done step has a done date (today unless given); others have none."""
    if values.get("status") is ClosingStepStatus.DONE:
        values["done_on"] = values.get("done_on") or today
    elif "status" in values:
        values["done_on"] = None


def _touch(plan: ClosingPlan) -> None:
    plan.updated_at = utc_now()


def add_step(
    session: Session, actor: Actor, plan_id: uuid.UUID, data: StepCreate, *, today: date
) -> ClosingPlanStep:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    values = data.model_dump()
    _check_step(session, plan, values)
    _done_date(values, today)
    steps = _steps(session, plan.id)
    position = values.pop("position")
    position = len(steps) if position is None else min(position, len(steps))
    step = ClosingPlanStep(plan_id=plan.id, position=position, **values)
    steps.insert(position, step)
    session.add(step)
    _renumber(steps)
    _touch(plan)
    session.flush()
    audit.record(
        session,
        actor,
        "closing_plan.step_add",
        "closing_plan",
        plan.id,
        summary=f"step {step.title}",
        changes={f"step:{step.id}": audit.snapshot(step, STEP_FIELDS)},
    )
    return step


def update_step(
    session: Session,
    actor: Actor,
    plan_id: uuid.UUID,
    step_id: uuid.UUID,
    data: StepUpdate,
    *,
    today: date,
) -> ClosingPlanStep:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    step = _step(session, plan, step_id)
    values = {k: getattr(data, k) for k in data.model_fields_set}
    for name in ("title", "side", "status", "note", "internal_note", "owner_name"):
        if name in values and values[name] is None:
            values.pop(name)
    # Setting one kind of owner clears the others.
    if values.get("owner_user_id") is not None:
        values.setdefault("owner_contact_id", None)
        values.setdefault("owner_name", "")
    elif values.get("owner_contact_id") is not None:
        values.setdefault("owner_user_id", None)
        values.setdefault("owner_name", "")
    elif (values.get("owner_name") or "").strip():
        values.setdefault("owner_user_id", None)
        values.setdefault("owner_contact_id", None)
    merged = {
        "owner_user_id": values.get("owner_user_id", step.owner_user_id),
        "owner_contact_id": values.get("owner_contact_id", step.owner_contact_id),
        "owner_name": values.get("owner_name", step.owner_name),
    }
    _check_step(session, plan, merged)
    # Only a done step has a done date: today unless given (or already set).
    status = values.get("status", step.status)
    if status is ClosingStepStatus.DONE:
        values["done_on"] = values.get("done_on") or step.done_on or today
    else:
        values["done_on"] = None
    changes = audit.apply_changes(step, values)
    if changes:
        _touch(plan)
        session.flush()
        audit.record(
            session,
            actor,
            "closing_plan.step_update",
            "closing_plan",
            plan.id,
            summary=f"step {step.title}",
            changes={f"step:{step.id}": changes},
        )
    return step


def complete_step(
    session: Session, actor: Actor, plan_id: uuid.UUID, step_id: uuid.UUID, *, today: date
) -> ClosingPlanStep:
    return update_step(
        session, actor, plan_id, step_id, StepUpdate(status=ClosingStepStatus.DONE), today=today
    )


def delete_step(session: Session, actor: Actor, plan_id: uuid.UUID, step_id: uuid.UUID) -> None:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    step = _step(session, plan, step_id)
    audit.record(
        session,
        actor,
        "closing_plan.step_delete",
        "closing_plan",
        plan.id,
        summary=f"step {step.title}",
        changes={f"step:{step.id}": audit.snapshot(step, STEP_FIELDS)},
    )
    session.delete(step)
    session.flush()
    _renumber(_steps(session, plan.id))
    _touch(plan)
    session.flush()


def reorder_steps(session: Session, actor: Actor, plan_id: uuid.UUID, data: StepOrder) -> None:
    """Put the steps in the order given (every step of the plan, once)."""
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    steps = _steps(session, plan.id)
    by_id = {s.id: s for s in steps}
    if len(data.step_ids) != len(set(data.step_ids)) or set(data.step_ids) != set(by_id):
        raise Invalid.field("step_ids", "list every step of the plan once", code="step_order")
    before = [str(s.id) for s in steps]
    ordered = [by_id[i] for i in data.step_ids]
    _renumber(ordered)
    if before != [str(i) for i in data.step_ids]:
        _touch(plan)
        audit.record(
            session,
            actor,
            "closing_plan.step_reorder",
            "closing_plan",
            plan.id,
            changes={"step_order": [before, [str(i) for i in data.step_ids]]},
        )
    session.flush()


def move_step(
    session: Session, actor: Actor, plan_id: uuid.UUID, step_id: uuid.UUID, offset: int
) -> None:
    """Move a step up (``offset`` −1) or down (+1)."""
    steps = _steps(session, plan_id)
    ids = [s.id for s in steps]
    if step_id not in ids:
        _plan(session, actor, plan_id)
        raise NotFound("step not found")
    i = ids.index(step_id)
    j = min(max(i + offset, 0), len(ids) - 1)
    ids.insert(j, ids.pop(i))
    reorder_steps(session, actor, plan_id, StepOrder(step_ids=ids))


def _renumber(steps: Sequence[ClosingPlanStep]) -> None:
    for i, step in enumerate(steps):
        if step.position != i:
            step.position = i


# ---------------------------------------------------------------------------- sharing


def share(
    session: Session, actor: Actor, plan_id: uuid.UUID, data: ShareCreate, *, zone: str
) -> ShareOut:
    """A new read-only link (the previous one stops working). The token is returned once."""
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    now = utc_now()
    expires_at = None
    if data.expires_on is not None:
        if data.expires_on < now.astimezone(ZoneInfo(zone)).date():
            raise Invalid.field("expires_on", "pick today or a later day", code="in_past")
        local_end = datetime.combine(data.expires_on + timedelta(days=1), time(0), ZoneInfo(zone))
        expires_at = local_end.astimezone(ZoneInfo("UTC"))
    token = new_secret(32)
    old = plan.share_token_hash is not None
    plan.share_token_hash = digest(token)
    plan.share_language = data.language
    plan.share_expires_at = expires_at
    plan.shared_at = now
    plan.shared_by_id = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        "closing_plan.share",
        "closing_plan",
        plan.id,
        summary="share link replaced" if old else "share link created",
        changes={
            "share_language": [None, data.language],
            "share_expires_at": [None, audit.json_safe(expires_at)],
        },
    )
    return ShareOut(
        token=token,
        path=f"/mcp/{token}",
        pdf_path=f"/mcp/{token}.pdf",
        language=data.language,
        expires_at=expires_at,
    )


def revoke_share(session: Session, actor: Actor, plan_id: uuid.UUID) -> None:
    actor.require(Permission.PIPELINE_WRITE)
    plan = _plan(session, actor, plan_id)
    if plan.share_token_hash is None:
        return
    plan.share_token_hash = None
    plan.share_expires_at = None
    plan.shared_at = None
    plan.shared_by_id = None
    session.flush()
    audit.record(
        session,
        actor,
        "closing_plan.unshare",
        "closing_plan",
        plan.id,
        summary="share link revoked",
    )


def public_plan(session: Session, token: str, *, today: date) -> PublicPlan:
    """The plan behind a share token, as the customer sees it; NotFound when the token is
    unknown, revoked or expired (all alike)."""
    if not token or len(token) > 100:
        raise NotFound("closing plan not found")
    plan = session.scalar(select(ClosingPlan).where(ClosingPlan.share_token_hash == digest(token)))
    if plan is None or not share_live(plan, utc_now()) or plan.archived:
        raise NotFound("closing plan not found")
    return customer_view(session, plan, plan.share_language, today=today)


def customer_view(session: Session, plan: ClosingPlan, language: str, *, today: date) -> PublicPlan:
    """The customer-facing content of a plan (the share page and both PDFs)."""
    out = _outs(session, [plan], today)[0]
    renews_on = out.renewal_renews_on
    return PublicPlan(
        title=out.title,
        account_name=out.account_name,
        goal=out.goal,
        language=language if language in ("ja", "en") else "ja",
        progress=out.progress,
        steps_total=out.steps_total,
        steps_done=out.steps_done,
        renews_on=renews_on,
        steps=[
            PublicStep(
                title=s.title,
                side=s.side,
                owner=s.owner_display,
                due_on=s.due_on,
                status=s.status,
                done_on=s.done_on,
                note=s.note,
                overdue=s.overdue,
            )
            for s in out.steps
        ],
        updated_at=out.updated_at,
    )


def plan_for_pdf(
    session: Session, actor: Actor, plan_id: uuid.UUID, language: str, *, today: date
) -> PublicPlan:
    actor.require(Permission.SALES_READ)
    return customer_view(session, _plan(session, actor, plan_id), language, today=today)


def plans_of_account(
    session: Session, actor: Actor, account_id: uuid.UUID, *, today: date
) -> list[PlanOut]:
    actor.require(Permission.SALES_READ)
    access_account(session, actor, account_id)
    return list_plans(session, actor, PlanFilters(account_id=account_id), today=today)
