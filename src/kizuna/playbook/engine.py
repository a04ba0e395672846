"""Evaluating playbooks: which accounts each active playbook fires for today, and (unless
it is a dry run) doing what it says.

One evaluation loads the facts every trigger and audience reads in one ``load_facts``
call, evaluates each condition over every account at once (numpy), and only then works
per fired account. The steps per playbook:

1. **Trigger → candidates.** Condition triggers (segment entered/left, health dropped,
   phase stalled, renewal in N days, seats nearly used, any condition) fire on the edge:
   the condition holds today and did not at the last evaluation (``PlaybookMatchSet``
   keeps the accounts it held for; ``segment_left`` fires on true → false). The first
   evaluation of a version whose trigger is new treats every account as "was false", so
   the accounts matching today fire once (``segment_left`` fires nobody then: nobody was
   known to be in the segment). Event triggers read their domain events (``EVENT_KINDS``:
   survey answers, accepted hand-offs, upsell leads, renewals at risk) since the last
   evaluation (looking back ``EVENT_OVERLAP`` for transactions that committed late; an
   event fires a playbook once). Date triggers fire on the days between the last
   evaluation and today. Manual playbooks fire only for the accounts someone runs them on.
2. **Gates.** The audience (segment and/or condition) and the touch models must hold
   *today*; then snoozed accounts, accounts in the cooldown after the last firing, and
   accounts with the playbook's task still open are skipped (counted by reason).
3. **Actions**, in order: tasks (routed, with the why), e-mail and Slack notifications
   (queued as jobs in the same transaction, sent after it commits), field updates, phase
   changes. Each firing is stored with its why and what its actions did.

A dry run stops before step 3's writes and before the state is updated: it writes
nothing, and says what would fire, to whom the tasks would go, and what would be skipped.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, delete, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.bulk import insert_rows
from kizuna.facts import conditions
from kizuna.facts.catalogue import FactsCache, fact_specs, load_facts
from kizuna.facts.frame import Facts, FactSpec, Kind
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.kit.ids import uuid7
from kizuna.models.account import Account
from kizuna.models.coverage import DEFAULT_TOUCH_MODEL, CoverageTier
from kizuna.models.enums import Tier
from kizuna.models.health import HealthScoreHistory
from kizuna.models.playbook import (
    Playbook,
    PlaybookFiring,
    PlaybookMatchSet,
    PlaybookRun,
    PlaybookSnooze,
    PlaybookStatus,
    PlaybookVersion,
)
from kizuna.models.segment import DomainEvent, Segment
from kizuna.models.task import Task, TaskStatus
from kizuna.models.user import Team, User
from kizuna.outbox import service as outbox
from kizuna.playbook import actions as act
from kizuna.playbook.definition import (
    CONDITION_TRIGGERS,
    EVENT_KINDS,
    Definition,
    health_change_fact,
    trigger_condition,
)
from kizuna.playbook.routing import AccountOwners, Person, Router
from kizuna.playbook.schemas import FiredOut, PlaybookReport, RunReport, SkipOut
from kizuna.playbook.why import explain_rows, jsonable, trigger_summary

EVENT_OVERLAP = timedelta(minutes=10)  # look back this far for late-committed events
MAX_DATE_WINDOW = 366  # days a date trigger catches up after a pause
DETAIL_LIMIT = 200  # accounts listed per playbook in a report
SKIP_REASONS = ("snoozed", "cooldown", "already_open")
Rows = npt.NDArray[np.int64]


@dataclass
class Prepared:
    """A playbook ready to evaluate: its definition and parsed conditions."""

    playbook: Playbook
    version: int
    definition: Definition
    published_at: datetime | None
    trigger: conditions.Condition | None = None
    audience: conditions.Condition | None = None
    fresh_state: bool = False  # the stored matches do not belong to this trigger
    error: str | None = None


@dataclass
class Firing:
    row: int
    why: dict[str, Any]
    event_id: uuid.UUID | None = None


@dataclass
class Outcome:
    """One playbook's result in this evaluation."""

    prepared: Prepared
    fired: list[Firing] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    entered: Rows = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    left: Rows = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    holds: Rows | None = None  # condition triggers: the rows the trigger holds for now
    events_until: datetime | None = None


def evaluate_playbooks(
    session: Session,
    actor: Actor,
    *,
    today: date,
    zone: str,
    data_dir: Path,
    dry_run: bool,
    playbook_ids: Collection[uuid.UUID] | None = None,
    drafts: Mapping[uuid.UUID, Definition] | None = None,
    manual: Mapping[uuid.UUID, Collection[uuid.UUID]] | None = None,
    origin: str = "schedule",
    public_url: str = "",
    now: datetime | None = None,
    as_permission: Permission = Permission.PLAYBOOK_ADMIN,
    cache: FactsCache | None = None,
) -> RunReport:
    """Evaluate the active playbooks (or ``playbook_ids``) over every account.

    ``drafts`` evaluates other definitions than the published ones (dry runs of a draft);
    ``manual`` gives the accounts a manual playbook runs on (``as_permission`` is then
    TASK_WRITE: people run manual playbooks on their accounts). Writes (tasks, firings, state,
    a ``PlaybookRun``) happen in the caller's transaction unless ``dry_run``. ``cache``:
    facts already loaded in this transaction (by the journey evaluation just before).
    """
    actor.require(as_permission)
    started = time.perf_counter()
    now = now or utc_now()
    base_specs = fact_specs(session, cache)
    prepared = _prepare(session, base_specs, playbook_ids, drafts or {}, dry_run=dry_run)
    specs = dict(base_specs)
    for p in prepared:
        if p.definition.trigger_type == "health_dropped":
            days = int(p.definition.trigger["days"])
            specs.setdefault(health_change_fact(days), _health_change_spec(days))
    segments = _segment_definitions(session, prepared)
    for p in prepared:
        _compile(p, specs, segments)
    facts = _load(session, prepared, specs, today=today, zone=zone, data_dir=data_dir, cache=cache)
    index = {str(a): n for n, a in enumerate(facts.account_ids)}
    uuids = _Uuids(facts.account_ids)
    run = None
    if not dry_run:
        run = PlaybookRun(
            started_at=now, origin=origin[:32], actor_id=actor.user_id, stats={}, errors=[]
        )
        session.add(run)
        session.flush()
    state = _State.load(session, prepared, index, today=today, now=now)
    events = _read_events(session, prepared, now=now, today=today, zone=zone)
    names = {str(s.id): s.name for s in segments.values()}
    touch = (
        _touch_array(session, facts)
        if any(p.definition.touch_models for p in prepared if p.error is None)
        else None
    )
    outcomes = []
    for p in prepared:
        outcome = Outcome(p)
        if p.error is None:
            try:
                _evaluate_one(
                    outcome,
                    facts,
                    state,
                    events,
                    index,
                    manual=(manual or {}).get(p.playbook.id),
                    touch=touch,
                    today=today,
                    now=now,
                    zone=zone,
                    segment_names=names,
                )
            except Invalid as exc:
                p.error = exc.message
                outcome = Outcome(p)
        outcomes.append(outcome)
    people = _People.load(session, outcomes)
    executor = act.Executor(
        session,
        actor,
        today=today,
        now=now,
        dry_run=dry_run,
        public_url=public_url,
        specs=specs,
        router=people.router,
        people=people.people,
        accounts=people.accounts,
        team_names=people.team_names,
    )
    reports = []
    total_fired = total_tasks = total_skipped = 0
    for outcome in outcomes:
        p = outcome.prepared
        report = _report_base(p, names)
        if p.error is not None:
            report.error = p.error
            reports.append(report)
            continue
        results = executor.run(p.playbook, p.version, p.definition, outcome.fired, facts)
        report.fired_count = len(outcome.fired)
        report.tasks_created = sum(r.task_count for r in results)
        report.skipped = dict(outcome.skipped)
        for firing, result in list(zip(outcome.fired, results, strict=True))[:DETAIL_LIMIT]:
            report.fired.append(
                FiredOut(
                    account_id=uuid.UUID(str(facts.account_ids[firing.row])),
                    account_name=people.account_name(facts.account_ids[firing.row]),
                    why=firing.why,
                    tasks=result.tasks,
                    notifications=result.notifications,
                    updates=result.updates,
                )
            )
        report.skipped_accounts = [
            SkipOut(
                account_id=uuid.UUID(str(facts.account_ids[row])),
                account_name=people.account_name(facts.account_ids[row]),
                reason=reason,
            )
            for row, reason in outcome.skipped_rows[:DETAIL_LIMIT]
        ]
        total_fired += report.fired_count
        total_tasks += report.tasks_created
        total_skipped += sum(outcome.skipped[r] for r in SKIP_REASONS)
        reports.append(report)
        if run is not None:
            _write(session, actor, run, outcome, results, uuids, today=today, now=now)
    duration = int((time.perf_counter() - started) * 1000)
    if run is not None:
        run.finished_at = utc_now()
        run.duration_ms = duration
        run.playbooks = len(prepared)
        run.accounts = len(facts)
        run.fired = total_fired
        run.skipped = total_skipped
        run.tasks_created = total_tasks
        run.stats = {
            str(r.playbook_id): {"fired": r.fired_count, "tasks": r.tasks_created, **r.skipped}
            for r in reports
        }
        run.errors = [{"playbook": r.key, "error": r.error} for r in reports if r.error]
        session.flush()
    return RunReport(
        run_id=run.id if run is not None else None,
        dry_run=dry_run,
        today=today,
        started_at=now,
        duration_ms=duration,
        accounts=len(facts),
        fired=total_fired,
        tasks_created=total_tasks,
        playbooks=reports,
    )


# --------------------------------------------------------------------------- preparing


def _prepare(
    session: Session,
    specs: Mapping[str, FactSpec],
    playbook_ids: Collection[uuid.UUID] | None,
    drafts: Mapping[uuid.UUID, Definition],
    *,
    dry_run: bool,
) -> list[Prepared]:
    stmt = select(Playbook).order_by(Playbook.key)
    if playbook_ids is None:
        stmt = stmt.where(Playbook.status == PlaybookStatus.ACTIVE)
    else:
        stmt = stmt.where(Playbook.id.in_(list(playbook_ids)))
    playbooks = [
        p
        for p in session.scalars(stmt)
        if p.id in drafts
        or (p.published_version is not None and (dry_run or p.status == PlaybookStatus.ACTIVE))
    ]
    published = (
        {
            (v.playbook_id, v.number): v
            for v in session.scalars(
                select(PlaybookVersion).where(
                    tuple_(PlaybookVersion.playbook_id, PlaybookVersion.number).in_(
                        [(p.id, p.published_version) for p in playbooks if p.published_version]
                    )
                )
            )
        }
        if any(p.published_version for p in playbooks)
        else {}
    )
    out = []
    for p in playbooks:
        current = published.get((p.id, p.published_version)) if p.published_version else None
        if p.id in drafts:
            definition = drafts[p.id]
            number = (p.published_version or 0) + 1
            same = current is not None and current.definition.get("trigger") == definition.trigger
            fresh = not same or p.state_version is None
            out.append(Prepared(p, number, definition, None, fresh_state=fresh))
            continue
        if current is None:
            continue
        out.append(
            Prepared(
                p,
                current.number,
                Definition(current.definition),
                current.published_at,
                fresh_state=p.state_version is None,
            )
        )
    return out


def _segment_definitions(session: Session, prepared: Sequence[Prepared]) -> dict[str, Segment]:
    wanted = set()
    for p in prepared:
        if p.definition.trigger_type in ("segment_entered", "segment_left"):
            wanted.add(uuid.UUID(str(p.definition.trigger["segment_id"])))
        if p.definition.segment_id is not None:
            wanted.add(p.definition.segment_id)
    if not wanted:
        return {}
    return {str(s.id): s for s in session.scalars(select(Segment).where(Segment.id.in_(wanted)))}


def _compile(p: Prepared, specs: Mapping[str, FactSpec], segments: Mapping[str, Segment]) -> None:
    d = p.definition
    try:
        if d.trigger_type in ("segment_entered", "segment_left"):
            segment = segments.get(str(d.trigger["segment_id"]))
            if segment is None:
                raise Invalid.field("trigger.segment_id", "the segment no longer exists")
            p.trigger = conditions.parse(segment.definition, specs, field="segment")
        elif d.trigger_type in CONDITION_TRIGGERS:
            p.trigger = conditions.parse(trigger_condition(d), specs, field="trigger")
        parts = []
        if d.segment_id is not None:
            segment = segments.get(str(d.segment_id))
            if segment is None:
                raise Invalid.field("audience.segment_id", "the segment no longer exists")
            parts.append(conditions.parse(segment.definition, specs, field="audience.segment"))
        if d.audience_condition:
            parts.append(conditions.parse(d.audience_condition, specs, field="audience"))
        p.audience = conditions.All(tuple(parts)) if parts else None
    except Invalid as exc:
        p.error = exc.message


def _health_change_spec(days: int) -> FactSpec:
    return FactSpec(
        key=health_change_fact(days),
        kind=Kind.NUMBER,
        name=f"スコア変化 ({days}日)",
        name_en=f"Score change ({days} days)",
        group="health",
    )


def _load(
    session: Session,
    prepared: Sequence[Prepared],
    specs: dict[str, FactSpec],
    *,
    today: date,
    zone: str,
    data_dir: Path,
    cache: FactsCache | None,
) -> Facts:
    keys, changes = _fact_keys(prepared, specs)
    facts = load_facts(
        session, keys, today=today, zone=zone, data_dir=data_dir, specs=specs, cache=cache
    )
    facts.specs = specs
    if changes:
        index = {a: n for n, a in enumerate(facts.account_ids)}
        score = facts.column("health.score")
        for days in sorted(changes):
            past = np.full(len(facts), np.nan)
            for account_id, value in session.execute(
                select(HealthScoreHistory.account_id, HealthScoreHistory.score).where(
                    HealthScoreHistory.scored_on == today - timedelta(days=days)
                )
            ):
                row = index.get(str(account_id))
                if row is not None and value is not None:
                    past[row] = float(value)
            facts.columns[health_change_fact(days)] = score - past
    return facts


def facts_needed(session: Session, cache: FactsCache | None = None) -> set[str]:
    """The facts the active playbooks read: what a job evaluating the journey and then the
    playbooks loads in one pass per provider (``FactsCache.ahead``)."""
    specs = fact_specs(session, cache)
    prepared = _prepare(session, specs, None, {}, dry_run=False)
    segments = _segment_definitions(session, prepared)
    for p in prepared:
        _compile(p, specs, segments)
    keys, _ = _fact_keys(prepared, specs)
    return {k for k in keys if k in specs}


def _fact_keys(
    prepared: Sequence[Prepared], specs: Mapping[str, FactSpec]
) -> tuple[set[str], set[int]]:
    """The facts the playbooks read, and the spans (days) of the ``health.change_<n>d``
    facts they name, computed from the score history rather than loaded."""
    keys: set[str] = set()
    changes: set[int] = set()
    for p in prepared:
        if p.error is not None:
            continue
        for cond in (p.trigger, p.audience):
            if cond is not None:
                keys |= conditions.facts_used(cond)
        if p.definition.touch_models:
            keys.add("account.touch_model" if "account.touch_model" in specs else "account.tier")
        if p.definition.trigger_type == "date_field":
            keys.add(str(p.definition.trigger["fact"]))
    for key in list(keys):
        if key.startswith("health.change_") and key != "health.change_7d":
            keys.discard(key)
            keys.add("health.score")
            changes.add(int(key.removeprefix("health.change_").removesuffix("d")))
    return keys, changes


# --------------------------------------------------------------------------- state


@dataclass
class _State:
    """What the gates and edges need, loaded for every playbook at once."""

    matches: dict[uuid.UUID, Rows]
    snoozed: dict[uuid.UUID, set[int]]
    cooling: dict[uuid.UUID, dict[int, datetime]]  # last firing per row
    open_tasks: dict[uuid.UUID, set[int]]

    @classmethod
    def load(
        cls,
        session: Session,
        prepared: Sequence[Prepared],
        index: Mapping[str, int],
        *,
        today: date,
        now: datetime,
    ) -> _State:
        """Ids are read in their stored form (no UUID object per row: the match and task
        tables hold tens of thousands of rows after a first evaluation)."""
        state = cls({}, defaultdict(set), defaultdict(dict), defaultdict(set))
        live = [p for p in prepared if p.error is None]
        if not live:
            return state
        ids = [p.playbook.id for p in live]
        by_key = {p.playbook.id.hex: p.playbook.id for p in live}
        rows = {a.replace("-", ""): n for a, n in index.items()}

        def pairs(stmt: Any) -> Iterator[tuple[uuid.UUID, int]]:
            for playbook_raw, account_raw in session.execute(stmt):
                playbook_id = by_key.get(_hex(playbook_raw))
                row = rows.get(_hex(account_raw))
                if playbook_id is not None and row is not None:
                    yield playbook_id, row

        fresh = {p.playbook.id for p in live if p.fresh_state}
        condition = [
            p.playbook.id
            for p in live
            if p.definition.trigger_type in CONDITION_TRIGGERS and p.playbook.id not in fresh
        ]
        if condition:
            sets = select(_raw(PlaybookMatchSet.playbook_id), PlaybookMatchSet.accounts)
            for playbook_raw, blob in session.execute(
                sets.where(PlaybookMatchSet.playbook_id.in_(condition))
            ):
                playbook_id = by_key.get(_hex(playbook_raw))
                if playbook_id is None:
                    continue
                hexes = bytes(blob).hex()
                found = (rows.get(hexes[i : i + 32]) for i in range(0, len(hexes), 32))
                state.matches[playbook_id] = np.fromiter(
                    (r for r in found if r is not None), dtype=np.int64
                )
        snoozes = select(_raw(PlaybookSnooze.playbook_id), _raw(PlaybookSnooze.account_id))
        snoozes = snoozes.where(PlaybookSnooze.playbook_id.in_(ids), PlaybookSnooze.until > today)
        for playbook_id, row in pairs(snoozes):
            state.snoozed[playbook_id].add(row)
        with_tasks = [p.playbook.id for p in live if p.definition.creates_tasks()]
        if with_tasks:
            open_tasks = select(_raw(Task.playbook_id), _raw(Task.account_id)).where(
                Task.playbook_id.in_(with_tasks), Task.status == TaskStatus.OPEN
            )
            for playbook_id, row in pairs(open_tasks):
                state.open_tasks[playbook_id].add(row)
        cooling = {p.playbook.id: p.definition.cooldown_days for p in live}
        cooling = {k: v for k, v in cooling.items() if v > 0}
        if cooling:
            since = now - timedelta(days=max(cooling.values()))
            last = session.execute(
                select(
                    _raw(PlaybookFiring.playbook_id),
                    _raw(PlaybookFiring.account_id),
                    func.max(PlaybookFiring.fired_at),
                )
                .where(
                    PlaybookFiring.playbook_id.in_(list(cooling)),
                    PlaybookFiring.fired_at >= since,
                )
                .group_by(PlaybookFiring.playbook_id, PlaybookFiring.account_id)
            )
            for playbook_raw, account_raw, at in last:
                fired_by = by_key.get(_hex(playbook_raw))
                fired_row = rows.get(_hex(account_raw))
                if fired_by is not None and fired_row is not None and at is not None:
                    state.cooling[fired_by][fired_row] = _aware(
                        at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                    )
        return state


def _raw(column: Any) -> Any:
    """A uuid column as the driver hands it over (32 hex characters on SQLite, a UUID on
    PostgreSQL), skipping SQLAlchemy's conversion of each value."""
    return type_coerce(column, String)


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class _Events:
    by_kind: dict[str, list[DomainEvent]]
    fired: dict[uuid.UUID, set[uuid.UUID]]  # playbook → event ids that already fired it


def _event_since(p: Prepared, *, now: datetime, today: date, zone: str) -> datetime:
    if p.playbook.events_until is not None and not p.fresh_state:
        return _aware(p.playbook.events_until) - EVENT_OVERLAP
    if p.published_at is not None:
        return _aware(p.published_at)
    # A draft's dry run: today's events.
    return datetime.combine(today, datetime.min.time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _read_events(
    session: Session, prepared: Sequence[Prepared], *, now: datetime, today: date, zone: str
) -> _Events:
    readers = [p for p in prepared if p.error is None and p.definition.trigger_type in EVENT_KINDS]
    if not readers:
        return _Events({}, {})
    since = min(_event_since(p, now=now, today=today, zone=zone) for p in readers)
    kinds = {EVENT_KINDS[p.definition.trigger_type] for p in readers}
    events = outbox.read_since(session, since, kinds=kinds, until=now, limit=100_000)
    by_kind: dict[str, list[DomainEvent]] = defaultdict(list)
    for event in events:
        by_kind[event.kind].append(event)
    fired: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if events:
        for playbook_id, event_id in session.execute(
            select(PlaybookFiring.playbook_id, PlaybookFiring.event_id).where(
                PlaybookFiring.playbook_id.in_([p.playbook.id for p in readers]),
                PlaybookFiring.event_id.is_not(None),
                PlaybookFiring.fired_at >= since - timedelta(days=1),
            )
        ):
            if event_id is not None:
                fired[playbook_id].add(event_id)
    return _Events(by_kind, fired)


# --------------------------------------------------------------------------- evaluation


def _evaluate_one(
    outcome: Outcome,
    facts: Facts,
    state: _State,
    events: _Events,
    index: Mapping[str, int],
    *,
    manual: Collection[uuid.UUID] | None,
    touch: npt.NDArray[Any] | None,
    today: date,
    now: datetime,
    zone: str,
    segment_names: Mapping[str, str],
) -> None:
    p = outcome.prepared
    d = p.definition
    pid = p.playbook.id
    n = len(facts)
    kind = d.trigger_type
    candidates = np.zeros(n, dtype=bool)
    extra: dict[int, dict[str, Any]] = {}
    event_ids: dict[int, uuid.UUID] = {}
    if kind in CONDITION_TRIGGERS and p.trigger is not None:
        holds = conditions.evaluate(p.trigger, facts)
        before = np.zeros(n, dtype=bool)
        if not p.fresh_state and pid in state.matches:
            before[state.matches[pid]] = True
        candidates = (before & ~holds) if kind == "segment_left" else (holds & ~before)
        outcome.entered = np.flatnonzero(holds & ~before)
        outcome.left = np.flatnonzero(before & ~holds)
        outcome.holds = np.flatnonzero(holds)
    elif kind in EVENT_KINDS:
        since = _event_since(p, now=now, today=today, zone=zone)
        done = events.fired.get(pid, set())
        for event in events.by_kind.get(EVENT_KINDS[kind], []):
            if _aware(event.occurred_at) < since or event.id in done or event.account_id is None:
                continue
            if kind == "nps_detractor" and not _detractor(event.payload, d.trigger):
                continue
            row = index.get(str(event.account_id))
            if row is None or row in event_ids:
                continue
            candidates[row] = True
            event_ids[row] = event.id
            extra[row] = {
                "event": {
                    "id": str(event.id),
                    "kind": event.kind,
                    "payload": jsonable(event.payload),
                    "occurred_at": _aware(event.occurred_at).isoformat(),
                }
            }
        outcome.events_until = now
    elif kind == "date_field":
        last = p.playbook.evaluated_on if not p.fresh_state else None
        start = (
            max(last, today - timedelta(days=MAX_DATE_WINDOW))
            if last
            else today - timedelta(days=1)
        )
        column = facts.column(str(d.trigger["fact"]))
        candidates = _date_hits(
            column, int(d.trigger["offset_days"]), bool(d.trigger["anniversary"]), start, today
        )
        for hit in np.flatnonzero(candidates):
            extra[int(hit)] = {
                "date": {
                    "fact": d.trigger["fact"],
                    "date": jsonable(facts.value(str(d.trigger["fact"]), int(hit))),
                    "offset_days": d.trigger["offset_days"],
                }
            }
    elif kind == "manual" and manual:
        for account_id in manual:
            chosen = index.get(str(account_id))
            if chosen is not None:
                candidates[chosen] = True
    # Gates: who (audience) and how (touch model) must hold today.
    audience = conditions.evaluate(p.audience, facts) if p.audience is not None else None
    if audience is not None:
        outcome.skipped["outside_audience"] = int((candidates & ~audience).sum())
        candidates &= audience
    if d.touch_models and touch is not None:
        allowed = np.isin(touch, d.touch_models)
        outcome.skipped["touch_model"] = int((candidates & ~allowed).sum())
        candidates &= allowed
    cooldown = timedelta(days=d.cooldown_days)
    fired_rows = []
    for candidate in np.flatnonzero(candidates):
        r = int(candidate)
        reason = None
        if r in state.snoozed.get(pid, ()):
            reason = "snoozed"
        elif (
            d.cooldown_days
            and r in state.cooling.get(pid, {})
            and (now - state.cooling[pid][r] < cooldown)
        ):
            reason = "cooldown"
        elif d.creates_tasks() and r in state.open_tasks.get(pid, ()):
            reason = "already_open"
        if reason is None:
            fired_rows.append(r)
        else:
            outcome.skipped[reason] += 1
            outcome.skipped_rows.append((r, reason))
    rows = np.asarray(fired_rows, dtype=np.int64)
    trigger_checks = explain_rows(p.trigger, facts, rows)
    audience_checks = explain_rows(p.audience, facts, rows)
    summary = trigger_summary(d.trigger, segment_names)
    for n_row, r in enumerate(fired_rows):
        why: dict[str, Any] = {
            "playbook": {
                "id": str(pid),
                "key": p.playbook.key,
                "name": p.playbook.name,
                "version": p.version,
            },
            "trigger": jsonable(d.trigger),
            "summary": summary,
            "checks": trigger_checks[n_row],
            "audience": audience_checks[n_row],
            "evaluated_at": now.isoformat(),
            "today": today.isoformat(),
        }
        if kind == "segment_left":
            why["edge"] = "true_to_false"
        elif kind in CONDITION_TRIGGERS:
            why["edge"] = "false_to_true"
        if d.touch_models and touch is not None:
            why["touch_model"] = touch[r]
        why |= extra.get(r, {})
        outcome.fired.append(Firing(r, why, event_ids.get(r)))


def _touch_array(session: Session, facts: Facts) -> npt.NDArray[Any]:
    """Each account's touch model: the coverage fact when the catalogue has it, else the
    tier's (coverage rows, seed 000's defaults)."""
    if "account.touch_model" in facts.columns:
        column: npt.NDArray[Any] = facts.columns["account.touch_model"]
        return column
    mapping = {t.value: m.value for t, m in DEFAULT_TOUCH_MODEL.items()}
    for tier, model in session.execute(select(CoverageTier.tier, CoverageTier.touch_model)):
        mapping[str(getattr(tier, "value", tier))] = str(getattr(model, "value", model))
    tiers = facts.column("account.tier")
    return np.array([mapping.get(t) if t else None for t in tiers], dtype=object)


def _detractor(payload: Mapping[str, Any], trigger: Mapping[str, Any]) -> bool:
    score = payload.get("score")
    if (
        payload.get("kind") != "nps"
        or isinstance(score, bool)
        or not isinstance(score, int | float)
    ):
        return False
    return bool(score <= int(trigger["max_score"]))


def _date_hits(
    column: npt.NDArray[Any], offset: int, anniversary: bool, after: date, until: date
) -> npt.NDArray[np.bool_]:
    """Accounts whose date + ``offset`` days (or a yearly anniversary of it, from the first
    anniversary on) falls in ``(after, until]``."""
    dates = column.astype("datetime64[D]")
    valid = ~np.isnat(dates)
    hits = np.zeros(len(dates), dtype=bool)
    if not anniversary:
        target = dates + np.timedelta64(offset, "D")
        low, high = np.datetime64(after, "D"), np.datetime64(until, "D")
        inside: npt.NDArray[np.bool_] = valid & (target > low) & (target <= high)
        return inside
    safe = np.where(valid, dates, np.datetime64("2000-01-01", "D"))
    years = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    months = safe.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (safe - safe.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    day = after + timedelta(days=1)
    while day <= until:
        base = day - timedelta(days=offset)
        same = (months == base.month) & (days == base.day)
        if base.month == 2 and base.day == 28 and not _leap(base.year):
            same |= (months == 2) & (days == 29)
        hits |= valid & same & (years < base.year)
        day += timedelta(days=1)
    return hits


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --------------------------------------------------------------------------- people


@dataclass
class _People:
    router: Router
    people: dict[uuid.UUID, Person]
    accounts: dict[str, AccountOwners]
    team_names: dict[uuid.UUID, str]

    def account_name(self, account_id: Any) -> str:
        owners = self.accounts.get(str(account_id))
        return owners.name if owners else str(account_id)

    @classmethod
    def load(cls, session: Session, outcomes: Sequence[Outcome]) -> _People:
        people = {
            u.id: Person(u.id, u.name, u.email, u.locale, u.team_id)
            for u in session.scalars(select(User).where(User.is_active.is_(True)))
        }
        members: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for person in sorted(people.values(), key=lambda x: (x.name, x.email)):
            if person.team_id is not None:
                members[person.team_id].append(person.id)
        tier_teams: dict[str, uuid.UUID | None] = {}
        for tier, team_id in session.execute(select(CoverageTier.tier, CoverageTier.team_id)):
            tier_teams[tier.value if isinstance(tier, Tier) else str(tier)] = team_id
        # When each team member last received a playbook task (as an order: 1, 2, …).
        last: dict[uuid.UUID, float] = {}
        member_ids = [m for team in members.values() for m in team]
        if member_ids:
            newest = session.execute(
                select(Task.assignee_id, func.max(Task.created_at))
                .where(Task.source == "playbook", Task.assignee_id.in_(member_ids))
                .group_by(Task.assignee_id)
            ).all()
            for order, (assignee_id, _at) in enumerate(sorted(newest, key=lambda r: _aware(r[1]))):
                if assignee_id is not None:
                    last[assignee_id] = float(order + 1)
        accounts: dict[str, AccountOwners] = {}
        if any(o.fired or o.skipped_rows for o in outcomes):
            for row in session.execute(
                select(
                    Account.id,
                    Account.name,
                    Account.tier,
                    Account.csm_owner_id,
                    Account.sales_owner_id,
                    Account.ae_owner_id,
                    Account.support_owner_id,
                )
            ):
                accounts[str(row[0])] = AccountOwners(
                    id=row[0],
                    name=row[1],
                    tier=row[2].value if row[2] else None,
                    owners={"csm": row[3], "sales": row[4], "ae": row[5], "support": row[6]},
                )
        team_names = dict(session.execute(select(Team.id, Team.name)).all())
        by_email = {p.email.lower(): p.id for p in people.values()}
        router = Router(people, by_email, members, tier_teams, last)
        return cls(router, people, accounts, team_names)


# --------------------------------------------------------------------------- reports, writes


def _report_base(p: Prepared, segment_names: Mapping[str, str]) -> PlaybookReport:
    return PlaybookReport(
        playbook_id=p.playbook.id,
        key=p.playbook.key,
        name=p.playbook.name,
        version=p.version,
        trigger_type=p.definition.trigger_type,
        trigger_summary=trigger_summary(p.definition.trigger, segment_names),
    )


def _write(
    session: Session,
    actor: Actor,
    run: PlaybookRun,
    outcome: Outcome,
    results: Sequence[act.Result],
    uuids: _Uuids,
    *,
    today: date,
    now: datetime,
) -> None:
    p = outcome.prepared
    pid = p.playbook.id
    if outcome.holds is not None and (p.fresh_state or len(outcome.entered) or len(outcome.left)):
        accounts = bytes.fromhex("".join(uuids.hex(r) for r in outcome.holds))
        session.execute(delete(PlaybookMatchSet).where(PlaybookMatchSet.playbook_id == pid))
        session.add(
            PlaybookMatchSet(
                playbook_id=pid, accounts=accounts, count=len(outcome.holds), updated_at=now
            )
        )
    if outcome.fired:
        insert_rows(
            session,
            PlaybookFiring.__table__,
            [
                {
                    "id": uuid7(),
                    "playbook_id": pid,
                    "version": p.version,
                    "account_id": uuids[f.row],
                    "run_id": run.id,
                    "fired_at": now,
                    "event_id": f.event_id,
                    "why": f.why,
                    "actions": {"results": r.log},
                }
                for f, r in zip(outcome.fired, results, strict=True)
            ],
        )
        tasks = sum(r.task_count for r in results)
        audit.record(
            session,
            actor,
            "playbook.fire",
            "playbook",
            pid,
            summary=f"{p.playbook.key} v{p.version}: {len(outcome.fired)} accounts, {tasks} tasks",
            changes={"fired": [None, len(outcome.fired)], "tasks": [None, tasks]},
        )
    playbook = p.playbook
    playbook.state_version = p.version
    playbook.evaluated_at = now
    playbook.evaluated_on = today
    if outcome.events_until is not None:
        playbook.events_until = outcome.events_until
    session.flush()


class _Uuids:
    """The account id of a facts row as a UUID, made once per row that needs one."""

    def __init__(self, ids: npt.NDArray[np.object_]) -> None:
        self.ids = ids
        self.made: dict[int, uuid.UUID] = {}

    def hex(self, row: int | np.integer[Any]) -> str:
        """The id's 32 hex digits (no UUID object made)."""
        return str(self.ids[int(row)]).replace("-", "")

    def __getitem__(self, row: int | np.integer[Any]) -> uuid.UUID:
        key = int(row)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = uuid.UUID(str(self.ids[key]))
        return found
