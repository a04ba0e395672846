"""Coverage use cases: the coverage model, tier rules, assignment rules, books of business
and re-balancing (C6; seed 000, seed 001 §6-4).

* Tier rules are an ordered list of (condition → tier); the first rule an account matches
  gives its tier, accounts no rule matches get Tier 3, pinned accounts
  (``Account.tier_pinned``) are never changed. With no enabled rule nothing changes (an
  empty list must not demote everybody to Tier 3).
* Assignment rules are an ordered list of (condition → owner field → strategy). For each
  owner field the first matching rule decides; it fills accounts whose field is empty, or
  with ``reassign`` also those owned by someone the rule would not choose (outside the
  team, or not the fixed user). Strategies: ``coverage/assignment.py``.
* Runs write in bulk: each changed account gets its own ``account.update`` audit event
  (``{"tier": [old, new]}`` or ``{"csm_owner_id": [old, new]}``) and a domain event
  (``account.tier_changed`` / ``account.owner_assigned``), and the run one summary event.
  A dry run computes the same changes and writes nothing (not even the round-robin
  pointer).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.coverage import assignment, books
from kizuna.coverage.defaults import DEFAULT_COVERAGE, ROLE_FIELD, TEAM_FIELD
from kizuna.coverage.schemas import (
    ApplyIn,
    ApplyOut,
    AssignmentRuleFile,
    AssignmentRuleIn,
    AssignmentRun,
    BookOut,
    BooksOut,
    MoveOut,
    OwnerChange,
    RebalanceIn,
    RebalanceOut,
    RulesFile,
    TeamTotalOut,
    TierChange,
    TierCoverage,
    TierCoverageFile,
    TierCoverageIn,
    TierRuleFile,
    TierRuleIn,
    TierRun,
    Unassigned,
)
from kizuna.facts import conditions
from kizuna.facts.frame import Facts
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.money import minor_digits
from kizuna.models.account import Account
from kizuna.models.audit import AuditEvent
from kizuna.models.coverage import (
    AssignmentRule,
    AssignmentStrategy,
    CoverageTier,
    OwnerField,
    TierRule,
)
from kizuna.models.enums import Tier
from kizuna.models.segment import DomainEvent
from kizuna.models.user import Team, User
from kizuna.segment.evaluation import FactSource

CHUNK = 500
RuleT = TypeVar("RuleT", TierRule, AssignmentRule)
ItemT = TypeVar("ItemT", TierRuleIn, AssignmentRuleIn)
APPLY_JOB = "coverage.apply_tiers"  # daily at 04:15, before the journey (04:30) and playbooks


# --------------------------------------------------------------------------- coverage model


def _teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def coverage_model(session: Session, actor: Actor) -> list[TierCoverage]:
    """How each tier is covered: the stored row, else seed 000's default (with the first
    team of the right kind)."""
    actor.require(Permission.ACCOUNT_READ)
    teams = _teams(session)
    names = {t.id: t.name for t in teams}
    stored = {row.tier: row for row in session.scalars(select(CoverageTier))}
    out = []
    for default in DEFAULT_COVERAGE:
        row = stored.get(default.tier)
        if row is not None:
            out.append(
                TierCoverage(
                    tier=row.tier,
                    touch_model=row.touch_model,
                    team_id=row.team_id,
                    team_name=names.get(row.team_id) if row.team_id else None,
                    accounts_per_person=row.accounts_per_person,
                    cadence_days=row.cadence_days,
                    description=row.description,
                    stored=True,
                )
            )
            continue
        team = next((t for k in default.team_kinds for t in teams if t.kind is k), None)
        out.append(
            TierCoverage(
                tier=default.tier,
                touch_model=default.touch_model,
                team_id=team.id if team else None,
                team_name=team.name if team else None,
                accounts_per_person=default.accounts_per_person,
                cadence_days=default.cadence_days,
                description=default.description,
            )
        )
    return out


def update_coverage_model(
    session: Session, actor: Actor, items: Sequence[TierCoverageIn]
) -> list[TierCoverage]:
    actor.require(Permission.COVERAGE_ADMIN)
    team_ids = {t.id for t in _teams(session)}
    problems = [
        FieldProblem(("body", n, "team_id"), "unknown_team", "no such team")
        for n, item in enumerate(items)
        if item.team_id is not None and item.team_id not in team_ids
    ]
    seen = Counter(item.tier for item in items)
    problems += [
        FieldProblem(("body", n, "tier"), "duplicate", "each tier once")
        for n, item in enumerate(items)
        if seen[item.tier] > 1
    ]
    if problems:
        raise Invalid(problems)
    stored = {row.tier: row for row in session.scalars(select(CoverageTier))}
    for item in items:
        row = stored.get(item.tier)
        values = item.model_dump()
        if row is None:
            row = CoverageTier(**values)
            session.add(row)
            session.flush()
            changes = audit.snapshot(row, list(values))
        else:
            changes = audit.apply_changes(row, values)
            session.flush()
        if changes:
            audit.record(
                session,
                actor,
                "coverage.tier_update",
                "coverage_tier",
                row.id,
                summary=item.tier.value,
                changes=changes,
            )
    return coverage_model(session, actor)


# --------------------------------------------------------------------------- rule lists


def tier_rules(session: Session, actor: Actor) -> list[TierRule]:
    actor.require(Permission.ACCOUNT_READ)
    return list(session.scalars(select(TierRule).order_by(TierRule.position, TierRule.id)))


def assignment_rules(session: Session, actor: Actor) -> list[AssignmentRule]:
    actor.require(Permission.ACCOUNT_READ)
    return list(
        session.scalars(select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id))
    )


def _conditions(
    source: FactSource, items: Sequence[TierRuleIn | AssignmentRuleIn]
) -> list[dict[str, Any]]:
    problems: list[FieldProblem] = []
    stored: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        try:
            stored.append(
                conditions.to_json(source.parse(item.condition, where=f"rules[{n}].condition"))
            )
        except Invalid as exc:
            problems += exc.problems
            stored.append({})
    if problems:
        raise Invalid(problems)
    return stored


def _rule_json(rule: TierRule | AssignmentRule) -> dict[str, Any]:
    fields = ["name", "condition", "enabled"]
    if isinstance(rule, TierRule):
        fields.append("tier")
    else:
        fields += ["owner_field", "strategy", "user_id", "team_id", "reassign"]
    return {f: audit.json_safe(getattr(rule, f)) for f in fields}


def set_tier_rules(
    session: Session, actor: Actor, items: Sequence[TierRuleIn], *, source: FactSource
) -> list[TierRule]:
    """Replace the ordered list (rules keep their id when it is sent back)."""
    actor.require(Permission.COVERAGE_ADMIN)
    stored_conditions = _conditions(source, items)

    def values(
        position: int, item: TierRuleIn, condition: dict[str, Any], _rule: TierRule | None
    ) -> dict[str, Any]:
        return {
            "position": position,
            "name": item.name.strip(),
            "condition": condition,
            "tier": item.tier,
            "enabled": item.enabled,
        }

    return _replace_rules(
        session,
        actor,
        TierRule,
        tier_rules(session, actor),
        items,
        stored_conditions,
        values,
        kind="tier",
    )


def set_assignment_rules(
    session: Session, actor: Actor, items: Sequence[AssignmentRuleIn], *, source: FactSource
) -> list[AssignmentRule]:
    """Replace the ordered list; a rule sent back with its id keeps its round-robin
    pointer (unless its team changed)."""
    actor.require(Permission.COVERAGE_ADMIN)
    stored_conditions = _conditions(source, items)
    _check_targets(session, items)

    def values(
        position: int,
        item: AssignmentRuleIn,
        condition: dict[str, Any],
        rule: AssignmentRule | None,
    ) -> dict[str, Any]:
        fixed = item.strategy is AssignmentStrategy.FIXED_USER
        out: dict[str, Any] = {
            "position": position,
            "name": item.name.strip(),
            "condition": condition,
            "owner_field": item.owner_field,
            "strategy": item.strategy,
            "user_id": item.user_id if fixed else None,
            "team_id": None if fixed else item.team_id,
            "reassign": item.reassign,
            "enabled": item.enabled,
        }
        if rule is not None and rule.team_id != out["team_id"]:
            out["last_user_id"] = None
        return out

    return _replace_rules(
        session,
        actor,
        AssignmentRule,
        assignment_rules(session, actor),
        items,
        stored_conditions,
        values,
        kind="assignment",
    )


def _replace_rules(
    session: Session,
    actor: Actor,
    model: type[RuleT],
    current: Sequence[RuleT],
    items: Sequence[ItemT],
    stored_conditions: Sequence[dict[str, Any]],
    values_of: Callable[[int, ItemT, dict[str, Any], RuleT | None], dict[str, Any]],
    *,
    kind: str,
) -> list[RuleT]:
    """Make the stored ordered list ``current`` the one of ``items``: a rule sent back with
    its id is updated in place with ``values_of(position, item, condition, rule)``, the
    others are added, the missing ones deleted; audited as one ``coverage.<kind>_rules``
    event when anything changed."""
    existing = {r.id: r for r in current}
    before = [_rule_json(r) for r in existing.values()]
    keep: list[RuleT] = []
    for position, (item, condition) in enumerate(zip(items, stored_conditions, strict=True)):
        rule = existing.pop(item.id, None) if item.id else None
        values = values_of(position, item, condition, rule)
        if rule is None:
            rule = model(**values)
            session.add(rule)
        else:
            audit.apply_changes(rule, values)
        keep.append(rule)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    after = [_rule_json(r) for r in keep]
    if before != after:
        audit.record(
            session,
            actor,
            f"coverage.{kind}_rules",
            "coverage",
            f"{kind}_rules",
            summary=f"{len(keep)} {kind} rules",
            changes={"rules": [before, after]},
        )
    return keep


def _check_targets(session: Session, items: Sequence[AssignmentRuleIn]) -> None:
    active = set(session.scalars(select(User.id).where(User.is_active.is_(True))))
    teams = {t.id for t in _teams(session)}
    problems: list[FieldProblem] = []
    for n, item in enumerate(items):
        if item.strategy is AssignmentStrategy.FIXED_USER:
            if item.user_id is None:
                problems.append(FieldProblem(("body", "rules", n, "user_id"), "required", "needed"))
            elif item.user_id not in active:
                problems.append(
                    FieldProblem(("body", "rules", n, "user_id"), "unknown_user", "no active user")
                )
        elif item.team_id is None:
            problems.append(FieldProblem(("body", "rules", n, "team_id"), "required", "needed"))
        elif item.team_id not in teams:
            problems.append(
                FieldProblem(("body", "rules", n, "team_id"), "unknown_team", "no such team")
            )
    if problems:
        raise Invalid(problems)


# --------------------------------------------------------------------------- tier run


def _enabled_rules(
    source: FactSource, stored: Sequence[RuleT], keys: set[str]
) -> tuple[list[RuleT], list[conditions.Condition], Facts]:
    """The enabled rules, their parsed conditions, and the facts they and ``keys`` read."""
    rules = [r for r in stored if r.enabled]
    parsed = [source.parse(r.condition, where=f"rules[{n}].condition") for n, r in enumerate(rules)]
    for condition in parsed:
        keys = keys | conditions.facts_used(condition)
    return rules, parsed, source.facts(keys)


def apply_tier_rules(
    session: Session, actor: Actor, *, dry_run: bool, source: FactSource
) -> TierRun:
    """Evaluate the tier rules over every account; write the changes unless ``dry_run``."""
    actor.require(Permission.COVERAGE_ADMIN)
    rules, parsed, facts = _enabled_rules(
        source, tier_rules(session, actor), {"account.tier", "account.tier_pinned", "account.name"}
    )
    n = len(facts)
    current = facts.column("account.tier")
    pinned = facts.column("account.tier_pinned") == 1.0
    if not rules:
        return TierRun(dry_run=dry_run, rules=0, accounts=n, pinned=int(pinned.sum()), changes=[])
    new = np.full(n, Tier.TIER3.value, dtype=object)
    which = np.full(n, -1, dtype=np.int64)
    open_rows = np.ones(n, dtype=bool)
    for index, condition in enumerate(parsed):
        hit = conditions.evaluate(condition, facts) & open_rows
        new[hit] = rules[index].tier.value
        which[hit] = index
        open_rows &= ~hit
    changed = np.flatnonzero((new != current) & ~pinned)
    names = facts.column("account.name")
    changes = [
        TierChange(
            account_id=uuid.UUID(str(facts.account_ids[r])),
            account_name=str(names[r] or ""),
            old=Tier(current[r]) if current[r] else None,
            new=Tier(new[r]),
            rule=rules[which[r]].name if which[r] >= 0 else None,
        )
        for r in changed
    ]
    if not dry_run and changes:
        _write_tiers(session, actor, changes)
    patched = current.copy()
    patched[changed] = new[changed]
    source.patch("account.tier", patched)
    touch = {c.tier.value: c.touch_model.value for c in coverage_model(session, actor)}
    source.patch(
        "account.touch_model",
        np.array([touch.get(t) if t else None for t in patched], dtype=object),
    )
    return TierRun(
        dry_run=dry_run, rules=len(rules), accounts=n, pinned=int(pinned.sum()), changes=changes
    )


def _write_tiers(session: Session, actor: Actor, changes: Sequence[TierChange]) -> None:
    by_tier: dict[Tier, list[uuid.UUID]] = {}
    for change in changes:
        by_tier.setdefault(change.new, []).append(change.account_id)
    now = utc_now()
    for tier, ids in by_tier.items():
        _update_accounts(session, ids, {"tier": tier, "updated_at": now})
    _bulk_events(
        session,
        actor,
        [
            (
                c.account_id,
                c.account_name,
                {"tier": [c.old.value if c.old else None, c.new.value]},
                "account.tier_changed",
                {
                    "old": c.old.value if c.old else None,
                    "new": c.new.value,
                    "rule": c.rule,
                },
            )
            for c in changes
        ],
    )
    audit.record(
        session,
        actor,
        "coverage.apply_tiers",
        "coverage",
        "tier_rules",
        summary=f"{len(changes)} accounts changed tier",
        changes={
            "by_tier": {t.value: len(ids) for t, ids in by_tier.items()},
            "accounts": len(changes),
        },
    )
    session.flush()
    session.expire_all()


def _update_accounts(session: Session, ids: Sequence[uuid.UUID], values: dict[str, Any]) -> None:
    """Set ``values`` on the accounts ``ids`` (in chunks, bypassing the session's objects:
    the callers expire them afterwards)."""
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(Account)
            .where(Account.id.in_(ids[start : start + CHUNK]))
            .values(values)
            .execution_options(synchronize_session=False)
        )


def _bulk_events(
    session: Session,
    actor: Actor,
    rows: Sequence[tuple[uuid.UUID, str, dict[str, Any], str, dict[str, Any]]],
) -> None:
    """One field audit event and one domain event per changed account (bulk inserts)."""
    if not rows:
        return
    now = utc_now()
    audits = [
        {
            "occurred_at": now,
            "actor_kind": actor.kind,
            "actor_user_id": actor.user_id,
            "action": "account.update",
            "object_type": "account",
            "object_id": str(account_id),
            "summary": name[:300],
            "changes": changes,
            "ip": actor.ip,
            "actor_name": actor.name[:100],
        }
        for account_id, name, changes, _kind, _payload in rows
    ]
    events = [
        {"kind": kind, "account_id": account_id, "payload": payload, "occurred_at": now}
        for account_id, _name, _changes, kind, payload in rows
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(AuditEvent), audits[start : start + CHUNK])
        session.execute(insert(DomainEvent), events[start : start + CHUNK])


# --------------------------------------------------------------------------- assignment run


def _owner_column(field: OwnerField) -> Any:
    return getattr(Account, f"{field.value}_id")


def apply_assignment(
    session: Session, actor: Actor, *, dry_run: bool, source: FactSource
) -> AssignmentRun:
    """Evaluate the assignment rules; write owners (and the round-robin pointers) unless
    ``dry_run``."""
    actor.require(Permission.COVERAGE_ADMIN)
    rules, parsed, facts = _enabled_rules(
        source, assignment_rules(session, actor), {"account.name"}
    )
    names = facts.column("account.name")
    users = {u.id: u for u in session.scalars(select(User))}
    members: dict[uuid.UUID, list[assignment.Member]] = {}
    for u in users.values():
        if u.team_id is not None and u.is_active:
            members.setdefault(u.team_id, []).append(
                assignment.Member(u.id, u.name, u.capacity_accounts)
            )
    owner_rows = session.execute(select(Account.id, *(_owner_column(f) for f in OwnerField))).all()
    owners: dict[OwnerField, dict[str, uuid.UUID | None]] = {
        f: {str(row[0]): row[1 + n] for row in owner_rows} for n, f in enumerate(OwnerField)
    }
    load: dict[OwnerField, Counter[uuid.UUID]] = {
        f: Counter(u for u in owners[f].values() if u is not None) for f in OwnerField
    }
    decided: dict[OwnerField, np.ndarray[Any, Any]] = {
        f: np.zeros(len(facts), dtype=bool) for f in OwnerField
    }
    changes: list[OwnerChange] = []
    unassigned: list[Unassigned] = []
    pointers: dict[uuid.UUID, uuid.UUID | None] = {}
    for rule, condition in zip(rules, parsed, strict=True):
        field = rule.owner_field
        hit = conditions.evaluate(condition, facts) & ~decided[field]
        decided[field] |= hit
        team = members.get(rule.team_id, []) if rule.team_id else []
        team_ids = {m.user_id for m in team}
        pointer = rule.last_user_id
        for row in np.flatnonzero(hit):
            account_key = str(facts.account_ids[row])
            current = owners[field].get(account_key)
            if current is not None and not rule.reassign:
                continue
            if current is not None and _already_right(rule, current, team_ids):
                continue
            chosen, reason = _choose(rule, users, team, pointer, load[field])
            name = str(names[row] or "")
            if chosen is None:
                unassigned.append(
                    Unassigned(
                        account_id=uuid.UUID(account_key),
                        account_name=name,
                        field=field,
                        rule=rule.name,
                        reason=reason,
                    )
                )
                continue
            if rule.strategy is AssignmentStrategy.ROUND_ROBIN:
                pointer = chosen
            if chosen == current:
                continue
            if current is not None:
                load[field][current] -= 1
            load[field][chosen] += 1
            owners[field][account_key] = chosen
            old = users.get(current) if current else None
            changes.append(
                OwnerChange(
                    account_id=uuid.UUID(account_key),
                    account_name=name,
                    field=field,
                    old_user_id=current,
                    old_user_name=old.name if old else None,
                    new_user_id=chosen,
                    new_user_name=users[chosen].name,
                    rule=rule.name,
                )
            )
        if rule.strategy is AssignmentStrategy.ROUND_ROBIN:
            pointers[rule.id] = pointer
    if not dry_run:
        for rule in rules:
            if rule.id in pointers and pointers[rule.id] != rule.last_user_id:
                rule.last_user_id = pointers[rule.id]
        session.flush()
        if changes:
            _write_owners(session, actor, changes, action="coverage.assign")
    return AssignmentRun(dry_run=dry_run, rules=len(rules), changes=changes, unassigned=unassigned)


def _already_right(rule: AssignmentRule, current: uuid.UUID, team_ids: set[uuid.UUID]) -> bool:
    if rule.strategy is AssignmentStrategy.FIXED_USER:
        return current == rule.user_id
    return current in team_ids


def _choose(
    rule: AssignmentRule,
    users: dict[uuid.UUID, User],
    team: list[assignment.Member],
    pointer: uuid.UUID | None,
    load: Counter[uuid.UUID],
) -> tuple[uuid.UUID | None, str]:
    if rule.strategy is AssignmentStrategy.FIXED_USER:
        user = users.get(rule.user_id) if rule.user_id else None
        if user is None or not user.is_active:
            return None, "inactive_user"
        return user.id, ""
    if not team:
        return None, "no_members"
    if rule.strategy is AssignmentStrategy.ROUND_ROBIN:
        member = assignment.next_round_robin(team, pointer, load)
    else:
        member = assignment.least_loaded(team, load)
    return (member.user_id, "") if member else (None, "no_room")


def _write_owners(
    session: Session, actor: Actor, changes: Sequence[OwnerChange], *, action: str
) -> None:
    groups: dict[tuple[OwnerField, uuid.UUID], list[uuid.UUID]] = {}
    for change in changes:
        groups.setdefault((change.field, change.new_user_id), []).append(change.account_id)
    now = utc_now()
    for (field, user_id), ids in groups.items():
        _update_accounts(session, ids, {f"{field.value}_id": user_id, "updated_at": now})
    _bulk_events(
        session,
        actor,
        [
            (
                c.account_id,
                c.account_name,
                {
                    f"{c.field.value}_id": [
                        str(c.old_user_id) if c.old_user_id else None,
                        str(c.new_user_id),
                    ]
                },
                "account.owner_assigned",
                {
                    "field": c.field.value,
                    "old": str(c.old_user_id) if c.old_user_id else None,
                    "new": str(c.new_user_id),
                    "rule": c.rule,
                },
            )
            for c in changes
        ],
    )
    audit.record(
        session,
        actor,
        action,
        "coverage",
        changes[0].field.value if action == "coverage.rebalance" else "assignment_rules",
        summary=f"{len(changes)} owners changed",
        changes={"accounts": len(changes)},
    )
    session.flush()
    session.expire_all()


# --------------------------------------------------------------------------- books


def _people(session: Session, field: OwnerField, owner_ids: set[uuid.UUID]) -> list[books.Person]:
    teams = {t.id: t for t in _teams(session)}
    out = []
    for u in session.scalars(select(User).order_by(User.name, User.id)):
        natural = ROLE_FIELD.get(u.role) is field and u.is_active
        if not natural and u.id not in owner_ids:
            continue
        team = teams.get(u.team_id) if u.team_id else None
        out.append(
            books.Person(
                user_id=u.id,
                name=u.name,
                email=u.email,
                role=u.role.value,
                team_id=u.team_id,
                team_name=team.name if team else None,
                capacity=u.capacity_accounts,
                active=u.is_active,
            )
        )
    return out


def books_of_business(
    session: Session,
    actor: Actor,
    *,
    field: OwnerField = OwnerField.CSM_OWNER,
    source: FactSource,
    currency: str = "JPY",
) -> BooksOut:
    """Every person's book in ``field``: accounts, by tier, MRR (``signal.mrr``), health
    mix, capacity and utilisation; team totals; suggested re-balancing moves."""
    actor.require(Permission.TEAM_READ)
    column = _owner_column(field)
    rows = session.execute(select(Account.id, Account.name, column, Account.tier)).all()
    keys = {"health.band"} | ({"signal.mrr"} & set(source.specs()))
    facts = source.facts(keys)
    index = {str(a): n for n, a in enumerate(facts.account_ids)}
    mrr = facts.column("signal.mrr") if "signal.mrr" in keys else np.zeros(len(facts))
    bands = facts.column("health.band")
    owned = []
    for account_id, name, owner_id, tier in rows:
        n = index.get(str(account_id))
        value = float(mrr[n]) if n is not None and not np.isnan(mrr[n]) else 0.0
        owned.append(
            books.OwnedAccount(
                account_id=account_id,
                name=name,
                owner_id=owner_id,
                tier=tier.value if tier else None,
                mrr=value,
                band=(bands[n] if n is not None else None) or "unknown",
            )
        )
    people = _people(session, field, {a.owner_id for a in owned if a.owner_id})
    model = coverage_model(session, actor)
    targets = {c.tier.value: c.accounts_per_person for c in model}
    all_books = books.books(people, owned, targets=targets)
    fills = {t.id: TEAM_FIELD.get(t.kind) for t in _teams(session)}
    tier_teams = {
        c.tier.value: c.team_id
        for c in model
        if c.team_id is not None and fills.get(c.team_id) is field
    }
    moves = books.rebalance(all_books, owned, tier_teams=tier_teams)
    scale = 10 ** minor_digits(currency)
    names = {p.user_id: p.name for p in people}
    return BooksOut(
        field=field,
        currency=currency,
        books=[
            BookOut(
                user_id=b.person.user_id,
                name=b.person.name,
                email=b.person.email,
                role=b.person.role,
                team_id=b.person.team_id,
                team_name=b.person.team_name,
                capacity=b.person.capacity,
                accounts=b.accounts,
                by_tier=b.by_tier,
                mrr_amount=round(b.mrr * scale),
                health=b.health,
                utilisation=b.utilisation,
                over_capacity=b.over_capacity,
                target_load=b.target_load,
            )
            for b in all_books
        ],
        teams=[
            TeamTotalOut(
                team_id=t.team_id,
                team_name=t.team_name,
                people=t.people,
                accounts=t.accounts,
                capacity=t.capacity,
                mrr_amount=round(t.mrr * scale),
                health=t.health,
                utilisation=t.utilisation,
            )
            for t in books.team_totals(all_books)
        ],
        moves=[
            MoveOut(
                account_id=m.account_id,
                account_name=m.account_name,
                tier=Tier(m.tier) if m.tier else None,
                mrr_amount=round(m.mrr * scale),
                from_user_id=m.from_user,
                from_user_name=names[m.from_user],
                to_user_id=m.to_user,
                to_user_name=names[m.to_user],
            )
            for m in moves
        ],
        unowned=sum(1 for a in owned if a.owner_id is None),
    )


def apply_moves(session: Session, actor: Actor, data: RebalanceIn) -> RebalanceOut:
    """Hand the chosen accounts over; an account whose owner is no longer ``from_user``
    (someone moved it meanwhile) is skipped and reported."""
    actor.require(Permission.COVERAGE_ADMIN)
    column = _owner_column(data.field)
    wanted = {m.account_id: m for m in data.moves}
    active = set(session.scalars(select(User.id).where(User.is_active.is_(True))))
    bad = [
        FieldProblem(("body", "moves", n, "to_user_id"), "unknown_user", "no active user")
        for n, m in enumerate(data.moves)
        if m.to_user_id not in active
    ]
    if bad:
        raise Invalid(bad)
    rows = session.execute(
        select(Account.id, Account.name, column).where(Account.id.in_(list(wanted)))
    ).all()
    current = {r[0]: (r[1], r[2]) for r in rows}
    stale = [a for a, m in wanted.items() if current.get(a, (None, None))[1] != m.from_user_id]
    users = {r[0]: r[1] for r in session.execute(select(User.id, User.name))}
    changes = [
        OwnerChange(
            account_id=a,
            account_name=current[a][0],
            field=data.field,
            old_user_id=m.from_user_id,
            old_user_name=users.get(m.from_user_id),
            new_user_id=m.to_user_id,
            new_user_name=users.get(m.to_user_id, ""),
            rule="rebalance",
        )
        for a, m in wanted.items()
        if a not in stale and m.from_user_id != m.to_user_id
    ]
    if changes:
        _write_owners(session, actor, changes, action="coverage.rebalance")
    return RebalanceOut(moved=len(changes), stale=stale)


# --------------------------------------------------------------------------- rules file


def export_rules(session: Session, actor: Actor) -> RulesFile:
    actor.require(Permission.ACCOUNT_READ)
    teams = {t.id: t.name for t in _teams(session)}
    emails = {r[0]: r[1] for r in session.execute(select(User.id, User.email))}
    return RulesFile(
        tiers=[
            TierCoverageFile(
                tier=c.tier,
                touch_model=c.touch_model,
                team=c.team_name,
                accounts_per_person=c.accounts_per_person,
                cadence_days=c.cadence_days,
                description=c.description,
            )
            for c in coverage_model(session, actor)
        ],
        tier_rules=[
            TierRuleFile(name=r.name, condition=r.condition, tier=r.tier, enabled=r.enabled)
            for r in tier_rules(session, actor)
        ],
        assignment_rules=[
            AssignmentRuleFile(
                name=r.name,
                condition=r.condition,
                owner_field=r.owner_field,
                strategy=r.strategy,
                user=emails.get(r.user_id) if r.user_id else None,
                team=teams.get(r.team_id) if r.team_id else None,
                reassign=r.reassign,
                enabled=r.enabled,
            )
            for r in assignment_rules(session, actor)
        ],
    )


def import_rules(
    session: Session, actor: Actor, data: RulesFile, *, source: FactSource
) -> RulesFile:
    """Replace the coverage model and both rule lists by those of ``data`` (teams by name,
    users by e-mail; ``Invalid`` names each one not found)."""
    actor.require(Permission.COVERAGE_ADMIN)
    teams = {t.name: t.id for t in _teams(session)}
    users = {r[0]: r[1] for r in session.execute(select(User.email, User.id))}
    problems: list[FieldProblem] = []

    def team_id(name: str | None, where: tuple[str | int, ...]) -> uuid.UUID | None:
        if name is None:
            return None
        if name not in teams:
            problems.append(FieldProblem(where, "unknown_team", f"no team named {name!r}"))
        return teams.get(name)

    tiers = [
        TierCoverageIn(
            tier=t.tier,
            touch_model=t.touch_model,
            team_id=team_id(t.team, ("body", "tiers", n, "team")),
            accounts_per_person=t.accounts_per_person,
            cadence_days=t.cadence_days,
            description=t.description,
        )
        for n, t in enumerate(data.tiers)
    ]
    rules = []
    for n, r in enumerate(data.assignment_rules):
        user_id = users.get(r.user) if r.user else None
        if r.user and user_id is None:
            problems.append(
                FieldProblem(("body", "assignment_rules", n, "user"), "unknown_user", r.user)
            )
        rules.append(
            AssignmentRuleIn(
                name=r.name,
                condition=r.condition,
                owner_field=r.owner_field,
                strategy=r.strategy,
                user_id=user_id,
                team_id=team_id(r.team, ("body", "assignment_rules", n, "team")),
                reassign=r.reassign,
                enabled=r.enabled,
            )
        )
    if problems:
        raise Invalid(problems)
    if tiers:
        update_coverage_model(session, actor, tiers)
    set_tier_rules(
        session,
        actor,
        [TierRuleIn(**r.model_dump()) for r in data.tier_rules],
        source=source,
    )
    set_assignment_rules(session, actor, rules, source=source)
    return export_rules(session, actor)


def apply(session: Session, actor: Actor, data: ApplyIn, *, source: FactSource) -> ApplyOut:
    """Tier rules, then assignment rules (which see the new tiers, also in a dry run)."""
    actor.require(Permission.COVERAGE_ADMIN)
    out = ApplyOut()
    if data.tiers:
        out.tiers = apply_tier_rules(session, actor, dry_run=data.dry_run, source=source)
    if data.assignment:
        out.assignment = apply_assignment(session, actor, dry_run=data.dry_run, source=source)
    return out


def pin_tier(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    *,
    pinned: bool,
    tier: Tier | None = None,
) -> Account:
    """Pin an account's tier (optionally setting it) so tier rules leave it alone, or
    unpin it (the next run may change it). Needs ACCOUNT_WRITE; audited on the account."""
    account = access_account(session, actor, account_id, write=True)
    values: dict[str, Any] = {"tier_pinned": pinned}
    if tier is not None:
        values["tier"] = tier
    changes = audit.apply_changes(account, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "account.update",
            "account",
            account.id,
            summary=account.name,
            changes=changes,
        )
    return account
