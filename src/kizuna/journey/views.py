"""Read models of the journey: one account's journey (Account 360), the board (accounts
as cards by phase, the most overdue first) and the stalled list."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.facts.catalogue import fact_specs, load_facts
from kizuna.facts.conditions import evaluate, explain, facts_used, parse
from kizuna.facts.frame import FactSpec
from kizuna.facts.journey import local_days
from kizuna.journey.definition import PHASE_ORDER, Definition, load_definition
from kizuna.journey.goals import goals_of
from kizuna.journey.schemas import (
    AccountJourneyOut,
    AccountPhaseOut,
    AccountStepOut,
    BoardOut,
    CardOut,
    CheckOut,
    ColumnOut,
    HistoryOut,
    StalledOut,
)
from kizuna.kit.errors import Invalid
from kizuna.models.account import Account
from kizuna.models.enums import Phase, Tier
from kizuna.models.journey import AccountJourneyStep, JourneyPhaseHistory, JourneyStep
from kizuna.models.user import User

BOARD_LIMIT = 50
PAGE_SIZE = 100
StalledSort = Literal["over", "days", "name"]


# -- one account ---------------------------------------------------------------------------


def account_journey(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    *,
    today: date,
    zone: str,
    data_dir: Path,
    live: bool = True,
) -> AccountJourneyOut:
    """The account's phase, days in it against the target, every step with its state, the
    evidence of completion and (``live``) each criterion against today's data, the phase
    history with durations, and the customer's goals."""
    account = access_account(session, actor, account_id)
    definition = load_definition(session)
    tz = ZoneInfo(zone)
    states = {
        s.step_id: s
        for s in session.scalars(
            select(AccountJourneyStep).where(AccountJourneyStep.account_id == account.id)
        )
    }
    history = list(
        session.scalars(
            select(JourneyPhaseHistory)
            .where(JourneyPhaseHistory.account_id == account.id)
            .order_by(JourneyPhaseHistory.entered_at, JourneyPhaseHistory.id)
        )
    )
    user_ids = {s.completed_by_id for s in states.values() if s.completed_by_id}
    user_ids |= {h.moved_by_id for h in history if h.moved_by_id}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    specs = fact_specs(session)
    # today's checks for the steps still open only: done steps show their evidence
    open_steps = [s for s in definition.steps if not (s.id in states and states[s.id].done)]
    live_checks = (
        _live_checks(session, open_steps, account.id, specs, today, zone, data_dir) if live else {}
    )
    targets = {p.phase: p.target_days for p in definition.phases}
    current = account.phase.value if account.phase else None
    open_row = next(
        (h for h in reversed(history) if h.exited_at is None and h.phase == current), None
    )
    days = local_days(open_row.entered_at, today, tz) if open_row is not None else None
    target = targets.get(current) if current else None
    phases = []
    for p in definition.phases:
        steps = [
            _step_out(s, states.get(s.id), names, specs, live_checks.get(s.key))
            for s in definition.by_phase[p.phase]
        ]
        required = [s for s in steps if s.required]
        if current is None:
            state: Literal["done", "current", "upcoming"] = "upcoming"
        elif PHASE_ORDER[p.phase] < PHASE_ORDER[current]:
            state = "done"
        elif p.phase == current:
            state = "current"
        else:
            state = "upcoming"
        phases.append(
            AccountPhaseOut(
                phase=Phase(p.phase),
                name=p.name,
                name_en=p.name_en,
                target_days=p.target_days,
                state=state,
                steps=steps,
                required_done=sum(1 for s in required if s.done),
                required_total=len(required),
            )
        )
    current_phase = definition.phase(current) if current else None
    return AccountJourneyOut(
        account_id=account.id,
        account_name=account.name,
        phase=account.phase,
        phase_name=current_phase.name if current_phase else None,
        phase_name_en=current_phase.name_en if current_phase else None,
        entered_at=open_row.entered_at if open_row else None,
        entered_on=open_row.entered_at.astimezone(tz).date() if open_row else None,
        days_in_phase=days,
        target_days=target,
        overdue=days is not None and target is not None and days > target,
        phases=phases,
        history=[_history_out(h, targets, names, today, tz) for h in reversed(history)],
        goals=goals_of(session, account.id, today),
    )


def _live_checks(
    session: Session,
    steps: list[JourneyStep],
    account_id: uuid.UUID,
    specs: dict[str, FactSpec],
    today: date,
    zone: str,
    data_dir: Path,
) -> dict[str, tuple[bool, list[CheckOut]]]:
    conditions = {}
    for step in steps:
        if step.criteria is None:
            continue
        try:
            conditions[step.key] = parse(step.criteria, specs)
        except Invalid:
            continue
    if not conditions:
        return {}
    keys = set().union(*(facts_used(c) for c in conditions.values()))
    facts = load_facts(session, keys, today=today, zone=zone, data_dir=data_dir, specs=specs)
    row = facts.row_of(str(account_id))
    if row is None:
        return {}
    one = facts.take([row])
    out = {}
    for key, condition in conditions.items():
        passed = bool(evaluate(condition, one)[0])
        checks = [
            _check_out(c.fact, c.op, c.value, c.actual, c.passed, specs, negated=c.negated)
            for c in explain(condition, one, 0)
        ]
        out[key] = (passed, checks)
    return out


def _check_out(
    fact: str,
    op: str,
    value: Any,
    actual: Any,
    passed: bool,
    specs: dict[str, FactSpec],
    *,
    negated: bool = False,
) -> CheckOut:
    spec = specs.get(fact)
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(actual, date):
        actual = actual.isoformat()
    return CheckOut(
        fact=fact,
        fact_name=spec.name if spec else fact,
        fact_name_en=(spec.name_en or spec.name) if spec else fact,
        unit=spec.unit if spec else "",
        op=op,
        value=value,
        actual=actual,
        passed=passed,
        negated=negated,
    )


def _step_out(
    step: Any,
    state: AccountJourneyStep | None,
    names: dict[uuid.UUID, str],
    specs: dict[str, FactSpec],
    live: tuple[bool, list[CheckOut]] | None,
) -> AccountStepOut:
    done = bool(state and state.done)
    evidence = (state.evidence or {}) if state is not None and done else {}
    by = None
    if done and state is not None:
        by = names.get(state.completed_by_id) if state.completed_by_id else None
        by = by or state.completed_by_system
    return AccountStepOut(
        key=step.key,
        name=step.name,
        name_en=step.name_en,
        description=step.description,
        required=step.required,
        manual=step.manual,
        has_criteria=step.criteria is not None,
        done=done,
        completed_at=state.completed_at if done and state is not None else None,
        completed_by=by,
        completed_by_id=state.completed_by_id if done and state is not None else None,
        reopened_at=state.reopened_at if state is not None and not done else None,
        note=str(evidence.get("note", "")),
        evidence=[
            _check_out(
                c["fact"],
                c["op"],
                c.get("value"),
                c.get("actual"),
                c["passed"],
                specs,
                negated=bool(c.get("negated")),
            )
            for c in evidence.get("checks", [])
        ],
        checks=live[1] if live else [],
        criteria_passed=live[0] if live else None,
    )


def _history_out(
    h: JourneyPhaseHistory,
    targets: dict[str, int],
    names: dict[uuid.UUID, str],
    today: date,
    tz: ZoneInfo,
) -> HistoryOut:
    start = h.entered_at.astimezone(tz).date()
    end = today if h.exited_at is None else h.exited_at.astimezone(tz).date()
    days = (end - start).days
    target = targets.get(h.phase)
    return HistoryOut(
        phase=Phase(h.phase),
        entered_at=h.entered_at,
        exited_at=h.exited_at,
        entered_on=start,
        exited_on=end if h.exited_at is not None else None,
        days=days,
        target_days=target,
        overdue=target is not None and days > target,
        moved_by=names.get(h.moved_by_id) if h.moved_by_id else None,
        moved_by_id=h.moved_by_id,
        moved_by_system=h.moved_by_system,
        reason=h.reason,
    )


# -- the board and the stalled list --------------------------------------------------------


@dataclass
class _Row:
    account_id: uuid.UUID
    name: str
    tier: Tier | None
    csm_owner_id: uuid.UUID | None
    phase: str
    entered_at: datetime | None
    entered_on: date | None
    days: int | None
    target: int

    @property
    def over(self) -> int | None:
        return None if self.days is None else self.days - self.target


def _rows(
    session: Session,
    definition: Definition,
    *,
    today: date,
    zone: str,
    phase: str | None = None,
    csm_owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
) -> list[_Row]:
    """Every account in the journey (or one phase) with its days in phase: one query."""
    targets = {p.phase: p.target_days for p in definition.phases}
    stmt = (
        select(
            Account.id,
            Account.name,
            Account.tier,
            Account.csm_owner_id,
            Account.phase,
            JourneyPhaseHistory.phase,
            JourneyPhaseHistory.entered_at,
        )
        .outerjoin(
            JourneyPhaseHistory,
            and_(
                JourneyPhaseHistory.account_id == Account.id,
                JourneyPhaseHistory.exited_at.is_(None),
            ),
        )
        .where(Account.phase.is_not(None))
    )
    if phase is not None:
        stmt = stmt.where(Account.phase == Phase(phase))
    if csm_owner_id is not None:
        stmt = stmt.where(Account.csm_owner_id == csm_owner_id)
    if tier is not None:
        stmt = stmt.where(Account.tier == tier)
    tz = ZoneInfo(zone)
    out: dict[uuid.UUID, _Row] = {}
    for account_id, name, tier_, csm, account_phase, open_phase, entered in session.execute(stmt):
        value = str(account_phase.value if account_phase is not None else "")
        matches = entered is not None and open_phase == value
        row = _Row(
            account_id=account_id,
            name=name,
            tier=tier_,
            csm_owner_id=csm,
            phase=value,
            entered_at=entered if matches else None,
            entered_on=entered.astimezone(tz).date() if matches else None,
            days=local_days(entered, today, tz) if matches else None,
            target=targets.get(value, 0),
        )
        if account_id not in out or (row.days is not None):
            out[account_id] = row
    return list(out.values())


def _only(rows: list[_Row], account_ids: Collection[uuid.UUID] | None) -> list[_Row]:
    if account_ids is None:
        return rows
    keep = set(account_ids)
    return [r for r in rows if r.account_id in keep]


def _sort_key(row: _Row) -> tuple[int, int, str]:
    """Most overdue first; accounts without a known entry last."""
    return (0 if row.over is not None else 1, -(row.over or 0), row.name)


def _cards(session: Session, definition: Definition, rows: list[_Row]) -> list[CardOut]:
    """Cards of some accounts: CSM names and done steps in one query each."""
    if not rows:
        return []
    ids = [r.account_id for r in rows]
    done: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for account_id, step_id in session.execute(
        select(AccountJourneyStep.account_id, AccountJourneyStep.step_id).where(
            AccountJourneyStep.account_id.in_(ids), AccountJourneyStep.done.is_(True)
        )
    ):
        done[account_id].add(step_id)
    csm_ids = {r.csm_owner_id for r in rows if r.csm_owner_id}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(csm_ids))).all())
        if csm_ids
        else {}
    )
    cards = []
    for r in rows:
        steps = definition.by_phase.get(r.phase, [])
        first_open = next((s for s in steps if s.required and s.id not in done[r.account_id]), None)
        cards.append(
            CardOut(
                account_id=r.account_id,
                name=r.name,
                tier=r.tier,
                csm_name=names.get(r.csm_owner_id) if r.csm_owner_id else None,
                phase=Phase(r.phase),
                entered_at=r.entered_at,
                entered_on=r.entered_on,
                days_in_phase=r.days,
                target_days=r.target,
                days_over=r.over,
                overdue=r.over is not None and r.over > 0,
                steps_done=sum(1 for s in steps if s.id in done[r.account_id]),
                steps_total=len(steps),
                first_open_step=first_open.key if first_open else None,
                first_open_step_name=first_open.name if first_open else None,
                first_open_step_name_en=first_open.name_en if first_open else None,
            )
        )
    return cards


def board(
    session: Session,
    actor: Actor,
    *,
    today: date,
    zone: str,
    csm_owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    overdue_only: bool = False,
    limit: int = BOARD_LIMIT,
    account_ids: Collection[uuid.UUID] | None = None,
) -> BoardOut:
    """Three columns with counts; each shows its ``limit`` most overdue accounts
    (``account_ids``: only these, e.g. a segment's members)."""
    actor.require(Permission.ACCOUNT_READ)
    definition = load_definition(session)
    rows = _rows(session, definition, today=today, zone=zone, csm_owner_id=csm_owner_id, tier=tier)
    rows = _only(rows, account_ids)
    if overdue_only:
        rows = [r for r in rows if r.over is not None and r.over > 0]
    by_phase: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        by_phase[r.phase].append(r)
    shown: list[_Row] = []
    for phase_rows in by_phase.values():
        phase_rows.sort(key=_sort_key)
        shown += phase_rows[:limit]
    cards = {c.account_id: c for c in _cards(session, definition, shown)}
    columns = []
    for p in definition.phases:
        mine = by_phase.get(p.phase, [])
        columns.append(
            ColumnOut(
                phase=Phase(p.phase),
                name=p.name,
                name_en=p.name_en,
                target_days=p.target_days,
                count=len(mine),
                overdue=sum(1 for r in mine if r.over is not None and r.over > 0),
                cards=[cards[r.account_id] for r in mine[:limit]],
            )
        )
    return BoardOut(columns=columns, limit=limit)


def stalled(
    session: Session,
    actor: Actor,
    *,
    today: date,
    zone: str,
    phase: Phase | None = Phase.ONBOARDING,
    overdue_only: bool = True,
    csm_owner_id: uuid.UUID | None = None,
    tier: Tier | None = None,
    sort: StalledSort = "over",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    account_ids: Collection[uuid.UUID] | None = None,
) -> StalledOut:
    """Accounts past their phase's target (``phase`` None: any phase), with the first
    incomplete required step; ``overdue_only=False`` lists every account of the phase."""
    actor.require(Permission.ACCOUNT_READ)
    definition = load_definition(session)
    rows = _rows(
        session,
        definition,
        today=today,
        zone=zone,
        phase=phase.value if phase else None,
        csm_owner_id=csm_owner_id,
        tier=tier,
    )
    rows = _only(rows, account_ids)
    if overdue_only:
        rows = [r for r in rows if r.over is not None and r.over > 0]
    if sort == "name":
        rows.sort(key=lambda r: r.name)
    elif sort == "days":
        rows.sort(key=lambda r: (r.days is None, -(r.days or 0), r.name))
    else:
        rows.sort(key=_sort_key)
    total = len(rows)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    chunk = rows[(page - 1) * page_size : page * page_size]
    return StalledOut(items=_cards(session, definition, chunk), total=total, page=page, pages=pages)


def phase_names(definition: Definition, locale: str) -> dict[str, str]:
    return {
        p.phase: (p.name_en or p.name) if locale.startswith("en") else p.name
        for p in definition.phases
    }


def csm_owners(session: Session) -> list[tuple[uuid.UUID, str]]:
    """The CSMs owning accounts in the journey (the board's filter), by name."""
    owned = select(Account.csm_owner_id).where(Account.phase.is_not(None))
    rows = session.execute(
        select(User.id, User.name).where(User.id.in_(owned)).order_by(User.name)
    ).all()
    return [(r[0], r[1]) for r in rows]
