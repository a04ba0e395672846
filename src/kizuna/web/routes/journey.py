"""The success journey's pages: the board, the stalled list, the Account 360 panel (manual
checks, phase moves, customer goals) and the journey editor (/admin/journey)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from kizuna.auth.permissions import Permission
from kizuna.facts.conditions import OPS
from kizuna.journey import definition, goals, service, views
from kizuna.journey.schemas import GoalIn, GoalUpdate, PhaseUpdate, StepCreate, StepUpdate
from kizuna.kit.clock import today
from kizuna.kit.errors import Conflict, FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import Phase, Tier
from kizuna.web.deps import DbSession, PageContext, Reader, page
from kizuna.web.field_errors import message_for
from kizuna.web.forms import errors_by_field, parse
from kizuna.web.render import redirect, render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()
AccountEditor = Annotated[PageContext, Depends(page(Permission.ACCOUNT_WRITE))]
JourneyAdmin = Annotated[PageContext, Depends(page(Permission.JOURNEY_ADMIN))]


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _tier(value: str | None) -> Tier | None:
    return Tier(value) if value in {t.value for t in Tier} else None


# -- board and stalled ---------------------------------------------------------------------


@router.get("/journey")
def journey_board(
    request: Request,
    ctx: Reader,
    session: DbSession,
    csm: str | None = None,
    tier: str | None = None,
    overdue: str | None = None,
) -> Response:
    csm_id, tier_value, overdue_only = _uuid(csm), _tier(tier), overdue == "1"
    filters = {"csm": csm_id, "tier": tier_value, "overdue": overdue_only}
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = views.board(
            session,
            ctx.actor,
            today=today(ctx.actor.timezone),
            zone=ctx.actor.timezone,
            csm_owner_id=csm_id,
            tier=tier_value,
            overdue_only=overdue_only,
            account_ids=cut.account_ids,
        )
        owners = views.csm_owners(session)
    return render(
        request,
        ctx,
        "journey/board.html",
        active="journey",
        board=result,
        cut=cut,
        filters=filters,
        owners=owners,
        tiers=list(Tier),
    )


@router.get("/journey/stalled")
def journey_stalled(
    request: Request,
    ctx: Reader,
    session: DbSession,
    phase: str = "onboarding",
    all: str | None = None,
    csm: str | None = None,
    tier: str | None = None,
    sort: str = "over",
    page: int = 1,
) -> Response:
    chosen = Phase(phase) if phase in {p.value for p in Phase} else None
    order: views.StalledSort = sort if sort in ("over", "days", "name") else "over"  # type: ignore[assignment]
    csm_id, tier_value = _uuid(csm), _tier(tier)
    filters = {
        "phase": chosen.value if chosen else "any",
        "all": all == "1",
        "csm": csm_id,
        "tier": tier_value,
        "sort": order,
    }
    with session.begin():
        cut = segment_cut(request, session, ctx)
        result = views.stalled(
            session,
            ctx.actor,
            today=today(ctx.actor.timezone),
            zone=ctx.actor.timezone,
            phase=chosen,
            overdue_only=all != "1",
            csm_owner_id=csm_id,
            tier=tier_value,
            sort=order,
            page=page,
            account_ids=cut.account_ids,
        )
        journey = definition.get_journey(session, ctx.actor)
        owners = views.csm_owners(session)
    return render(
        request,
        ctx,
        "journey/stalled.html",
        active="journey",
        result=result,
        cut=cut,
        journey=journey,
        filters=filters,
        owners=owners,
        tiers=list(Tier),
    )


# -- Account 360 panel ---------------------------------------------------------------------


def _panel(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        view = views.account_journey(
            session,
            ctx.actor,
            account_id,
            today=today(ctx.actor.timezone),
            zone=ctx.actor.timezone,
            data_dir=request.app.state.settings.data_dir,
        )
    return render(
        request,
        ctx,
        "journey/_account_panel.html",
        view=view,
        errors=errors or {},
        form=form or {},
        message=message,
        phases=list(Phase),
        status_code=status_code,
    )


@router.get("/accounts/{account_id}/journey-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: Reader, session: DbSession
) -> Response:
    """The journey section of Account 360, loaded by HTMX after the page."""
    return _panel(request, ctx, session, account_id)


def _after(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    message: str,
    **kw: Any,
) -> Response:
    """HTMX: the panel again (with ``message`` or errors); a plain form: back to the page."""
    if request.headers.get("hx-request"):
        return _panel(request, ctx, session, account_id, message=message, **kw)
    level = "error" if kw.get("errors") else "success"
    return redirect(f"/accounts/{account_id}#journey-section", flash=message, level=level)


@router.post("/accounts/{account_id}/journey/steps/{key}")
async def check_step(
    request: Request, account_id: uuid.UUID, key: str, ctx: AccountEditor, session: DbSession
) -> Response:
    form = await request.form()
    done = str(form.get("done", "1")) == "1"
    note = str(form.get("note", "")).strip()[:2000]
    try:
        with session.begin():
            service.check_step(session, ctx.actor, account_id, key, done=done, note=note)
    except Conflict:
        return _after(
            request, ctx, session, account_id,
            N_("This step is completed from data only."), errors={"step": key},
        )  # fmt: skip
    message = N_("Step marked as done.") if done else N_("Step reopened.")
    return _after(request, ctx, session, account_id, message)


@router.post("/accounts/{account_id}/journey/phase")
async def move_phase(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = {"phase": str(form.get("phase", "")), "reason": str(form.get("reason", "")).strip()}
    try:
        with session.begin():
            service.move_phase(
                session, ctx.actor, account_id, values["phase"], reason=values["reason"]
            )
    except Invalid as exc:
        return _after(
            request, ctx, session, account_id, N_("The account was not moved."),
            errors=errors_by_field(exc), form=values, status_code=200,
        )  # fmt: skip
    return _after(request, ctx, session, account_id, N_("The account was moved."))


_GOAL_FIELDS = ("title", "metric", "target_value", "due_on", "status", "achieved_on", "note")


def _goal_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _GOAL_FIELDS:
        raw = str(form.get(name, "")).strip()
        if name in ("due_on", "achieved_on"):
            values[name] = raw or None
        elif raw or name in ("metric", "target_value", "note"):
            values[name] = raw
    return values


@router.post("/accounts/{account_id}/goals")
async def create_goal(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    values = _goal_values(await request.form())
    try:
        data = parse(GoalIn, values)
        with session.begin():
            goals.create_goal(session, ctx.actor, account_id, data)
    except Invalid as exc:
        return _after(
            request, ctx, session, account_id, N_("The goal was not saved."),
            errors={f"goal_{k}": v for k, v in errors_by_field(exc).items()}, form=values,
        )  # fmt: skip
    return _after(request, ctx, session, account_id, N_("Goal added."))


@router.post("/accounts/{account_id}/goals/{goal_id}")
async def update_goal(
    request: Request,
    account_id: uuid.UUID,
    goal_id: uuid.UUID,
    ctx: AccountEditor,
    session: DbSession,
) -> Response:
    form = await request.form()
    if str(form.get("action", "")) == "delete":
        with session.begin():
            goals.delete_goal(session, ctx.actor, account_id, goal_id)
        return _after(request, ctx, session, account_id, N_("Goal deleted."))
    status = str(form.get("status", ""))
    try:
        data = parse(GoalUpdate, {"status": status})
        with session.begin():
            goals.update_goal(session, ctx.actor, account_id, goal_id, data)
    except Invalid as exc:
        return _after(
            request, ctx, session, account_id, N_("The goal was not saved."),
            errors={f"goal_{k}": v for k, v in errors_by_field(exc).items()},
        )  # fmt: skip
    return _after(request, ctx, session, account_id, N_("Goal updated."))


# -- the editor ----------------------------------------------------------------------------


def _editor(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    import_error: str | None = None,
    phase_errors: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        journey = definition.get_journey(session, ctx.actor)
    return render(
        request,
        ctx,
        "journey/admin.html",
        active="journey_admin",
        journey=journey,
        import_error=import_error,
        phase_errors=phase_errors or {},
        status_code=status_code,
    )


@router.get("/admin/journey")
def journey_admin(request: Request, ctx: JourneyAdmin, session: DbSession) -> Response:
    return _editor(request, ctx, session)


@router.post("/admin/journey/phases/{phase}")
async def save_phase(
    request: Request, phase: str, ctx: JourneyAdmin, session: DbSession
) -> Response:
    form = await request.form()
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("name", "name_en", "description", "target_days")
        if k in form
    }
    try:
        data = parse(PhaseUpdate, values)
        with session.begin():
            definition.update_phase(session, ctx.actor, phase, data)
    except Invalid as exc:
        return _editor(
            request, ctx, session, phase_errors={phase: errors_by_field(exc)}, status_code=422
        )
    return redirect("/admin/journey", flash=N_("Phase saved."))


@router.post("/admin/journey/evaluate")
def evaluate_now(request: Request, ctx: JourneyAdmin, session: DbSession) -> Response:
    settings = request.app.state.settings
    zone = settings.default_timezone
    with session.begin():
        service.evaluate_journey(
            session, ctx.actor, today=today(zone), zone=zone, data_dir=settings.data_dir
        )
    return redirect("/admin/journey", flash=N_("Every account's journey was evaluated."))


@router.get("/admin/journey/yaml")
def download_yaml(request: Request, ctx: JourneyAdmin, session: DbSession) -> Response:
    with session.begin():
        text = definition.export_yaml(session, ctx.actor)
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": 'attachment; filename="journey.yaml"'},
    )


@router.post("/admin/journey/import")
async def import_yaml(request: Request, ctx: JourneyAdmin, session: DbSession) -> Response:
    upload = (await request.form()).get("file")
    text = ""
    if isinstance(upload, UploadFile):
        text = (await upload.read(definition.MAX_YAML_BYTES)).decode("utf-8", "replace")
        await upload.close()
    try:
        with session.begin():
            definition.import_yaml(session, ctx.actor, text)
    except Invalid as exc:
        problem = "; ".join(f"{_path(p)}: {p.message}" for p in exc.problems[:8])
        return _editor(request, ctx, session, import_error=problem, status_code=422)
    return redirect("/admin/journey", flash=N_("Journey imported."))


def _path(problem: FieldProblem) -> str:
    return ".".join(map(str, problem.loc[1:] or problem.loc))


def _step_form(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    key: str | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    criteria_errors: list[tuple[str, str]] | None = None,
) -> Response:
    with session.begin():
        specs = definition.criteria_specs(session)
    groups: dict[str, list[Any]] = {}
    for spec in specs.values():
        groups.setdefault(spec.group, []).append(spec)
    return render(
        request,
        ctx,
        "journey/step_form.html",
        active="journey_admin",
        key=key,
        values=values,
        errors=errors or {},
        criteria_errors=criteria_errors or [],
        fact_groups=groups,
        ops={k.value: v for k, v in OPS.items()},
        phases=list(Phase),
        status_code=422 if (errors or criteria_errors) else 200,
    )


def _step_values(form: FormData) -> dict[str, Any]:
    return {
        "key": str(form.get("key", "")).strip(),
        "phase": str(form.get("phase", "")),
        "name": str(form.get("name", "")).strip(),
        "name_en": str(form.get("name_en", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "required": form.get("required") == "1",
        "manual": form.get("manual") == "1",
        "criteria_text": str(form.get("criteria_text", "")),
    }


def _criteria(text: str) -> Any:
    """The criteria text area: JSON or YAML (empty: none)."""
    if not text.strip():
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(
            FieldProblem(("body", "criteria"), "not_yaml", f"not valid JSON or YAML: {exc}")
        ) from None


def _split(exc: Invalid) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Field errors for the inputs, and criteria problems by path."""
    fields: dict[str, str] = {}
    criteria: list[tuple[str, str]] = []
    for p in exc.problems:
        name = str(p.loc[1]) if len(p.loc) > 1 else str(p.loc[0])
        if name.startswith("criteria"):
            criteria.append((name, p.message))
        else:
            fields[name] = message_for(p)
    return fields, criteria


def _criteria_text(criteria: Any) -> str:
    return json.dumps(criteria, ensure_ascii=False, indent=2) if criteria else ""


@router.get("/admin/journey/steps/new")
def new_step(
    request: Request, ctx: JourneyAdmin, session: DbSession, phase: str = "onboarding"
) -> Response:
    values = {"phase": phase, "required": True, "manual": True, "criteria_text": ""}
    return _step_form(request, ctx, session, key=None, values=values)


@router.post("/admin/journey/steps/new")
async def create_step(request: Request, ctx: JourneyAdmin, session: DbSession) -> Response:
    values = _step_values(await request.form())
    try:
        data = parse(
            StepCreate,
            {
                **{k: v for k, v in values.items() if k != "criteria_text"},
                "criteria": _criteria(values["criteria_text"]),
            },
        )
        with session.begin():
            definition.create_step(session, ctx.actor, data)
    except Invalid as exc:
        errors, criteria_errors = _split(exc)
        return _step_form(
            request, ctx, session, key=None, values=values, errors=errors,
            criteria_errors=criteria_errors,
        )  # fmt: skip
    return redirect("/admin/journey", flash=N_("Step added."))


@router.get("/admin/journey/steps/{key}")
def edit_step(request: Request, key: str, ctx: JourneyAdmin, session: DbSession) -> Response:
    with session.begin():
        step = definition.get_step(session, key)
        values = {
            "key": step.key,
            "phase": step.phase,
            "name": step.name,
            "name_en": step.name_en,
            "description": step.description,
            "required": step.required,
            "manual": step.manual,
            "criteria_text": _criteria_text(step.criteria),
        }
    return _step_form(request, ctx, session, key=key, values=values)


@router.post("/admin/journey/steps/{key}")
async def save_step(request: Request, key: str, ctx: JourneyAdmin, session: DbSession) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    try:
        with session.begin():
            if action in ("up", "down"):
                definition.move_step(session, ctx.actor, key, -1 if action == "up" else 1)
                return redirect(f"/admin/journey#step-{key}", flash=N_("Step moved."))
            if action == "delete":
                definition.delete_step(session, ctx.actor, key)
                return redirect("/admin/journey", flash=N_("Step deleted."))
    except Invalid:
        return redirect("/admin/journey", flash=N_("The step could not be changed."), level="error")
    values = _step_values(form)
    values["key"] = key
    try:
        data = parse(
            StepUpdate,
            {
                **{k: v for k, v in values.items() if k not in ("criteria_text", "key")},
                "criteria": _criteria(values["criteria_text"]),
            },
        )
        with session.begin():
            definition.update_step(session, ctx.actor, key, data)
    except Invalid as exc:
        errors, criteria_errors = _split(exc)
        return _step_form(
            request, ctx, session, key=key, values=values, errors=errors,
            criteria_errors=criteria_errors,
        )  # fmt: skip
    return redirect(f"/admin/journey#step-{key}", flash=N_("Step saved."))
