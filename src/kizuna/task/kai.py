"""KAI (Key Action Indicators, プロセスKPI of seed 000): what each person did per period.

Counted per person and period (weeks from Monday, months or quarters in the viewer's
time zone):
- calls, meetings, proposals, QBRs and trainings: post-sale activities *authored* by the
  person (``activity.author_id``), by the local day they happened;
- tasks completed: tasks the person closed as done, by the local day of completion;
- tasks overdue: tasks assigned to the person (today's assignee) whose due date falls in
  the period and passed before they were done: still open after it, or completed on a
  later day. Counted in the period of the due date; cancelled tasks are not counted.

Everybody sees their own; a team (TEAM_READ) shows each member and the team's totals;
administrators and managers of a management team may also see everybody at once.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.csv_cells import safe_cell
from kizuna.kit.errors import FieldProblem, Forbidden, Invalid
from kizuna.models.activity import Activity
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import Task, TaskStatus
from kizuna.models.user import Team, User
from kizuna.task import periods
from kizuna.task.schemas import KaiCounts, KaiPeriod, KaiPerson, KaiReport, Period
from kizuna.task.service import sees_every_team, team_for_view

ACTIVITY_COLUMNS: dict[ActivityKind, str] = {
    ActivityKind.CALL: "calls",
    ActivityKind.MEETING: "meetings",
    ActivityKind.PROPOSAL: "proposals",
    ActivityKind.QBR: "qbrs",
    ActivityKind.TRAINING: "trainings",
}
COLUMNS = (*ACTIVITY_COLUMNS.values(), "tasks_completed", "tasks_overdue")


def _sum(items: Iterable[KaiCounts]) -> KaiCounts:
    total = KaiCounts()
    for item in items:
        for name in COLUMNS:
            setattr(total, name, getattr(total, name) + getattr(item, name))
    return total


def kai_report(
    session: Session,
    actor: Actor,
    *,
    period: Period,
    today: date,
    zone: str,
    from_on: date | None = None,
    to_on: date | None = None,
    team_id: uuid.UUID | None = None,
    team_view: bool = False,
    everyone: bool = False,
) -> KaiReport:
    """KAI for the actor alone, for a team (``team_id``, or one's own with ``team_view``)
    or for ``everyone`` (every active user but read-only ones; for those who see every
    team), with totals. Dates are local days in ``zone``, inclusive."""
    actor.require(Permission.ACCOUNT_READ)
    team: Team | None = None
    if everyone:
        actor.require(Permission.TEAM_READ)
        if not sees_every_team(session, actor):
            raise Forbidden("only your own team's work is visible to you", code="other_team")
        people = list(
            session.scalars(
                select(User).where(User.is_active, User.role != Role.READ_ONLY).order_by(User.name)
            )
        )
    elif team_id is not None or team_view:
        team = team_for_view(session, actor, team_id)
        people = list(
            session.scalars(
                select(User).where(User.team_id == team.id, User.is_active).order_by(User.name)
            )
        )
    else:
        if actor.user_id is None:
            raise Invalid(FieldProblem(("query", "team_id"), "missing", "choose a team"))
        me = session.get(User, actor.user_id)
        people = [me] if me is not None else []
    default_from, default_to = periods.default_range(today, period)
    first, last = from_on or default_from, to_on or default_to
    spans = periods.periods(first, last, period)
    counts = {u.id: [KaiCounts() for _ in spans] for u in people}
    if people and spans:
        _count(session, counts, spans, zone=zone, today=today)
    rows = [
        KaiPerson(
            user_id=u.id,
            name=u.name,
            email=u.email,
            periods=[
                KaiPeriod(start=s, end=e, counts=c)
                for (s, e), c in zip(spans, counts[u.id], strict=True)
            ],
            total=_sum(counts[u.id]),
        )
        for u in people
    ]
    totals = [
        KaiPeriod(start=s, end=e, counts=_sum(counts[u.id][i] for u in people))
        for i, (s, e) in enumerate(spans)
    ]
    return KaiReport(
        period=period,
        from_on=spans[0][0],
        to_on=spans[-1][1],
        zone=zone,
        team_id=team.id if team else None,
        team_name=team.name if team else None,
        everyone=everyone,
        people=rows,
        totals=totals,
        total=_sum(t.counts for t in totals),
    )


def _count(
    session: Session,
    counts: dict[uuid.UUID, list[KaiCounts]],
    spans: list[tuple[date, date]],
    *,
    zone: str,
    today: date,
) -> None:
    ids = list(counts)
    start, end = periods.utc_bounds(spans[0][0], spans[-1][1], zone)
    acts = session.execute(
        select(Activity.author_id, Activity.kind, Activity.occurred_at).where(
            Activity.author_id.in_(ids),
            Activity.kind.in_(list(ACTIVITY_COLUMNS)),
            Activity.is_pre_sale.is_(False),
            Activity.occurred_at >= start,
            Activity.occurred_at < end,
        )
    )
    for author_id, kind, occurred_at in acts:
        i = periods.index_of(periods.local_day(occurred_at, zone), spans)
        if i is not None and author_id is not None:
            item = counts[author_id][i]
            name = ACTIVITY_COLUMNS[ActivityKind(kind)]
            setattr(item, name, getattr(item, name) + 1)
    done = session.execute(
        select(Task.completed_by_id, Task.completed_at).where(
            Task.status == TaskStatus.DONE,
            Task.completed_by_id.in_(ids),
            Task.completed_at >= start,
            Task.completed_at < end,
        )
    )
    for user_id, completed_at in done:
        if completed_at is None:
            continue
        i = periods.index_of(periods.local_day(completed_at, zone), spans)
        if i is not None and user_id is not None:
            counts[user_id][i].tasks_completed += 1
    late = session.execute(
        select(Task.assignee_id, Task.due_on, Task.status, Task.completed_at).where(
            Task.assignee_id.in_(ids),
            Task.status != TaskStatus.CANCELLED,
            Task.due_on >= spans[0][0],
            Task.due_on <= spans[-1][1],
            Task.due_on < today,
        )
    )
    for user_id, due_on, status, completed_at in late:
        if due_on is None:
            continue
        missed = status == TaskStatus.OPEN or (
            completed_at is not None and periods.local_day(completed_at, zone) > due_on
        )
        i = periods.index_of(due_on, spans)
        if missed and i is not None and user_id is not None:
            counts[user_id][i].tasks_overdue += 1


CSV_HEADER = ("person", "email", "period_start", "period_end", *COLUMNS)


def to_csv(report: KaiReport) -> str:
    """One row per person and period, then the totals (person ``TOTAL``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for person in report.people:
        for p in person.periods:
            cells = (person.name, person.email, p.start, p.end)
            writer.writerow([safe_cell(v) for v in (*cells, *_values(p.counts))])
    if len(report.people) > 1:
        for p in report.totals:
            cells = ("TOTAL", "", p.start, p.end)
            writer.writerow([safe_cell(v) for v in (*cells, *_values(p.counts))])
    return out.getvalue()


def _values(counts: KaiCounts) -> list[int]:
    return [int(getattr(counts, c)) for c in COLUMNS]
