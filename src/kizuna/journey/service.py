"""Journey use cases: evaluate every account against the step criteria (completing steps,
entering and advancing phases), check and un-check steps by hand, move an account to
another phase with a reason, and the public ``move_phase`` other features call.

Rules (docs/journey.md):

- **Entering.** An account without a phase enters onboarding when it holds an active
  subscription line today (``products`` is set).
- **Completion is sticky.** A step completed automatically (``completed_by_system`` =
  ``journey``, with the checks as evidence) or by hand stays complete when the data later
  changes. An un-check is audited and marks the step *reopened*: a step people may check
  is then completed again only by hand (the person's "not done" outranks the data); a
  data-only step is evaluated again.
- **Advancing.** An account leaves its phase when every required step of that phase is
  complete, possibly through several phases in one evaluation; it never moves back by
  itself. A person (or a playbook) may move it anywhere with a reason.
- **History.** Every stay in a phase is a ``journey_phase_history`` row. Accounts that had
  a phase before the journey existed get an open row with an estimated entry: the first
  subscription start, plus the target days of the earlier phases (never after now; the
  account's creation when it has no subscription); ``moved_by_system`` = ``estimate``.
  When ``account.phase`` was changed elsewhere (the account form, an import), the next
  evaluation closes the old row and opens one with ``moved_by_system`` = ``account``.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.bulk import insert_rows
from kizuna.facts.catalogue import FactsCache, fact_specs, load_facts
from kizuna.facts.conditions import (
    Condition,
    checks_json,
    evaluate,
    facts_used,
    outcomes,
    parse,
)
from kizuna.facts.frame import Facts
from kizuna.journey.definition import (
    PHASE_ORDER,
    PHASES,
    Definition,
    get_step,
    load_definition,
)
from kizuna.journey.evaluation import NO_PHASE, advance
from kizuna.journey.schemas import EvaluationResult
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.account import Account
from kizuna.models.audit import AuditEvent
from kizuna.models.enums import Phase
from kizuna.models.journey import AccountJourneyStep, JourneyPhaseHistory
from kizuna.models.segment import DomainEvent
from kizuna.models.subscription import Subscription

EVALUATE_JOB = "journey.evaluate"
# The facts an evaluation changes (phases, steps, history): a FactsCache forgets them.
JOURNEY_FACTS = ("journey.", "account.phase")
PHASE_CHANGED = "journey.phase_changed"  # domain event, one per phase entered
SYSTEM_JOURNEY = "journey"
SYSTEM_ESTIMATE = "estimate"
SYSTEM_ACCOUNT = "account"
# The reasons of moves the system makes (English msgids: pages show them translated).
REASON_ENTERED = N_("Entered: holds an active subscription line")
REASON_ADVANCED = N_("The previous phase's required steps are complete")
REASON_ESTIMATE = N_("Estimated entry: the phase was set before the journey existed")
REASON_ACCOUNT = N_("Phase changed on the account record")
_CHUNK = 2000


# -- moving accounts between phases ---------------------------------------------------------


@dataclass
class _Move:
    """An account entering ``path`` (one or more phases, in order) from ``old``."""

    account_id: uuid.UUID
    old: str | None
    path: list[str]
    close_id: uuid.UUID | None  # the open history row to close (None: there is none)
    reason: str
    system: str | None = None
    reasons: list[str] = field(default_factory=list)  # per phase entered (default: reason)


def _write_moves(session: Session, actor: Actor, moves: Sequence[_Move], now: datetime) -> None:
    """History rows, ``account.phase``, one audit event per account and one domain event per
    phase entered — in a handful of statements whatever the number of accounts."""
    if not moves:
        return
    close = [m.close_id for m in moves if m.close_id is not None]
    for chunk in _chunks(close):
        session.execute(
            update(JourneyPhaseHistory)
            .where(JourneyPhaseHistory.id.in_(chunk))
            .values(exited_at=now)
            .execution_options(synchronize_session=False)
        )
    history: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    by_phase: dict[str, list[uuid.UUID]] = defaultdict(list)
    for m in moves:
        previous = m.old
        for n, phase in enumerate(m.path):
            # phases passed in one go get consecutive microseconds, so they stay in order
            entered, left = now + timedelta(microseconds=n), now + timedelta(microseconds=n + 1)
            last = n == len(m.path) - 1
            reason = m.reasons[n] if n < len(m.reasons) else m.reason
            history.append(
                {
                    "account_id": m.account_id,
                    "phase": phase,
                    "entered_at": entered,
                    "exited_at": None if last else left,
                    "moved_by_id": actor.user_id,
                    "moved_by_system": m.system,
                    "reason": reason,
                }
            )
            events.append(
                {
                    "kind": PHASE_CHANGED,
                    "account_id": m.account_id,
                    "payload": {"from": previous, "to": phase, "by": m.system or "user"},
                    "occurred_at": entered,
                }
            )
            previous = phase
        by_phase[m.path[-1]].append(m.account_id)
        audits.append(
            {
                "occurred_at": now,
                "actor_kind": actor.kind,
                "actor_user_id": actor.user_id,
                "action": "journey.move",
                "object_type": "account",
                "object_id": str(m.account_id),
                "summary": m.reason[:300],
                "changes": {"phase": [m.old, m.path[-1]]},
                "ip": actor.ip,
                "actor_name": actor.name[:100],
            }
        )
    session.execute(insert(JourneyPhaseHistory), history)
    for phase, ids in by_phase.items():
        for chunk in _chunks(ids):
            session.execute(
                update(Account)
                .where(Account.id.in_(chunk))
                .values(phase=Phase(phase), updated_at=now)
                .execution_options(synchronize_session=False)
            )
    moved = {m.account_id for m in moves}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account) and obj.id in moved:
            session.expire(obj, ["phase", "updated_at"])  # bulk UPDATEs skip unloaded fields
    session.execute(insert(AuditEvent), audits)
    session.execute(insert(DomainEvent), events)


def _chunks(items: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _open_row(session: Session, account_id: uuid.UUID) -> JourneyPhaseHistory | None:
    return session.scalar(
        select(JourneyPhaseHistory)
        .where(
            JourneyPhaseHistory.account_id == account_id,
            JourneyPhaseHistory.exited_at.is_(None),
        )
        .order_by(JourneyPhaseHistory.entered_at.desc())
        .limit(1)
    )


def move_phase(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    phase: Phase | str,
    *,
    reason: str,
    system: str | None = None,
) -> None:
    """Move an account to ``phase`` (any direction), closing its current stay.

    A person (``system`` None) needs ACCOUNT_WRITE and a reason; features moving accounts
    pass ``system`` (``playbook:<key>``, ``import``). Moving to the current phase does
    nothing. Audited as ``journey.move``; publishes ``journey.phase_changed``.
    """
    account = access_account(session, actor, account_id, write=True)
    try:
        target = Phase(phase).value
    except ValueError:
        raise Invalid.field("phase", f"one of {', '.join(PHASE_ORDER)}", code="bad_phase") from None
    reason = (reason or "").strip()
    if system is None and not reason:
        raise Invalid.field("reason", "say why the account moves", code="required")
    if system is not None and not (1 <= len(system) <= 64):
        raise ValueError(f"system must be 1–64 characters: {system!r}")
    old = account.phase.value if account.phase else None
    if old == target:
        return
    current = _open_row(session, account.id)
    _write_moves(
        session,
        actor,
        [
            _Move(
                account_id=account.id,
                old=old,
                path=[target],
                close_id=current.id if current is not None else None,
                reason=reason,
                system=system,
            )
        ],
        utc_now(),
    )
    session.flush()


# -- manual checks --------------------------------------------------------------------------


def check_step(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    key: str,
    *,
    done: bool,
    note: str = "",
) -> bool:
    """Check (``done``) or un-check a step by hand (ACCOUNT_WRITE), audited. A check may
    complete the account's phase: it advances at once. Returns whether anything changed."""
    account = access_account(session, actor, account_id, write=True)
    step = get_step(session, key)
    if done and not step.manual:
        raise Conflict("this step is completed from data only", code="not_manual")
    state = session.get(AccountJourneyStep, (account.id, step.id))
    now = utc_now()
    changes: dict[str, list[Any]]
    if done:
        if state is not None and state.done:
            return False
        if state is None:
            state = AccountJourneyStep(account_id=account.id, step_id=step.id)
            session.add(state)
        state.done = True
        state.completed_at = now
        state.completed_by_id = actor.user_id
        state.completed_by_system = None if actor.user_id else (actor.name or "system")
        state.evidence = {"note": note.strip()} if note.strip() else {}
        state.reopened_at = None
        state.reopened_by_id = None
        action, changes = "journey.step.check", {"done": [False, True]}
    else:
        if state is None or not state.done:
            return False
        state.done = False
        state.reopened_at = now
        state.reopened_by_id = actor.user_id
        action, changes = "journey.step.uncheck", {"done": [True, False]}
    if note.strip():
        changes["note"] = [None, note.strip()]
    session.flush()
    audit.record(
        session, actor, action, "account", account.id,
        summary=f"{step.name} ({step.key})", changes={"step": [None, step.key], **changes},
    )  # fmt: skip
    if done:
        advance_accounts(session, actor, [account.id])
    return True


def advance_accounts(session: Session, actor: Actor, account_ids: Collection[uuid.UUID]) -> int:
    """Advance the given accounts on their stored step states only (no facts): used right
    after a manual check. Returns the number of phase moves."""
    if not account_ids:
        return 0
    definition = load_definition(session)
    ids = list(account_ids)
    phases = dict(
        session.execute(select(Account.id, Account.phase).where(Account.id.in_(ids))).all()
    )
    done: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for account_id, step_id in session.execute(
        select(AccountJourneyStep.account_id, AccountJourneyStep.step_id).where(
            AccountJourneyStep.account_id.in_(ids), AccountJourneyStep.done.is_(True)
        )
    ):
        done[account_id].add(step_id)
    order = list(phases)
    current = np.array([_index(phases[a]) for a in order], dtype=np.int64)
    complete = np.array(
        [[_required_done(definition, p.value, done[a]) for p in PHASES] for a in order], dtype=bool
    ).reshape(len(order), len(PHASES))
    new, moved = advance(current, complete, current != NO_PHASE)
    moves = []
    for n, account_id in enumerate(order):
        if moved[n] > 0:
            opened = _open_row(session, account_id)
            close_id = (
                opened.id
                if opened is not None and opened.phase == PHASES[int(current[n])].value
                else None
            )
            moves.append(_advance_move(account_id, int(current[n]), int(new[n]), close_id))
    _write_moves(session, actor, moves, utc_now())
    session.flush()
    return int(moved.sum())


def _index(phase: Phase | None) -> int:
    return NO_PHASE if phase is None else PHASE_ORDER[phase.value]


def _required_done(definition: Definition, phase: str, done: set[uuid.UUID]) -> bool:
    return all(s.id in done for s in definition.by_phase.get(phase, []) if s.required)


def _advance_move(account_id: uuid.UUID, old: int, new: int, close_id: uuid.UUID | None) -> _Move:
    return _Move(
        account_id=account_id,
        old=PHASES[old].value,
        path=[PHASES[k].value for k in range(old + 1, new + 1)],
        close_id=close_id,
        reason=REASON_ADVANCED,
        system=SYSTEM_JOURNEY,
    )


# -- evaluation ---------------------------------------------------------------------------


def evaluate_journey(
    session: Session,
    actor: Actor,
    *,
    today: date,
    zone: str,
    data_dir: Path,
    account_ids: Collection[uuid.UUID] | None = None,
    cache: FactsCache | None = None,
) -> EvaluationResult:
    """Evaluate every step's criteria for every account in the journey (or only
    ``account_ids``), complete the steps that pass, enter and advance phases, and write
    only the changes, in bulk. The facts of all criteria come from one ``load_facts``
    (through ``cache`` when given: the playbooks evaluated next reuse what it loaded)."""
    actor.require(Permission.JOURNEY_ADMIN)
    started = time.perf_counter()
    now = utc_now()
    definition = load_definition(session)
    specs = fact_specs(session, cache)
    criteria_specs = {k: v for k, v in specs.items() if not k.startswith("journey.")}
    conditions: dict[uuid.UUID, Condition] = {}
    skipped: list[str] = []
    for step in definition.steps:
        if step.criteria is None:
            continue
        try:
            conditions[step.id] = parse(step.criteria, criteria_specs)
        except Invalid:
            skipped.append(step.key)
    keys = {"products"}.union(*(facts_used(c) for c in conditions.values()))
    if cache is not None:  # what this evaluation writes is read again after it, not ahead
        cache.ahead = {k for k in cache.ahead if not k.startswith(JOURNEY_FACTS)}
    facts = load_facts(
        session, keys, today=today, zone=zone, data_dir=data_dir, specs=specs, cache=cache
    )
    if cache is not None:
        cache.drop(*JOURNEY_FACTS)
    n = len(facts)
    index = {a: i for i, a in enumerate(facts.account_ids.tolist())}
    selected = np.ones(n, dtype=bool)
    if account_ids is not None:
        selected[:] = False
        rows = [index[str(a)] for a in account_ids if str(a) in index]
        selected[rows] = True

    state = _load_state(session, facts, index, definition)
    held = np.array([bool(x) for x in facts.column("products")], dtype=bool)
    enter = selected & (state.phase == NO_PHASE) & held
    phase = state.phase.copy()
    phase[enter] = PHASE_ORDER[Phase.ONBOARDING.value]
    member = selected & (phase != NO_PHASE)

    opened = _reconcile(session, state, phase, selected, enter, definition, now, zone)
    completed = _complete_steps(session, definition, conditions, facts, state, member, now)

    complete = np.ones((n, len(PHASES)), dtype=bool)
    for p, ph in enumerate(PHASES):
        for step in definition.by_phase.get(ph.value, []):
            if step.required:
                complete[:, p] &= state.done[:, state.column[step.id]]
    new, moved = advance(phase, complete, member)

    moves: list[_Move] = []
    ids = state.ids
    for row in np.flatnonzero(enter | (moved > 0)).tolist():
        account_id = ids[row]
        if enter[row]:
            start = PHASE_ORDER[Phase.ONBOARDING.value]
            move = _Move(
                account_id=account_id,
                old=None,
                path=[Phase.ONBOARDING.value],
                close_id=None,
                reason=REASON_ENTERED,
                system=SYSTEM_JOURNEY,
            )
            if new[row] > start:
                more = _advance_move(account_id, start, int(new[row]), None)
                move.path += more.path
                move.reasons = [move.reason, *more.reasons]
                move.reason = more.reason
            moves.append(move)
        else:
            current = state.open_by_row.get(row)
            close_id = opened.get(row) or (current[0] if current else None)
            moves.append(_advance_move(account_id, int(phase[row]), int(new[row]), close_id))
    _write_moves(session, actor, moves, now)
    result = EvaluationResult(
        accounts=int(selected.sum()),
        entered=int(enter.sum()),
        steps_completed=completed,
        phases_advanced=int(moved.sum()),
        accounts_advanced=int((moved > 0).sum()),
        history_opened=len(opened),
        skipped_steps=skipped,
        seconds=0.0,
    )
    if moves or completed or opened:
        audit.record(
            session, actor, "journey.evaluate", "journey", "journey",
            summary=(
                f"{result.steps_completed} steps completed, {result.entered} entered, "
                f"{result.phases_advanced} phase moves"
            ),
            changes={k: [None, v] for k, v in result.model_dump(exclude={"seconds"}).items()},
        )  # fmt: skip
    session.flush()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


@dataclass
class _State:
    ids: list[uuid.UUID]
    phase: npt.NDArray[np.int64]  # the account's phase index (NO_PHASE: none)
    column: dict[uuid.UUID, int]  # step id → column
    done: npt.NDArray[np.bool_]  # [account, step]
    reopened: npt.NDArray[np.bool_]  # [account, step]: un-checked by hand
    open_by_row: dict[int, tuple[uuid.UUID, str]]  # row → (open history id, its phase)


def _load_state(
    session: Session, facts: Facts, index: dict[str, int], definition: Definition
) -> _State:
    """Phases, step states and open history rows of every account, as arrays by row.

    Ids are read as the driver returns them (``type_coerce`` skips SQLAlchemy's UUID
    conversion, a third of the evaluation at 10 k accounts): hex text on SQLite, UUID
    objects on PostgreSQL; the lookups accept both.
    """
    n = len(facts)
    ids = [uuid.UUID(a) for a in facts.account_ids.tolist()]
    rows = _raw_index({u: i for i, u in enumerate(ids)})
    phase = np.full(n, NO_PHASE, dtype=np.int64)
    for raw_id, account_phase in session.execute(
        select(_raw(Account.id), Account.phase).where(Account.phase.is_not(None))
    ):
        row = rows.get(raw_id)
        if row is not None:  # None: created after the facts were read (next time)
            phase[row] = _index(account_phase)
    column = {s.id: j for j, s in enumerate(definition.steps)}
    columns = _raw_index(column)
    done = np.zeros((n, len(column)), dtype=bool)
    reopened = np.zeros((n, len(column)), dtype=bool)
    for raw_id, raw_step, is_done in session.execute(
        select(
            _raw(AccountJourneyStep.account_id),
            _raw(AccountJourneyStep.step_id),
            AccountJourneyStep.done,
        )
    ):
        row, j = rows.get(raw_id), columns.get(raw_step)
        if row is None or j is None:
            continue
        if is_done:
            done[row, j] = True
        else:
            reopened[row, j] = True
    open_by_row: dict[int, tuple[uuid.UUID, str]] = {}
    for history_id, raw_id, value in session.execute(
        select(
            JourneyPhaseHistory.id, _raw(JourneyPhaseHistory.account_id), JourneyPhaseHistory.phase
        ).where(JourneyPhaseHistory.exited_at.is_(None))
    ):
        row = rows.get(raw_id)
        if row is not None:
            open_by_row[row] = (history_id, value)
    return _State(
        ids=ids,
        phase=phase,
        column=column,
        done=done,
        reopened=reopened,
        open_by_row=open_by_row,
    )


def _raw(column: Any) -> Any:
    """``column`` without SQLAlchemy's result conversion (ids as the driver returns them)."""
    return type_coerce(column, _RAW)


_RAW = String()


def _raw_index(by_id: dict[uuid.UUID, int]) -> dict[Any, int]:
    """``by_id`` keyed by each form a driver may return an id in (UUID, hex, text)."""
    out: dict[Any, int] = {}
    for key, value in by_id.items():
        out[key] = out[key.hex] = out[str(key)] = value
    return out


def _created(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    found: dict[uuid.UUID, datetime] = {}
    for chunk in _chunks(list(ids)):
        rows = session.execute(select(Account.id, Account.created_at).where(Account.id.in_(chunk)))
        found.update({row[0]: row[1] for row in rows})
    return found


def _reconcile(
    session: Session,
    state: _State,
    phase: npt.NDArray[np.int64],
    selected: npt.NDArray[np.bool_],
    enter: npt.NDArray[np.bool_],
    definition: Definition,
    now: datetime,
    zone: str,
) -> dict[int, uuid.UUID]:
    """Bring the history in line with ``account.phase`` for the selected accounts: close
    rows whose phase is not the account's, open estimated rows where none is open. Returns
    the rows opened (row → history id), which advancing may close again."""
    close: list[uuid.UUID] = []
    rows_opened: dict[int, uuid.UUID] = {}
    to_open: list[tuple[int, str]] = []  # (row, system)
    for row in np.flatnonzero(selected & ~enter).tolist():
        current = state.open_by_row.get(row)
        p = int(phase[row])
        if current is not None and (p == NO_PHASE or current[1] != PHASES[p].value):
            close.append(current[0])
            del state.open_by_row[row]
            if p != NO_PHASE:
                to_open.append((row, SYSTEM_ACCOUNT))
        elif current is None and p != NO_PHASE:
            to_open.append((row, SYSTEM_ESTIMATE))
    if not to_open and not close:
        return rows_opened
    for chunk in _chunks(close):
        session.execute(
            update(JourneyPhaseHistory)
            .where(JourneyPhaseHistory.id.in_(chunk))
            .values(exited_at=now)
            .execution_options(synchronize_session=False)
        )
    estimated = [state.ids[row] for row, s in to_open if s == SYSTEM_ESTIMATE]
    starts = _first_starts(session) if estimated else {}
    created = _created(session, estimated) if estimated else {}
    targets = {p.phase: p.target_days for p in definition.phases}
    rows = []
    for row, system in to_open:
        account_id = state.ids[row]
        value = PHASES[int(phase[row])].value
        if system == SYSTEM_ESTIMATE:
            entered = _estimate(
                value, starts.get(account_id), created.get(account_id, now), targets, now, zone
            )
            reason = REASON_ESTIMATE
        else:
            entered = now
            reason = REASON_ACCOUNT
        history_id = uuid.uuid4()
        rows_opened[row] = history_id
        rows.append(
            {
                "id": history_id,
                "account_id": account_id,
                "phase": value,
                "entered_at": entered,
                "exited_at": None,
                "moved_by_id": None,
                "moved_by_system": system,
                "reason": reason,
            }
        )
    insert_rows(session, JourneyPhaseHistory.__table__, rows)
    return rows_opened


def _first_starts(session: Session) -> dict[uuid.UUID, date]:
    return dict(
        session.execute(
            select(Subscription.account_id, func.min(Subscription.start_on)).group_by(
                Subscription.account_id
            )
        ).all()
    )


def _estimate(
    phase: str,
    first_start: date | None,
    created_at: datetime,
    targets: dict[str, int],
    now: datetime,
    zone: str,
) -> datetime:
    """When an account that already had ``phase`` probably entered it (see the module)."""
    if first_start is None:
        return min(created_at, now)
    before = sum(targets.get(p.value, 0) for p in PHASES[: PHASE_ORDER[phase]])
    day = first_start + timedelta(days=before)
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return min(local.astimezone(UTC), now)


def _complete_steps(
    session: Session,
    definition: Definition,
    conditions: dict[uuid.UUID, Condition],
    facts: Facts,
    state: _State,
    member: npt.NDArray[np.bool_],
    now: datetime,
) -> int:
    """Complete the steps whose criteria pass (and are not done) for journey members;
    marks them done in ``state``. Returns how many."""
    inserts: list[dict[str, Any]] = []
    reopen_updates: list[dict[str, Any]] = []
    for step in definition.steps:
        condition = conditions.get(step.id)
        if condition is None:
            continue
        j = state.column[step.id]
        blocked = state.reopened[:, j] if step.manual else np.zeros(len(member), dtype=bool)
        candidates = member & ~state.done[:, j] & ~blocked
        if not candidates.any():
            continue
        rows = np.flatnonzero(candidates & evaluate(condition, facts))
        if not len(rows):
            continue
        checks = checks_json(outcomes(condition, facts), facts, rows)
        for k, row in enumerate(rows.tolist()):
            values = {
                "done": True,
                "completed_at": now,
                "completed_by_id": None,
                "completed_by_system": SYSTEM_JOURNEY,
                "evidence": {"checks": checks[k]},
                "reopened_at": None,
                "reopened_by_id": None,
            }
            if state.reopened[row, j]:
                reopen_updates.append({"account_id": state.ids[row], "step_id": step.id, **values})
            else:
                inserts.append({"account_id": state.ids[row], "step_id": step.id, **values})
        state.done[rows, j] = True
        state.reopened[rows, j] = False
    insert_rows(session, AccountJourneyStep.__table__, inserts)
    if reopen_updates:
        session.execute(update(AccountJourneyStep), reopen_updates)
    return len(inserts) + len(reopen_updates)
