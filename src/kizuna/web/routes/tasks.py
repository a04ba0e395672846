"""The task cockpit (/tasks), a task's page, KAI (/tasks/kai), the nav badge and the
tasks panel of Account 360.

Row actions (complete, snooze, reassign, cancel, tick a step) are plain forms that HTMX
posts in place: an HTMX request gets the re-rendered row back, a plain one a redirect to
the page it came from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kizuna.auth.permissions import Permission
from kizuna.facts.catalogue import fact_specs
from kizuna.kit.clock import today as today_in
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import ActivityKind
from kizuna.models.task import TaskPriority
from kizuna.task import kai, service
from kizuna.task.rules import Outcome, snooze_choice
from kizuna.task.schemas import (
    KaiReport,
    Period,
    Scope,
    TaskComplete,
    TaskCreate,
    TaskFilters,
    TaskOut,
    TaskReassign,
    TaskUpdate,
    View,
)
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.field_errors import message_for
from kizuna.web.forms import clean, errors_by_field, parse, safe_return, uuid_or_none
from kizuna.web.render import is_htmx, redirect, render

router = APIRouter()
TaskReader = Annotated[PageContext, Depends(page(Permission.ACCOUNT_READ))]
TaskEditor = Annotated[PageContext, Depends(page(Permission.TASK_WRITE))]

TABS = ("today", "overdue", "upcoming", "done", "team")
_TAB_VIEWS = {
    "today": View.TODAY,
    "overdue": View.OVERDUE,
    "upcoming": View.UPCOMING,
    "done": View.DONE,
    "team": View.OPEN,
}
ACTIVITY_CHOICES = (
    ActivityKind.CALL,
    ActivityKind.MEETING,
    ActivityKind.EMAIL,
    ActivityKind.PROPOSAL,
    ActivityKind.QBR,
    ActivityKind.TRAINING,
    ActivityKind.NOTE,
)
_MESSAGES = {
    "not_in_future": N_("Pick a date after today."),
    "no_such_step": N_("No such step."),
    "invalid_choice": N_("Not one of the allowed values."),
}
_ERRORS = {
    "task_state": N_("This task is already closed (or already open)."),
    "open_playbook_task": N_("This playbook already has an open task on the account."),
}


def _row_context(session: Session, ctx: PageContext, tasks: list[TaskOut]) -> dict[str, Any]:
    """What rendering task rows needs besides the tasks themselves."""
    can_write = ctx.actor.can(Permission.TASK_WRITE)
    needs_names = any(t.why.get("checks") or t.why.get("audience") for t in tasks)
    specs = fact_specs(session) if needs_names else {}
    return {
        "today": today_in(ctx.actor.timezone),
        "can_write": can_write,
        "assign_users": service.assignable_users(session, ctx.actor) if can_write and tasks else [],
        "assign_teams": service.all_teams(session, ctx.actor) if can_write and tasks else [],
        "outcomes": list(Outcome),
        "activity_kinds": ACTIVITY_CHOICES,
        "priorities": list(TaskPriority),
        "fact_names": {k: (s.name, s.name_en) for k, s in specs.items()},
    }


# ---------------------------------------------------------------------------- cockpit


@router.get("/tasks")
def cockpit(
    request: Request,
    ctx: TaskReader,
    session: DbSession,
    tab: str | None = None,
    priority: str | None = None,
    playbook_id: str | None = None,
    team_id: str | None = None,
    assignee_id: str | None = None,
    cursor: str | None = None,
) -> Response:
    actor = ctx.actor
    asked = tab if tab in TABS else None
    if asked == "team" and not actor.can(Permission.TEAM_READ):
        asked = "today"
    day = today_in(actor.timezone)
    narrowing: dict[str, Any] = {
        "priority": priority if priority in {p.value for p in TaskPriority} else None,
        "playbook_id": uuid_or_none(playbook_id),
    }
    with session.begin():
        teams = service.visible_teams(session, actor)
        sees_all = service.sees_every_team(session, actor)
        # "all" (everybody's tasks) for those who see every team, and their default.
        everyone = sees_all and (team_id == "all" or not team_id)
        chosen_team = None if everyone else (uuid_or_none(team_id) or actor.team_id)
        if chosen_team is None and not everyone and teams:
            chosen_team = teams[0].id
        mine = TaskFilters.model_validate(narrowing)
        counts = service.count_tasks(session, actor, mine, today=day)
        team_filters = None
        if everyone:
            team_filters = mine.model_copy(update={"scope": Scope.ALL})
        elif teams and chosen_team is not None:
            team_filters = mine.model_copy(update={"scope": Scope.TEAM, "team_id": chosen_team})
        team_counts = (
            service.count_tasks(session, actor, team_filters, today=day) if team_filters else None
        )
        # A manager with nothing of their own lands on the team's work.
        tab = asked or ("team" if team_counts and not counts.open else "today")
        if tab == "team":
            update = {"view": View.OPEN, "assignee_id": uuid_or_none(assignee_id)}
            filters = team_filters.model_copy(update=update) if team_filters else None
        else:
            filters = mine.model_copy(update={"view": _TAB_VIEWS[tab]})
        page_ = (
            service.list_tasks(session, actor, filters, today=day, cursor=cursor)
            if filters is not None
            else None
        )
        tasks = list(page_.items) if page_ else []
        undated: list[TaskOut] = []
        if tab == "upcoming" and cursor is None and filters is not None:
            nodate = filters.model_copy(update={"view": View.NO_DATE})
            undated = service.list_tasks(session, actor, nodate, today=day, limit=100).items
        members = []
        if tab == "team" and (everyone or chosen_team is not None):
            members = [
                u
                for u in service.assignable_users(session, actor)
                if everyone or u.team_id == chosen_team
            ]
        return render(
            request,
            ctx,
            "tasks/index.html",
            active="tasks",
            tab=tab,
            tabs=TABS,
            counts=counts,
            team_counts=team_counts,
            tasks=tasks,
            undated=undated,
            next_cursor=page_.next_cursor if page_ else None,
            teams=teams,
            sees_all=sees_all,
            chosen_team="all" if everyone else chosen_team,
            members=members,
            filters={
                "priority": narrowing["priority"] or "",
                "playbook_id": str(narrowing["playbook_id"] or ""),
                "assignee_id": assignee_id or "",
            },
            playbooks=service.playbook_choices(session, actor),
            back=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            **_row_context(session, ctx, tasks + undated),
        )


@router.get("/tasks/badge")
def nav_badge(request: Request, ctx: TaskReader, session: DbSession) -> Response:
    """The count next to "Tasks" in the navigation (loaded by HTMX after the page)."""
    with session.begin():
        n = service.today_count(session, ctx.actor, today=today_in(ctx.actor.timezone))
    return render(request, ctx, "tasks/_badge.html", n=n)


# ---------------------------------------------------------------------------- KAI


def period_label(start: date, period: Period, locale: str) -> str:
    if period is Period.MONTH:
        return str(format_date(start, "y年M月" if locale == "ja" else "MMM y", locale=locale))
    if period is Period.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return str(format_date(start, "M/d〜" if locale == "ja" else "MMM d", locale=locale))


@dataclass(frozen=True)
class KaiQuery:
    """The query of the KAI page and of its CSV (``?period=&who=&team_id=&from=&to=``)."""

    period: str
    who: str
    team_id: str | None
    from_on: str | None
    to_on: str | None


def kai_query(
    period: str = "month",
    who: str = "me",
    team_id: str | None = None,
    from_on: Annotated[str | None, Query(alias="from")] = None,
    to_on: Annotated[str | None, Query(alias="to")] = None,
) -> KaiQuery:
    return KaiQuery(period=period, who=who, team_id=team_id, from_on=from_on, to_on=to_on)


KaiParams = Annotated[KaiQuery, Depends(kai_query)]


def _kai_report(session: Session, ctx: PageContext, q: KaiQuery) -> KaiReport:
    actor = ctx.actor
    try:
        chosen = Period(q.period)
    except ValueError:
        chosen = Period.MONTH
    team_view = q.who == "team" and actor.can(Permission.TEAM_READ)
    everyone = (
        team_view and q.team_id in (None, "", "all") and service.sees_every_team(session, actor)
    )
    return kai.kai_report(
        session,
        actor,
        period=chosen,
        today=today_in(actor.timezone),
        zone=actor.timezone,
        from_on=_date(q.from_on, "from"),
        to_on=_date(q.to_on, "to"),
        team_id=uuid_or_none(q.team_id) if team_view and not everyone else None,
        team_view=team_view and not everyone,
        everyone=everyone,
    )


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid.field(field, "must be a date", code="date_parsing") from None


@router.get("/tasks/kai")
def kai_page(request: Request, ctx: TaskReader, session: DbSession, q: KaiParams) -> Response:
    with session.begin():
        teams = service.visible_teams(session, ctx.actor)
        if q.who == "team" and not teams:
            q = replace(q, who="me")
        who = q.who
        sees_all = service.sees_every_team(session, ctx.actor)
        if who == "team" and not q.team_id and ctx.actor.team_id is None and not sees_all:
            q = replace(q, team_id=str(teams[0].id))
        report = _kai_report(session, ctx, q)
        locale = "en" if ctx.actor.locale.startswith("en") else "ja"
        base = {"period": report.period.value, "who": who}
        if who == "team" and report.team_id is not None:
            base["team_id"] = str(report.team_id)
        elif who == "team" and report.everyone:
            base["team_id"] = "all"
        if q.from_on or q.to_on:
            base |= {"from": report.from_on.isoformat(), "to": report.to_on.isoformat()}
        links = {p.value: "/tasks/kai?" + urlencode(base | {"period": p.value}) for p in Period}
        for choice in ("me", "team"):
            mine = {k: v for k, v in base.items() if k != "team_id"} | {"who": choice}
            links[choice] = "/tasks/kai?" + urlencode(mine)
        series = {c: [getattr(p.counts, c) for p in report.totals] for c in kai.COLUMNS}
        return render(
            request,
            ctx,
            "tasks/kai.html",
            active="tasks",
            report=report,
            labels=[period_label(p.start, report.period, locale) for p in report.totals],
            columns=kai.COLUMNS,
            periods=list(Period),
            who=who,
            teams=teams,
            sees_all=sees_all,
            query=urlencode(base),
            links=links,
            kai_series=series,
        )


@router.get("/tasks/kai.csv")
def kai_csv(request: Request, ctx: TaskReader, session: DbSession, q: KaiParams) -> Response:
    with session.begin():
        report = _kai_report(session, ctx, q)
    body = "\ufeff" + kai.to_csv(report)  # BOM: Excel opens UTF-8 Japanese correctly
    name = f"kai-{report.period.value}-{report.from_on}-{report.to_on}.csv"
    return Response(
        body.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------- one task


@router.get("/tasks/{task_id}")
def task_detail(
    request: Request, task_id: uuid.UUID, ctx: TaskReader, session: DbSession
) -> Response:
    with session.begin():
        return _detail(request, ctx, session, task_id)


def _detail(
    request: Request,
    ctx: PageContext,
    session: Session,
    task_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    task = service.get_task(session, ctx.actor, task_id, today=today_in(ctx.actor.timezone))
    extra.setdefault("errors", {})
    return render(
        request,
        ctx,
        "tasks/detail.html",
        status_code=status_code,
        active="tasks",
        t=task,
        back=f"/tasks/{task_id}",
        **_row_context(session, ctx, [task]),
        **extra,
    )


@router.post("/tasks/{task_id}/edit")
async def edit_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    form = await request.form()
    values: dict[str, Any] = clean(form, ["title", "description", "priority"])
    values["description"] = str(form.get("description") or "")
    values["due_on"] = str(form.get("due_on") or "") or None
    values["steps"] = _steps_from_text(form.get("steps"), form.getlist("done_step"))
    try:
        with session.begin():
            service.update_task(session, ctx.actor, task_id, parse(TaskUpdate, values))
    except Invalid as exc:
        with session.begin():
            return _detail(
                request, ctx, session, task_id, status_code=422, errors=errors_by_field(exc)
            )
    except Conflict as exc:
        return redirect(
            f"/tasks/{task_id}", flash=_ERRORS.get(exc.code, exc.message), level="error"
        )
    return redirect(f"/tasks/{task_id}", flash=N_("Changes saved."))


def _steps_from_text(text: Any, done_titles: list[Any]) -> list[dict[str, Any]]:
    """One step per non-empty line; steps whose title was ticked stay done."""
    ticked = {str(t) for t in done_titles}
    lines = [line.strip() for line in str(text or "").splitlines()]
    return [{"title": line, "done": line in ticked} for line in lines if line]


async def _row_action(
    request: Request,
    ctx: PageContext,
    session: Session,
    task_id: uuid.UUID,
    act: Any,
    *,
    done_message: str,
) -> Response:
    """Run ``act(form)`` in a transaction; answer HTMX with the row, others with a redirect."""
    form = await request.form()
    back = safe_return(form.get("back"), f"/tasks/{task_id}")
    errors: list[str] = []
    try:
        with session.begin():
            act(form)
    except Invalid as exc:
        errors = [_MESSAGES.get(p.code) or message_for(p) for p in exc.problems]
    except Conflict as exc:
        errors = [_ERRORS.get(exc.code, exc.message)]
    if not is_htmx(request):
        if errors:
            return redirect(back, flash=errors[0], level="error")
        return redirect(back, flash=done_message)
    with session.begin():
        task = service.get_task(session, ctx.actor, task_id, today=today_in(ctx.actor.timezone))
        template = "tasks/_row_compact.html" if form.get("compact") else "tasks/_row.html"
        response = render(
            request,
            ctx,
            template,
            t=task,
            back=back,
            row_errors=errors,
            row_message=None if errors else done_message,
            compact=bool(form.get("compact")),
            **_row_context(session, ctx, [task]),
        )
    if not errors:
        response.headers["HX-Trigger"] = "tasks-changed"  # the nav badge and tab counts
    return response


@router.post("/tasks/{task_id}/complete")
async def complete_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    def act(form: Any) -> None:
        values = clean(form, ["outcome", "note", "log_activity", "duration_minutes"])
        service.complete_task(session, ctx.actor, task_id, parse(TaskComplete, values))

    return await _row_action(
        request, ctx, session, task_id, act, done_message=N_("Task completed.")
    )


@router.post("/tasks/{task_id}/snooze")
async def snooze_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    day = today_in(ctx.actor.timezone)

    def act(form: Any) -> None:
        choice = str(form.get("choice") or "")
        if choice and choice != "date":
            until = snooze_choice(choice, day)
        else:
            parsed = _date(str(form.get("until") or ""), "until")
            if parsed is None:
                raise Invalid.field("until", "choose a date", code="missing")
            until = parsed
        service.snooze_task(session, ctx.actor, task_id, until, today=day)

    return await _row_action(request, ctx, session, task_id, act, done_message=N_("Task snoozed."))


@router.post("/tasks/{task_id}/reassign")
async def reassign_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    def act(form: Any) -> None:
        values = clean(form, ["assignee_id", "team_id"])
        if form.get("to_me"):
            values = {"assignee_id": str(ctx.actor.user_id)}
        service.reassign_task(session, ctx.actor, task_id, parse(TaskReassign, values))

    return await _row_action(
        request, ctx, session, task_id, act, done_message=N_("Task reassigned.")
    )


@router.post("/tasks/{task_id}/cancel")
async def cancel_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    def act(form: Any) -> None:
        service.cancel_task(session, ctx.actor, task_id, note=str(form.get("note") or "")[:20_000])

    return await _row_action(
        request, ctx, session, task_id, act, done_message=N_("Task cancelled.")
    )


@router.post("/tasks/{task_id}/reopen")
async def reopen_task(
    request: Request, task_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    def act(_form: Any) -> None:
        service.reopen_task(session, ctx.actor, task_id)

    return await _row_action(request, ctx, session, task_id, act, done_message=N_("Task reopened."))


@router.post("/tasks/{task_id}/steps/{index}")
async def tick_step(
    request: Request, task_id: uuid.UUID, index: int, ctx: TaskEditor, session: DbSession
) -> Response:
    def act(form: Any) -> None:
        done = str(form.get("done") or "") == "true"
        service.tick_step(session, ctx.actor, task_id, index, done=done)

    return await _row_action(request, ctx, session, task_id, act, done_message=N_("Step updated."))


# ---------------------------------------------------------------------------- Account 360


def _panel(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    day = today_in(ctx.actor.timezone)
    filters = TaskFilters(scope=Scope.ACCOUNT, account_id=account_id, view=View.OPEN)
    tasks = service.list_tasks(session, ctx.actor, filters, today=day, limit=100).items
    context = _row_context(session, ctx, tasks)
    if ctx.actor.can(Permission.TASK_WRITE) and not context["assign_users"]:
        context["assign_users"] = service.assignable_users(session, ctx.actor)
        context["assign_teams"] = service.all_teams(session, ctx.actor)
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    return render(
        request,
        ctx,
        "tasks/_account_panel.html",
        status_code=status_code,
        account_id=account_id,
        tasks=tasks,
        back=f"/accounts/{account_id}#tasks",
        **context,
        **extra,
    )


@router.get("/accounts/{account_id}/tasks-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: TaskReader, session: DbSession
) -> Response:
    with session.begin():
        return _panel(request, ctx, session, account_id)


@router.post("/accounts/{account_id}/tasks")
async def create_task(
    request: Request, account_id: uuid.UUID, ctx: TaskEditor, session: DbSession
) -> Response:
    form = await request.form()
    values: dict[str, Any] = clean(
        form, ["title", "description", "priority", "due_on", "assignee_id", "team_id"]
    )
    values["account_id"] = str(account_id)
    values["steps"] = _steps_from_text(form.get("steps"), [])
    if "assignee_id" not in values and "team_id" not in values:
        values["assignee_id"] = str(ctx.actor.user_id) if ctx.actor.user_id else None
    try:
        with session.begin():
            service.create_task(session, ctx.actor, parse(TaskCreate, values))
    except Invalid as exc:
        with session.begin():
            form_values = {k: str(form.get(k) or "") for k in form}
            return _panel(
                request,
                ctx,
                session,
                account_id,
                status_code=200 if is_htmx(request) else 422,
                errors=errors_by_field(exc),
                values=form_values,
                open_form=True,
            )
    if is_htmx(request):
        with session.begin():
            response = _panel(request, ctx, session, account_id, row_message=N_("Task created."))
        response.headers["HX-Trigger"] = "tasks-changed"
        return response
    return redirect(f"/accounts/{account_id}#tasks", flash=N_("Task created."))
