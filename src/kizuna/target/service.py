"""Targets: settings, create/change/delete, the split to teams and people, attainment.

Reading needs SALES_READ, every change SALES_ADMIN; changes are audited. Amount targets
are in the reporting currency (``KIZUNA_DEFAULT_CURRENCY``, passed in by entrypoints),
so attainment never mixes currencies. Period bounds are local days in the company's zone
(also passed in), so everybody sees the same figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.enums import LeadSource
from kizuna.models.target import (
    PeriodKind,
    SalesTarget,
    SalesTargetMember,
    SalesTargetTeam,
    SplitMode,
    TargetMetric,
    TargetSettings,
)
from kizuna.models.user import Team, User
from kizuna.target import periods
from kizuna.target.actuals import Actuals, Tally, measure
from kizuna.target.periods import PeriodError, Span
from kizuna.target.schemas import (
    AttainmentReport,
    Level,
    LevelAttainment,
    Measures,
    MemberShareIn,
    MemberShareOut,
    SettingsOut,
    SettingsUpdate,
    SplitIn,
    TargetAttainment,
    TargetCreate,
    TargetOut,
    TargetUpdate,
    TeamShareIn,
    TeamShareOut,
)
from kizuna.target.split import Share, allocate

_PLACES = Decimal("0.0001")
SECONDARY = {
    TargetMetric.CREATED_AMOUNT: TargetMetric.WON_AMOUNT,
    TargetMetric.WON_AMOUNT: TargetMetric.CREATED_AMOUNT,
    TargetMetric.LEAD_COUNT: TargetMetric.CREATED_AMOUNT,
}


# --------------------------------------------------------------------------- settings


def fiscal_start(session: Session) -> int:
    row = session.get(TargetSettings, 1)
    return row.fiscal_year_start_month if row else periods.DEFAULT_FISCAL_START


def get_settings(session: Session, actor: Actor) -> SettingsOut:
    actor.require(Permission.SALES_READ)
    return SettingsOut(fiscal_year_start_month=fiscal_start(session))


def update_settings(session: Session, actor: Actor, data: SettingsUpdate) -> SettingsOut:
    """Change the fiscal year's first month. Targets keep their dates; only their labels
    follow (a period that no longer lines up is shown as its date range)."""
    actor.require(Permission.SALES_ADMIN)
    row = session.get(TargetSettings, 1)
    if row is None:
        row = TargetSettings(id=1, fiscal_year_start_month=periods.DEFAULT_FISCAL_START)
        session.add(row)
    changes = audit.apply_changes(row, {"fiscal_year_start_month": data.fiscal_year_start_month})
    row.updated_by_id = actor.user_id
    session.flush()
    if changes:
        audit.record(
            session,
            actor,
            "target.settings",
            "target_settings",
            "1",
            summary="target settings",
            changes=changes,
        )
    return SettingsOut(fiscal_year_start_month=row.fiscal_year_start_month)


def resolve_period(
    session: Session, text: str, *, today: date, field: tuple[str | int, ...] = ("query", "period")
) -> Span:
    """A period key, range or relative name (``periods.parse``) as the fiscal setting says;
    ``Invalid`` naming ``field`` when it is not one."""
    try:
        return periods.parse(text, fiscal_start(session), today=today)
    except PeriodError as exc:
        raise Invalid(FieldProblem(field, "bad_period", str(exc))) from None


# --------------------------------------------------------------------------- reading


@dataclass
class _Names:
    teams: dict[uuid.UUID, str]
    users: dict[uuid.UUID, User]


def _names(session: Session) -> _Names:
    teams: dict[uuid.UUID, str] = {
        row[0]: row[1] for row in session.execute(select(Team.id, Team.name))
    }
    users = {u.id: u for u in session.scalars(select(User))}
    return _Names(teams, users)


def _load(session: Session, target_id: uuid.UUID) -> SalesTarget:
    target = session.get(SalesTarget, target_id)
    if target is None:
        raise NotFound("target not found")
    return target


def _parts(
    session: Session, target_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[SalesTargetTeam]], dict[uuid.UUID, list[SalesTargetMember]]]:
    teams: dict[uuid.UUID, list[SalesTargetTeam]] = {t: [] for t in target_ids}
    members: dict[uuid.UUID, list[SalesTargetMember]] = {t: [] for t in target_ids}
    if target_ids:
        for team in session.scalars(
            select(SalesTargetTeam).where(SalesTargetTeam.target_id.in_(target_ids))
        ):
            teams[team.target_id].append(team)
        for member in session.scalars(
            select(SalesTargetMember).where(SalesTargetMember.target_id.in_(target_ids))
        ):
            members[member.target_id].append(member)
    return teams, members


def _team_order(names: _Names) -> Any:
    return lambda t: (names.teams.get(t.team_id, ""), str(t.team_id))


def _member_order(names: _Names) -> Any:
    def key(m: SalesTargetMember) -> tuple[str, str, str]:
        user = names.users.get(m.user_id)
        return (user.name if user else "", user.email if user else "", str(m.user_id))

    return key


def _effective_team_weights(
    target: SalesTarget, teams: list[SalesTargetTeam], members: list[SalesTargetMember]
) -> list[Decimal]:
    if target.team_split is SplitMode.EVEN:
        return [Decimal(1)] * len(teams)
    if target.team_split is SplitMode.WEIGHTED:
        return [t.weight for t in teams]
    # Headcount: the members' weights (1 each, or their FTE), unless set by hand.
    out: list[Decimal] = []
    for team in teams:
        if team.weight_manual:
            out.append(team.weight)
        else:
            out.append(sum((m.weight for m in members if m.team_id == team.team_id), Decimal(0)))
    return out


def _to_out(
    target: SalesTarget,
    teams: list[SalesTargetTeam],
    members: list[SalesTargetMember],
    names: _Names,
    fiscal: int,
) -> TargetOut:
    teams = sorted(teams, key=_team_order(names))
    weights = _effective_team_weights(target, teams, members)
    team_out = []
    for team, weight in zip(teams, weights, strict=True):
        own = sorted((m for m in members if m.team_id == team.team_id), key=_member_order(names))
        member_out = [
            MemberShareOut(
                user_id=m.user_id,
                name=names.users[m.user_id].name if m.user_id in names.users else "",
                email=names.users[m.user_id].email if m.user_id in names.users else "",
                weight=m.weight,
                weight_manual=m.weight_manual,
                override=m.override_value,
                value=m.value,
            )
            for m in own
        ]
        team_out.append(
            TeamShareOut(
                team_id=team.team_id,
                name=names.teams.get(team.team_id, ""),
                weight=team.weight,
                weight_manual=team.weight_manual,
                effective_weight=weight,
                override=team.override_value,
                value=team.value,
                member_split=team.member_split,
                members=member_out,
                remainder=team.value - sum(m.value for m in own),
            )
        )
    return TargetOut(
        id=target.id,
        period=periods.label(target.period_kind, target.starts_on, fiscal),
        period_kind=target.period_kind,
        starts_on=target.starts_on,
        ends_on=target.ends_on,
        lead_source=target.lead_source,
        metric=target.metric,
        value=target.value,
        currency=target.currency,
        team_split=target.team_split,
        note=target.note,
        teams=team_out,
        remainder=target.value - sum(t.value for t in teams),
        created_at=target.created_at,
        updated_at=target.updated_at,
    )


def _outs(session: Session, targets: Sequence[SalesTarget]) -> list[TargetOut]:
    teams, members = _parts(session, [t.id for t in targets])
    names, fiscal = _names(session), fiscal_start(session)
    return [_to_out(t, teams[t.id], members[t.id], names, fiscal) for t in targets]


_SOURCE_ORDER = {s: i for i, s in enumerate(LeadSource)}
_METRIC_ORDER = {m: i for i, m in enumerate(TargetMetric)}
_KIND_ORDER = {k: i for i, k in enumerate(PeriodKind)}


def _sorted(targets: Sequence[SalesTarget]) -> list[SalesTarget]:
    return sorted(
        targets,
        key=lambda t: (
            t.starts_on,
            _KIND_ORDER[t.period_kind],
            _SOURCE_ORDER[t.lead_source],
            _METRIC_ORDER[t.metric],
        ),
    )


def list_targets(
    session: Session,
    actor: Actor,
    *,
    period: Span | None = None,
    lead_source: LeadSource | None = None,
    metric: TargetMetric | None = None,
) -> list[TargetOut]:
    """Targets of one period (all when None), by start, kind, lead source and metric."""
    actor.require(Permission.SALES_READ)
    stmt = select(SalesTarget)
    if period is not None:
        stmt = stmt.where(
            SalesTarget.starts_on == period.starts_on, SalesTarget.ends_on == period.ends_on
        )
        if period.kind is not None:
            stmt = stmt.where(SalesTarget.period_kind == period.kind)
    if lead_source is not None:
        stmt = stmt.where(SalesTarget.lead_source == lead_source)
    if metric is not None:
        stmt = stmt.where(SalesTarget.metric == metric)
    return _outs(session, _sorted(list(session.scalars(stmt))))


def get_target(session: Session, actor: Actor, target_id: uuid.UUID) -> TargetOut:
    actor.require(Permission.SALES_READ)
    return _outs(session, [_load(session, target_id)])[0]


def target_periods(session: Session, actor: Actor) -> list[Span]:
    """Every period some target is set for, newest first (for period pickers)."""
    actor.require(Permission.SALES_READ)
    fiscal = fiscal_start(session)
    rows = session.execute(
        select(SalesTarget.period_kind, SalesTarget.starts_on, SalesTarget.ends_on).distinct()
    ).all()
    spans = {
        (kind, start, end): Span(kind, start, end, periods.label(kind, start, fiscal))
        for kind, start, end in rows
    }
    return sorted(spans.values(), key=lambda s: (s.starts_on, -s.days), reverse=True)


def team_choices(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str, int]]:
    """Every team with its number of active members (for the split editor)."""
    actor.require(Permission.SALES_READ)
    members = _active_members(session, list(session.scalars(select(Team.id))))
    rows = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    return [(team_id, name, len(members[team_id])) for team_id, name in rows]


def targets_within(
    session: Session, first: date, last: date, *, lead_source: LeadSource | None = None
) -> list[SalesTarget]:
    """Targets whose period lies wholly within ``first``…``last`` (read models use this to
    put a target beside figures of any period)."""
    stmt = select(SalesTarget).where(SalesTarget.starts_on >= first, SalesTarget.ends_on <= last)
    if lead_source is not None:
        stmt = stmt.where(SalesTarget.lead_source == lead_source)
    return _sorted(list(session.scalars(stmt)))


# --------------------------------------------------------------------------- changing


_AUDITED = ("period_kind", "starts_on", "ends_on", "lead_source", "metric", "value", "currency")


def _check_currency(metric: TargetMetric, currency: str | None, reporting: str) -> str | None:
    if metric is TargetMetric.LEAD_COUNT:
        if currency is not None:
            raise Invalid.field("currency", "a lead count has no currency", code="not_allowed")
        return None
    code = (currency or reporting).upper()
    if code != reporting.upper():
        raise Invalid.field(
            "currency", f"targets are set in the reporting currency {reporting}", code="currency"
        )
    return code


def create_target(
    session: Session, actor: Actor, data: TargetCreate, *, reporting: str, today: date
) -> TargetOut:
    """A target for a month, fiscal quarter, half or year (``data.period``); with
    ``teams`` it is split at once."""
    actor.require(Permission.SALES_ADMIN)
    span = resolve_period(session, data.period, today=today, field=("body", "period"))
    if span.kind is None:
        raise Invalid.field(
            "period", "a target is for a month, quarter, half or year", "bad_period"
        )
    if data.metric is TargetMetric.LEAD_COUNT and data.lead_source is not LeadSource.CS:
        raise Invalid.field(
            "lead_source", "lead counts are measured for the cs lead source", code="lead_count_cs"
        )
    currency = _check_currency(data.metric, data.currency, reporting)
    target = SalesTarget(
        period_kind=span.kind,
        starts_on=span.starts_on,
        ends_on=span.ends_on,
        lead_source=data.lead_source,
        metric=data.metric,
        value=data.value,
        currency=currency,
        team_split=data.team_split,
        note=data.note,
        created_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(target)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "a target for this period, lead source and metric exists", code="target_exists"
        ) from None
    audit.record(
        session,
        actor,
        "target.create",
        "sales_target",
        target.id,
        summary=f"{span.key} {target.lead_source.value} {target.metric.value}",
        changes=audit.snapshot(target, _AUDITED),
    )
    if data.teams:
        return set_split(session, actor, target.id, SplitIn(teams=data.teams))
    return get_target(session, actor, target.id)


def update_target(
    session: Session, actor: Actor, target_id: uuid.UUID, data: TargetUpdate
) -> TargetOut:
    """Change the value, split mode or note; the split is recomputed (keeping manual
    weights and overrides)."""
    actor.require(Permission.SALES_ADMIN)
    target = _load(session, target_id)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    changes = audit.apply_changes(target, values)
    if changes:
        _resplit(session, target, sync=False)
        session.flush()
        audit.record(
            session,
            actor,
            "target.update",
            "sales_target",
            target.id,
            summary=_summary(session, target),
            changes=changes,
        )
    return get_target(session, actor, target.id)


def delete_target(session: Session, actor: Actor, target_id: uuid.UUID) -> None:
    actor.require(Permission.SALES_ADMIN)
    target = _load(session, target_id)
    summary = _summary(session, target)
    changes = {name: [v, None] for name, (_, v) in audit.snapshot(target, _AUDITED).items()}
    session.execute(delete(SalesTargetMember).where(SalesTargetMember.target_id == target.id))
    session.execute(delete(SalesTargetTeam).where(SalesTargetTeam.target_id == target.id))
    session.delete(target)
    session.flush()
    audit.record(
        session,
        actor,
        "target.delete",
        "sales_target",
        target_id,
        summary=summary,
        changes=changes,
    )


def _summary(session: Session, target: SalesTarget) -> str:
    key = periods.label(target.period_kind, target.starts_on, fiscal_start(session))
    return f"{key} {target.lead_source.value} {target.metric.value}"


def _split_state(session: Session, target_id: uuid.UUID) -> list[dict[str, Any]]:
    teams, members = _parts(session, [target_id])
    return [
        {
            "team_id": str(t.team_id),
            "weight": str(t.weight) if t.weight_manual else None,
            "override": t.override_value,
            "value": t.value,
            "members": {
                str(m.user_id): m.value for m in members[target_id] if m.team_id == t.team_id
            },
        }
        for t in sorted(teams[target_id], key=lambda t: str(t.team_id))
    ]


def _active_members(
    session: Session, team_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = {t: set() for t in team_ids}
    if team_ids:
        rows = session.execute(
            select(User.id, User.team_id).where(User.team_id.in_(team_ids), User.is_active)
        )
        for user_id, team_id in rows:
            if team_id is not None:
                out[team_id].add(user_id)
    return out


def _validate_split(session: Session, data: SplitIn) -> None:
    problems: list[FieldProblem] = []
    known = set(
        session.scalars(select(Team.id).where(Team.id.in_([t.team_id for t in data.teams])))
    )
    seen: set[uuid.UUID] = set()
    for i, team in enumerate(data.teams):
        where: tuple[str | int, ...] = ("body", "teams", i)
        if team.team_id not in known:
            problems.append(FieldProblem((*where, "team_id"), "unknown_team", "no such team"))
        if team.team_id in seen:
            problems.append(FieldProblem((*where, "team_id"), "duplicate", "listed twice"))
        seen.add(team.team_id)
        if team.member_split is SplitMode.HEADCOUNT:
            problems.append(
                FieldProblem(
                    (*where, "member_split"), "invalid_choice", "people split evenly or by weight"
                )
            )
    members = _active_members(session, [t.team_id for t in data.teams if t.team_id in known])
    for i, team in enumerate(data.teams):
        listed: set[uuid.UUID] = set()
        for j, member in enumerate(team.members or []):
            where = ("body", "teams", i, "members", j, "user_id")
            if member.user_id not in members.get(team.team_id, set()):
                problems.append(
                    FieldProblem(where, "not_member", "not an active member of this team")
                )
            if member.user_id in listed:
                problems.append(FieldProblem(where, "duplicate", "listed twice"))
            listed.add(member.user_id)
    if problems:
        raise Invalid(problems)


def set_split(session: Session, actor: Actor, target_id: uuid.UUID, data: SplitIn) -> TargetOut:
    """Replace the split: the teams listed (weights and overrides as sent; a weight left
    out is automatic) and, per team, its active members (those listed as sent; with
    ``members`` omitted the others keep what they had, newcomers get weight 1). Then
    recompute every part."""
    actor.require(Permission.SALES_ADMIN)
    target = _load(session, target_id)
    before = _split_state(session, target.id)
    _validate_split(session, data)
    if data.team_split is not None:
        target.team_split = data.team_split
    teams, members = _parts(session, [target.id])
    existing = {t.team_id: t for t in teams[target.id]}
    sent = {t.team_id: t for t in data.teams}
    for team_id, old in existing.items():
        if team_id not in sent:
            session.delete(old)
    for share in data.teams:
        row = existing.get(share.team_id)
        if row is None:
            row = SalesTargetTeam(
                target_id=target.id, team_id=share.team_id, value=0, member_split=SplitMode.EVEN
            )
            session.add(row)
        row.weight = share.weight if share.weight is not None else Decimal(1)
        row.weight_manual = share.weight is not None
        row.override_value = share.override
        if share.member_split is not None:
            row.member_split = share.member_split
    _sync_members(session, target.id, [t.team_id for t in data.teams], members[target.id], sent)
    session.flush()
    _resplit(session, target, sync=False)
    session.flush()
    audit.record(
        session,
        actor,
        "target.split",
        "sales_target",
        target.id,
        summary=_summary(session, target),
        changes={"split": [before, _split_state(session, target.id)]},
    )
    return get_target(session, actor, target.id)


def _sync_members(
    session: Session,
    target_id: uuid.UUID,
    team_ids: Sequence[uuid.UUID],
    members: Sequence[SalesTargetMember],
    sent: dict[uuid.UUID, TeamShareIn] | None = None,
) -> None:
    """A target's people = the active members of its teams. Rows are kept (with their
    manual weight and override) while the person stays in the team, moved (reset) when
    they changed to another team of the split, dropped when they left; members ``sent``
    for a team get what was sent, and when a team's list was sent in full the ones left
    out are automatic again."""
    active = _active_members(session, team_ids)
    by_user = {m.user_id: m for m in members}
    kept: set[uuid.UUID] = set()
    for team_id in team_ids:
        share = (sent or {}).get(team_id)
        listed: dict[uuid.UUID, MemberShareIn] = (
            {m.user_id: m for m in (share.members or [])} if share else {}
        )
        for user_id in sorted(active[team_id], key=str):
            row = by_user.get(user_id)
            if row is None:
                row = SalesTargetMember(
                    target_id=target_id,
                    team_id=team_id,
                    user_id=user_id,
                    weight=Decimal(1),
                    weight_manual=False,
                    value=0,
                )
                session.add(row)
            elif row.team_id != team_id:
                row.team_id, row.weight, row.weight_manual = team_id, Decimal(1), False
                row.override_value = None
            kept.add(user_id)
            member = listed.get(user_id)
            if member is not None:
                row.weight = member.weight if member.weight is not None else Decimal(1)
                row.weight_manual = member.weight is not None
                row.override_value = member.override
            elif share is not None and share.members is not None:
                row.weight, row.weight_manual, row.override_value = Decimal(1), False, None
    for user_id, row in by_user.items():
        if user_id not in kept:
            session.delete(row)


def resplit(session: Session, actor: Actor, target_id: uuid.UUID) -> TargetOut:
    """Recompute after people joined or left a team: members follow the teams' active
    members; manual weights and overrides are kept."""
    actor.require(Permission.SALES_ADMIN)
    target = _load(session, target_id)
    before = _split_state(session, target.id)
    _resplit(session, target, sync=True)
    session.flush()
    after = _split_state(session, target.id)
    if after != before:
        audit.record(
            session,
            actor,
            "target.resplit",
            "sales_target",
            target.id,
            summary=_summary(session, target),
            changes={"split": [before, after]},
        )
    return get_target(session, actor, target.id)


def _resplit(session: Session, target: SalesTarget, *, sync: bool) -> None:
    """Recompute every part of ``target`` (and first sync its members when ``sync``)."""
    teams_by, members_by = _parts(session, [target.id])
    if sync:
        team_ids = [t.team_id for t in teams_by[target.id]]
        _sync_members(session, target.id, team_ids, members_by[target.id])
        session.flush()
        teams_by, members_by = _parts(session, [target.id])
    teams, members = teams_by[target.id], members_by[target.id]
    names = _names(session)
    teams.sort(key=_team_order(names))
    weights = _effective_team_weights(target, teams, members)
    shares = [Share(w, t.override_value) for t, w in zip(teams, weights, strict=True)]
    for team, value in zip(teams, allocate(target.value, shares).parts, strict=True):
        team.value = value
        own = sorted((m for m in members if m.team_id == team.team_id), key=_member_order(names))
        even = team.member_split is not SplitMode.WEIGHTED
        split = allocate(
            value, [Share(Decimal(1) if even else m.weight, m.override_value) for m in own]
        )
        for member, part in zip(own, split.parts, strict=True):
            member.value = part


# --------------------------------------------------------------------------- attainment


def _pick(tally: Tally, metric: TargetMetric) -> int:
    if metric is TargetMetric.CREATED_AMOUNT:
        return tally.created_amount
    if metric is TargetMetric.WON_AMOUNT:
        return tally.won_amount
    return tally.lead_count


def _ratio(part: int, whole: int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def _level(
    level: Level,
    name: str,
    target_value: int | None,
    tally: Tally,
    metric: TargetMetric,
    share: Fraction,
    *,
    id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> LevelAttainment:
    actual = _pick(tally, metric)
    expected = None if target_value is None else int(target_value * share)
    return LevelAttainment(
        level=level,
        id=id,
        name=name,
        team_id=team_id,
        target=target_value,
        actual=actual,
        percent=_ratio(actual, target_value),
        expected=expected,
        pace=_ratio(actual, expected),
        secondary=_pick(tally, SECONDARY[metric]),
        measures=Measures(
            created_amount=tally.created_amount,
            won_amount=tally.won_amount,
            lead_count=tally.lead_count,
        ),
    )


def attain(target: TargetOut, actuals: Actuals, names: _Names, share: Fraction) -> TargetAttainment:
    """Company, team and person attainment of one target from measured actuals.

    Teams and people in the split come first (in split order); anyone else credited in
    the period follows without a target, so the company figure is always the whole."""
    metric = target.metric
    team_of = {u.id: u.team_id for u in names.users.values()}
    company = _level(Level.COMPANY, "", target.value, actuals.total(), metric, share)
    teams: list[LevelAttainment] = []
    split_teams = {t.team_id for t in target.teams}
    credited_teams = {team_of.get(u) for u in actuals.by_user if u is not None} - {None}
    for team in target.teams:
        users = [u for u, t in team_of.items() if t == team.team_id]
        teams.append(
            _level(
                Level.TEAM,
                team.name,
                team.value,
                actuals.sum_of(users),
                metric,
                share,
                id=team.team_id,
            )
        )
    for team_id in sorted((t for t in credited_teams if t not in split_teams), key=str):
        assert team_id is not None
        users = [u for u, t in team_of.items() if t == team_id]
        tally = actuals.sum_of(users)
        if _pick(tally, metric) or _pick(tally, SECONDARY[metric]):
            teams.append(
                _level(
                    Level.TEAM, names.teams.get(team_id, ""), None, tally, metric, share, id=team_id
                )
            )
    people: list[LevelAttainment] = []
    in_split: set[uuid.UUID] = set()
    for team in target.teams:
        for member in team.members:
            in_split.add(member.user_id)
            people.append(
                _level(
                    Level.PERSON,
                    member.name,
                    member.value,
                    actuals.of(member.user_id),
                    metric,
                    share,
                    id=member.user_id,
                    team_id=team.team_id,
                )
            )
    others = [u for u in actuals.by_user if u not in in_split]
    for user_id in sorted(others, key=lambda u: (u is None, _user_name(names, u))):
        tally = actuals.by_user[user_id]
        if not (_pick(tally, metric) or _pick(tally, SECONDARY[metric])):
            continue
        people.append(
            _level(
                Level.PERSON,
                _user_name(names, user_id),
                None,
                tally,
                metric,
                share,
                id=user_id,
                team_id=team_of.get(user_id) if user_id else None,
            )
        )
    return TargetAttainment(
        target=target,
        secondary_metric=SECONDARY[metric],
        company=company,
        teams=teams,
        people=people,
    )


def _user_name(names: _Names, user_id: uuid.UUID | None) -> str:
    user = names.users.get(user_id) if user_id else None
    return user.name if user else ""


def attainment(
    session: Session,
    actor: Actor,
    period: Span,
    *,
    zone: str,
    reporting: str,
    today: date,
    lead_source: LeadSource | None = None,
) -> AttainmentReport:
    """Every target of ``period`` against what was created, won and passed in it."""
    targets = list_targets(session, actor, period=period, lead_source=lead_source)
    names = _names(session)
    share = periods.elapsed(period, today)
    measured: dict[LeadSource, Actuals] = {}
    out = []
    for target in targets:
        if target.lead_source not in measured:
            measured[target.lead_source] = measure(
                session,
                period.starts_on,
                period.ends_on,
                zone=zone,
                reporting=reporting,
                lead_source=target.lead_source,
            )
        out.append(attain(target, measured[target.lead_source], names, share))
    return AttainmentReport(
        period=period.key,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        today=today,
        elapsed=(Decimal(share.numerator) / Decimal(share.denominator)).quantize(_PLACES),
        targets=out,
    )
