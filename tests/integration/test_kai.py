"""KAI counting by period in the viewer's time zone (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy.orm import Session

from factories import make_account, make_activity, make_team, make_user, utc
from kizuna.auth.service import actor_for_user
from kizuna.kit.errors import Forbidden
from kizuna.models.enums import ActivityKind, Role
from kizuna.models.task import Task, TaskStatus
from kizuna.task import kai
from kizuna.task.rules import Outcome
from kizuna.task.schemas import Period

TODAY = date(2026, 4, 15)


def _report(
    session: Session,
    actor: object,
    period: Period,
    span: tuple[date, date] | None = None,
    *,
    zone: str = "Asia/Tokyo",
    **kw: object,
) -> kai.KaiReport:
    """KAI on TODAY, in Tokyo unless ``zone``; ``span`` is (from_on, to_on)."""
    if span is not None:
        kw |= {"from_on": span[0], "to_on": span[1]}
    return kai.kai_report(session, actor, period=period, today=TODAY, zone=zone, **kw)  # type: ignore[arg-type]


def test_activities_fall_in_the_period_of_their_local_day(session: Session) -> None:
    user = make_user(session, Role.CSM)
    account = make_account(session)
    # 2026-01-31 23:59 and 2026-02-01 00:30 in Tokyo (both still Jan 31 in UTC)
    for when, kind in (
        (utc(2026, 1, 31, 14, 59), ActivityKind.CALL),
        (utc(2026, 1, 31, 15, 30), ActivityKind.CALL),
        (utc(2026, 1, 31, 15, 30), ActivityKind.PROPOSAL),
        (utc(2026, 3, 31, 15, 0), ActivityKind.MEETING),  # 1 April 00:00 in Tokyo: Q2
        (utc(2026, 2, 10, 3), ActivityKind.QBR),
        (utc(2026, 2, 11, 3), ActivityKind.TRAINING),
        (utc(2026, 2, 12, 3), ActivityKind.NOTE),  # not a KAI
    ):
        make_activity(session, account, kind=kind, occurred_at=when, author_id=user.id)
    make_activity(
        session,
        account,
        kind=ActivityKind.CALL,
        occurred_at=utc(2026, 2, 3, 3),
        author_id=user.id,
        is_pre_sale=True,  # before the sale: not counted
    )
    make_activity(session, account, kind=ActivityKind.CALL, occurred_at=utc(2026, 2, 3, 3))
    tokyo = actor_for_user(user)

    months = _report(session, tokyo, Period.MONTH, (date(2026, 1, 1), date(2026, 4, 30)))
    by_month = {p.start: p.counts for p in months.people[0].periods}
    assert [p.start for p in months.totals] == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    assert (by_month[date(2026, 1, 1)].calls, by_month[date(2026, 2, 1)].calls) == (1, 1)
    assert by_month[date(2026, 2, 1)].proposals == 1
    assert (by_month[date(2026, 2, 1)].qbrs, by_month[date(2026, 2, 1)].trainings) == (1, 1)
    assert (by_month[date(2026, 3, 1)].meetings, by_month[date(2026, 4, 1)].meetings) == (0, 1)
    assert months.total.calls == 2

    # The same instants seen from New York: all of them on 31 January / 31 March.
    new_york = replace(tokyo, timezone="America/New_York")
    ny = _report(
        session,
        new_york,
        Period.MONTH,
        (date(2026, 1, 1), date(2026, 4, 30)),
        zone="America/New_York",
    )
    ny_month = {p.start: p.counts for p in ny.people[0].periods}
    assert (ny_month[date(2026, 1, 1)].calls, ny_month[date(2026, 1, 1)].proposals) == (2, 1)
    assert (ny_month[date(2026, 3, 1)].meetings, ny_month[date(2026, 4, 1)].meetings) == (1, 0)

    quarters = _report(session, tokyo, Period.QUARTER, (date(2026, 1, 1), date(2026, 6, 30)))
    assert [(p.start, p.end) for p in quarters.totals] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
    ]
    assert [p.counts.meetings for p in quarters.totals] == [0, 1]

    weeks = _report(session, tokyo, Period.WEEK, (date(2026, 1, 26), date(2026, 2, 8)))
    # 1 Feb 2026 is a Sunday: the week of Monday 26 January holds both calls in Tokyo
    assert [p.start for p in weeks.totals] == [date(2026, 1, 26), date(2026, 2, 2)]
    assert [p.counts.calls for p in weeks.totals] == [2, 0]


def test_tasks_completed_and_overdue(session: Session) -> None:
    user = make_user(session, Role.CSM)
    account = make_account(session)

    def task(due: date, status: TaskStatus, completed_at: object = None) -> None:
        session.add(
            Task(
                account_id=account.id,
                title="t",
                status=status,
                due_on=due,
                assignee_id=user.id,
                completed_by_id=user.id if completed_at else None,
                completed_at=completed_at,
                outcome=Outcome.DONE_SUCCESS.value if status is TaskStatus.DONE else None,
            )
        )

    task(date(2026, 3, 10), TaskStatus.DONE, utc(2026, 3, 10, 5))  # on time
    task(date(2026, 3, 10), TaskStatus.DONE, utc(2026, 3, 12, 5))  # late
    # done at 00:30 on 11 March in Tokyo, 10 March in UTC: late in Tokyo
    task(date(2026, 3, 10), TaskStatus.DONE, utc(2026, 3, 10, 15, 30))
    task(date(2026, 3, 20), TaskStatus.OPEN)  # still open after its day
    task(date(2026, 3, 20), TaskStatus.CANCELLED, utc(2026, 3, 25))  # cancelled: never
    task(TODAY, TaskStatus.OPEN)  # due today: not overdue yet
    session.flush()
    report = _report(
        session, actor_for_user(user), Period.MONTH, (date(2026, 3, 1), date(2026, 4, 30))
    )
    march, april = report.people[0].periods
    assert (march.counts.tasks_completed, march.counts.tasks_overdue) == (3, 3)
    assert (april.counts.tasks_completed, april.counts.tasks_overdue) == (0, 0)


def test_team_report_has_every_member_and_totals_and_a_csv(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    a = make_user(session, Role.CSM, team_id=team.id, name="=HYPERLINK(1)")
    b = make_user(session, Role.CSM, team_id=team.id, name="佐藤")
    outsider = make_user(session, Role.CSM, team_id=other.id)
    manager = actor_for_user(make_user(session, Role.MANAGER, team_id=team.id))
    account = make_account(session)
    for author in (a, b, b, outsider):
        make_activity(
            session,
            account,
            kind=ActivityKind.CALL,
            occurred_at=utc(2026, 4, 2, 3),
            author_id=author.id,
        )
    report = _report(session, manager, Period.MONTH, team_view=True)
    assert report.team_id == team.id
    assert {p.user_id for p in report.people} == {a.id, b.id, manager.user_id}
    assert report.total.calls == 3
    assert report.totals[-1].counts.calls == 3
    rows = list(csv.reader(io.StringIO(kai.to_csv(report))))
    assert rows[0] == list(kai.CSV_HEADER)
    assert ["TOTAL", "", "2026-04-01", "2026-04-30", "3", "0", "0", "0", "0", "0", "0"] in rows
    assert any(r[0] == "'=HYPERLINK(1)" for r in rows[1:])  # no formula injection
    with pytest.raises(Forbidden):
        _report(session, manager, Period.MONTH, team_id=other.id)
    with pytest.raises(Forbidden):
        _report(session, actor_for_user(a), Period.MONTH, team_view=True)


def test_default_range_is_six_periods_up_to_today(session: Session) -> None:
    user = make_user(session, Role.CSM)
    report = _report(session, actor_for_user(user), Period.MONTH)
    assert (report.from_on, report.to_on) == (date(2025, 11, 1), date(2026, 4, 30))
    assert len(report.totals) == 6
