"""The customer's own goals (customer-outcome milestones, seed 002): what the customer
wants to achieve in its business, by when, and whether it did. Shown beside the phases;
``journey.goals_achieved_ratio`` makes them a fact (segments, health, playbooks)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.journey.schemas import GoalIn, GoalOut, GoalUpdate
from kizuna.kit.clock import today as local_today
from kizuna.kit.errors import Invalid, NotFound
from kizuna.models.journey import AccountGoal

_FIELDS = ("title", "metric", "target_value", "due_on", "status", "achieved_on", "note")


def goals_of(session: Session, account_id: uuid.UUID, today: date) -> list[GoalOut]:
    """An account's goals, by due date (undated last); call after ``access_account``."""
    rows = session.scalars(
        select(AccountGoal)
        .where(AccountGoal.account_id == account_id)
        .order_by(AccountGoal.due_on.is_(None), AccountGoal.due_on, AccountGoal.title)
    )
    return [_out(g, today) for g in rows]


def _out(goal: AccountGoal, today: date) -> GoalOut:
    out = GoalOut.model_validate(goal)
    out.overdue = goal.status == "planned" and goal.due_on is not None and goal.due_on < today
    return out


def list_goals(session: Session, actor: Actor, account_id: uuid.UUID) -> list[GoalOut]:
    access_account(session, actor, account_id)
    return goals_of(session, account_id, local_today(actor.timezone))


def _check(values: dict[str, object], today: date) -> None:
    if values.get("status") == "achieved" and values.get("achieved_on") is None:
        values["achieved_on"] = today
    if values.get("status") != "achieved":
        values["achieved_on"] = None


def create_goal(session: Session, actor: Actor, account_id: uuid.UUID, data: GoalIn) -> AccountGoal:
    account = access_account(session, actor, account_id, write=True)
    values = data.model_dump()
    _check(values, local_today(actor.timezone))
    _unique(session, account.id, data.title, None)
    goal = AccountGoal(account_id=account.id, created_by_id=actor.user_id, **values)
    session.add(goal)
    session.flush()
    audit.record(
        session, actor, "journey.goal.create", "account", account.id,
        summary=goal.title, changes=audit.snapshot(goal, list(_FIELDS)),
    )  # fmt: skip
    return goal


def update_goal(
    session: Session, actor: Actor, account_id: uuid.UUID, goal_id: uuid.UUID, data: GoalUpdate
) -> AccountGoal:
    account = access_account(session, actor, account_id, write=True)
    goal = _get(session, account.id, goal_id)
    given = data.model_dump(exclude_unset=True)
    values = {k: v for k, v in given.items() if v is not None or k in ("due_on", "achieved_on")}
    merged = {"status": goal.status, "achieved_on": goal.achieved_on, **values}
    _check(merged, local_today(actor.timezone))
    values["achieved_on"] = merged["achieved_on"]
    if "title" in values and values["title"] != goal.title:
        _unique(session, account.id, values["title"], goal.id)
    changes = audit.apply_changes(goal, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "journey.goal.update", "account", account.id,
            summary=goal.title, changes=changes,
        )  # fmt: skip
    return goal


def delete_goal(session: Session, actor: Actor, account_id: uuid.UUID, goal_id: uuid.UUID) -> None:
    account = access_account(session, actor, account_id, write=True)
    goal = _get(session, account.id, goal_id)
    audit.record(
        session, actor, "journey.goal.delete", "account", account.id,
        summary=goal.title, changes={"title": [goal.title, None]},
    )  # fmt: skip
    session.delete(goal)
    session.flush()


def _get(session: Session, account_id: uuid.UUID, goal_id: uuid.UUID) -> AccountGoal:
    goal = session.get(AccountGoal, goal_id)
    if goal is None or goal.account_id != account_id:
        raise NotFound("goal not found")
    return goal


def _unique(session: Session, account_id: uuid.UUID, title: str, current: uuid.UUID | None) -> None:
    clash = session.scalar(
        select(AccountGoal.id).where(
            AccountGoal.account_id == account_id, AccountGoal.title == title
        )
    )
    if clash is not None and clash != current:
        raise Invalid.field("title", "this account already has a goal with this title", "duplicate")
