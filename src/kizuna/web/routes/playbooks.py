"""Playbook pages: the list (/playbooks), the builder (When / Who / What / How) saving into a
draft version, an inline dry run of what the form holds, publish / pause / resume /
archive, the detail page with versions (and their differences), firings with their why,
evaluation runs and snoozes.

The builder is a plain form with indexed action rows (``x-2-title``); "add" and "remove"
buttons post it back and re-render it without saving, so it works without JavaScript.
Conditions (the "condition" trigger and the audience) use the segments' condition builder
(``segments/_builder.html``, prefixes ``tc`` and ``ac``).
"""

from __future__ import annotations

import difflib
import itertools
import re
import uuid
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.auth.permissions import Permission
from kizuna.facts.catalogue import fact_specs
from kizuna.facts.frame import Kind
from kizuna.kit.clock import today
from kizuna.kit.errors import Conflict, DomainError, FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import CustomFieldObject, Phase
from kizuna.models.playbook import PlaybookStatus
from kizuna.models.user import Team, User
from kizuna.playbook import service
from kizuna.playbook.definition import (
    ACCOUNT_FIELDS,
    PRIORITIES,
    TOUCH_MODELS,
    TRIGGERS,
    empty_definition,
)
from kizuna.playbook.engine import evaluate_playbooks
from kizuna.playbook.schemas import PlaybookCreate, PlaybookUpdate, SnoozeIn
from kizuna.segment import builder, tags
from kizuna.segment import service as segments
from kizuna.segment.evaluation import FactSource
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.field_errors import message_for
from kizuna.web.render import redirect, render, request_locale

router = APIRouter()
Reader = Annotated[PageContext, Depends(page(Permission.ACCOUNT_READ))]
Admin = Annotated[PageContext, Depends(page(Permission.PLAYBOOK_ADMIN))]
Worker = Annotated[PageContext, Depends(page(Permission.TASK_WRITE))]

ACTION_FIELDS = (
    "type", "title", "description", "steps", "due_in_days", "priority", "assignee", "owner",
    "subject", "body", "webhook_url", "text", "field", "value", "add", "remove", "phase",
)  # fmt: skip
TRIGGER_FIELDS = (
    "type", "segment_id", "points", "health_days", "phase", "stall_days", "renewal_days",
    "max_score", "ratio", "fact", "offset_days", "anniversary",
)  # fmt: skip
TRIGGER_NAMES = {
    "segment_entered": N_("Entered a segment"),
    "segment_left": N_("Left a segment"),
    "health_dropped": N_("Health dropped"),
    "phase_stalled": N_("Journey phase stalled"),
    "renewal_in": N_("Renewal coming up"),
    "nps_detractor": N_("Detractor NPS answer"),
    "handoff_received": N_("Hand-off from sales received"),
    "lead_passed": N_("Upsell lead passed to sales"),
    "lead_accepted": N_("Upsell lead accepted by sales"),
    "renewal_at_risk": N_("Renewal became at risk"),
    "seats_nearly_used": N_("Seats nearly used up"),
    "date_field": N_("A date is reached"),
    "condition": N_("A condition becomes true"),
    "manual": N_("Run by hand"),
}
ACTION_NAMES = {
    "create_task": N_("Task"),
    "email_owner": N_("E-mail to the owner"),
    "slack": N_("Slack message"),
    "update_field": N_("Field update"),
    "change_phase": N_("Phase change"),
}
ASSIGNEES = {
    "owner:csm": N_("The account's CSM"),
    "owner:sales": N_("The account's customer-sales owner"),
    "owner:ae": N_("The account's AE"),
    "owner:support": N_("The account's support owner"),
    "team:round_robin": N_("The team, in turn (round robin)"),
    "team:queue": N_("The team's queue (nobody yet)"),
}
OWNER_NAMES = {
    "csm": N_("CSM"),
    "sales": N_("Customer sales"),
    "ae": N_("AE"),
    "support": N_("Support"),
}
FIELD_NAMES = {
    "industry": N_("Industry"),
    "region": N_("Region"),
    "expansion_room": N_("Expansion room"),
    "notes": N_("Notes"),
    "tags": N_("Tags"),
}
SKIP_REASONS = {
    "already_open": N_("Task still open"),
    "cooldown": N_("In the cooldown"),
    "snoozed": N_("Snoozed"),
    "outside_audience": N_("Outside the audience"),
    "touch_model": N_("Other touch model"),
}
MESSAGES = {
    "required": N_("This field is required."),
    "not_an_integer": N_("Must be a whole number."),
    "not_a_number": N_("Must be a number."),
    "out_of_range": N_("Out of range."),
    "bad_choice": N_("Choose one of the listed values."),
    "unknown_segment": N_("Choose a segment."),
    "unknown_user": N_("No active user has this e-mail."),
    "bad_assignee": N_("Choose who gets the task."),
    "bad_placeholder": N_(
        "Unknown placeholder: use {account}, {link}, {why}, {playbook} or {owner}."
    ),
    "bad_url": N_("Must be an https:// URL (or empty for the default webhook)."),
    "unknown_field": N_("Not an active custom field."),
    "bad_field": N_("Choose a field."),
    "bad_tag": N_("Not a valid tag."),
    "bad_fact": N_("Choose a date field."),
    "bad_phase": N_("Choose a phase."),
    "facts_missing": N_("The data this trigger needs is not available."),
    "duplicate": N_("A playbook with this key exists."),
    "string_pattern_mismatch": N_("Lower-case letters, digits, - and _ (starting with a letter)."),
}
_INDEXED = re.compile(r"^x-(\d+)-([a-z_]+)$")
_ACTION_PATH = re.compile(r"^definition\.actions\[(\d+)\](?:\.([a-z_]+))?")


# --------------------------------------------------------------------------- list & detail


@router.get("/playbooks")
def playbook_list(request: Request, ctx: Reader, session: DbSession) -> Response:
    archived = request.query_params.get("archived") == "1"
    with session.begin():
        items = service.list_playbooks(session, ctx.actor, include_archived=archived)
        runs = service.list_runs(session, ctx.actor, limit=5)
    return render(
        request, ctx, "playbooks/index.html", active="playbooks", items=items, runs=runs,
        archived=archived, trigger_names=TRIGGER_NAMES,
    )  # fmt: skip


@router.post("/playbooks/run")
def run_all(request: Request, ctx: Admin, session: DbSession) -> Response:
    settings = request.app.state.settings
    zone = settings.default_timezone
    try:
        with session.begin():
            report = service.run(
                session, ctx.actor, today=today(zone), zone=zone, data_dir=settings.data_dir,
                public_url=settings.public_url,
            )  # fmt: skip
    except DomainError as exc:
        return redirect("/playbooks", flash=exc.message, level="error")
    return redirect(
        f"/playbooks?fired={report.fired}&tasks={report.tasks_created}", flash=N_("Evaluated.")
    )


def _fact_names(session: Session) -> dict[str, tuple[str, str]]:
    return {k: (s.name, s.name_en) for k, s in fact_specs(session).items()}


@router.get("/playbooks/new")
def new_playbook(request: Request, ctx: Admin, session: DbSession) -> Response:
    values = _definition_values(empty_definition())
    values.update(key="", name="", description="", team_id="", note="")
    return _editor(request, ctx, session, None, values)


@router.post("/playbooks/new")
async def create_playbook(request: Request, ctx: Admin, session: DbSession) -> Response:
    form = await request.form()
    values = _form_values(form)
    if _edit_rows(form, values):
        return _editor(request, ctx, session, None, values, form=form)
    try:
        with session.begin():
            source = _source(request, session, ctx)
            data = PlaybookCreate.model_validate(
                {
                    "key": values["key"],
                    "name": values["name"] or "",
                    "description": values["description"],
                    "team_id": values["team_id"] or None,
                    "note": values["note"],
                    "definition": _definition(form, values, source),
                }
            )
            service.create_playbook(session, ctx.actor, data)
    except (Invalid, ValueError) as exc:
        return _editor(request, ctx, session, None, values, form=form, errors=_errors(exc))
    return redirect(
        f"/playbooks/{values['key']}/edit",
        flash=N_("Saved as a draft. Dry-run it, then publish it."),
    )


@router.get("/playbooks/{key}")
def playbook_detail(request: Request, key: str, ctx: Reader, session: DbSession) -> Response:
    zone = request.app.state.settings.default_timezone
    with session.begin():
        detail = service.get_playbook(session, ctx.actor, key)
        firings = service.list_firings(session, ctx.actor, key=key, limit=30)
        runs = service.list_runs(session, ctx.actor, key=key, limit=10)
        snoozes = service.list_snoozes(session, ctx.actor, key, today=today(zone))
        per_day = service.firings_per_day(session, ctx.actor, key, today=today(zone), zone=zone)
        names = _fact_names(session)
        segment_names = {str(s.id): s.name for s in segments.list_segments(session, ctx.actor)}
    diffs = _diffs(detail.versions)
    return render(
        request, ctx, "playbooks/detail.html", active="playbooks", p=detail, firings=firings,
        runs=runs, snoozes=snoozes, diffs=diffs, fact_names=names, trigger_names=TRIGGER_NAMES,
        action_names=ACTION_NAMES, assignees=ASSIGNEES, owner_names=OWNER_NAMES,
        segment_names=segment_names, skip_reasons=SKIP_REASONS, field_names=FIELD_NAMES,
        today=today(zone), can_admin=ctx.actor.can(Permission.PLAYBOOK_ADMIN),
        can_snooze=ctx.actor.can(Permission.TASK_WRITE), per_day=per_day,
    )  # fmt: skip


def _diffs(versions: list[Any]) -> dict[int, list[tuple[str, str]]]:
    """Each version's definition against the one before, as (kind, line) pairs."""
    out: dict[int, list[tuple[str, str]]] = {}
    ordered = sorted(versions, key=lambda v: v.number)
    for before, after in itertools.pairwise(ordered):
        old = yaml.safe_dump(before.definition, allow_unicode=True, sort_keys=False).splitlines()
        new = yaml.safe_dump(after.definition, allow_unicode=True, sort_keys=False).splitlines()
        lines = []
        for line in difflib.unified_diff(old, new, lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
            lines.append((kind, line))
        out[after.number] = lines
    return out


@router.get("/playbooks/{key}/edit")
def edit_playbook(request: Request, key: str, ctx: Admin, session: DbSession) -> Response:
    with session.begin():
        detail = service.get_playbook(session, ctx.actor, key)
    values = _definition_values(detail.definition)
    values.update(
        key=detail.key, name=detail.name, description=detail.description,
        team_id=str(detail.team_id or ""), note="",
    )  # fmt: skip
    return _editor(request, ctx, session, key, values)


@router.post("/playbooks/{key}/edit")
async def save_playbook(request: Request, key: str, ctx: Admin, session: DbSession) -> Response:
    form = await request.form()
    values = _form_values(form)
    values["key"] = key
    if _edit_rows(form, values):
        return _editor(request, ctx, session, key, values, form=form)
    try:
        with session.begin():
            source = _source(request, session, ctx)
            data = PlaybookUpdate.model_validate(
                {
                    "name": values["name"] or None,
                    "description": values["description"],
                    "team_id": values["team_id"] or None,
                    "note": values["note"],
                    "definition": _definition(form, values, source),
                }
            )
            draft = service.update_playbook(session, ctx.actor, key, data)
    except (Invalid, ValueError) as exc:
        return _editor(request, ctx, session, key, values, form=form, errors=_errors(exc))
    except Conflict as exc:
        return redirect(f"/playbooks/{key}", flash=exc.message, level="error")
    flash = N_("Saved as draft v%(n)s. Publish it to use it.") if draft else N_("Changes saved.")
    return redirect(f"/playbooks/{key}/edit" + (f"?v={draft.number}" if draft else ""), flash=flash)


@router.post("/playbooks/{key}/dry-run")
async def dry_run(request: Request, key: str, ctx: Admin, session: DbSession) -> Response:
    """The dry run of what the form holds now (unsaved), shown inline (HTMX)."""
    form = await request.form()
    values = _form_values(form)
    settings = request.app.state.settings
    zone = settings.default_timezone
    report, errors = None, {}
    try:
        with session.begin():
            source = _source(request, session, ctx)
            definition = service.validate(session, ctx.actor, _definition(form, values, source))
            playbook = service.get_playbook(session, ctx.actor, key)
            report = evaluate_playbooks(
                session, ctx.actor, today=today(zone), zone=zone, data_dir=settings.data_dir,
                dry_run=True, playbook_ids=[playbook.id], drafts={playbook.id: definition},
                origin="dry_run",
            )  # fmt: skip
    except (Invalid, ValueError) as exc:
        errors = _errors(exc)
    with session.begin():
        names = _fact_names(session)
    return render(
        request, ctx, "playbooks/_dry_run.html", report=report, errors=errors, fact_names=names,
        skip_reasons=SKIP_REASONS, today=today(zone),
    )  # fmt: skip


def _act(key: str, flash: str, work: Any, session: Session) -> Response:
    try:
        with session.begin():
            work()
    except DomainError as exc:
        return redirect(f"/playbooks/{key}", flash=exc.message, level="error")
    return redirect(f"/playbooks/{key}", flash=flash)


@router.post("/playbooks/{key}/publish")
async def publish(request: Request, key: str, ctx: Admin, session: DbSession) -> Response:
    note = str((await request.form()).get("note", "")).strip() or None
    return _act(
        key, N_("Published. It is evaluated every hour from now on."),
        lambda: service.publish(session, ctx.actor, key, note=note), session,
    )  # fmt: skip


@router.post("/playbooks/{key}/pause")
def pause(key: str, ctx: Admin, session: DbSession) -> Response:
    return _act(key, N_("Paused."), lambda: service.set_status(
        session, ctx.actor, key, PlaybookStatus.PAUSED), session)  # fmt: skip


@router.post("/playbooks/{key}/resume")
def resume(key: str, ctx: Admin, session: DbSession) -> Response:
    return _act(key, N_("Resumed."), lambda: service.set_status(
        session, ctx.actor, key, PlaybookStatus.ACTIVE), session)  # fmt: skip


@router.post("/playbooks/{key}/archive")
def archive(key: str, ctx: Admin, session: DbSession) -> Response:
    return _act(key, N_("Archived."), lambda: service.set_status(
        session, ctx.actor, key, PlaybookStatus.ARCHIVED), session)  # fmt: skip


@router.post("/playbooks/{key}/run")
def run_one(request: Request, key: str, ctx: Admin, session: DbSession) -> Response:
    settings = request.app.state.settings
    zone = settings.default_timezone
    try:
        with session.begin():
            report = service.run(
                session, ctx.actor, [key], today=today(zone), zone=zone,
                data_dir=settings.data_dir, public_url=settings.public_url,
            )  # fmt: skip
    except DomainError as exc:
        return redirect(f"/playbooks/{key}", flash=exc.message, level="error")
    if report.fired:
        return redirect(f"/playbooks/{key}?fired={report.fired}", flash=N_("Evaluated."))
    return redirect(f"/playbooks/{key}", flash=N_("Evaluated: nothing new fired."))


@router.post("/playbooks/{key}/snooze")
async def snooze(request: Request, key: str, ctx: Worker, session: DbSession) -> Response:
    form = await request.form()
    zone = request.app.state.settings.default_timezone
    try:
        data = SnoozeIn.model_validate(
            {
                "account_id": str(form.get("account_id", "")),
                "until": str(form.get("until", "")),
                "reason": str(form.get("reason", "")),
            }
        )
    except ValueError:
        return redirect(
            f"/playbooks/{key}", flash=N_("Choose an account and a date."), level="error"
        )
    return _act(key, N_("Snoozed for the account."), lambda: service.snooze(
        session, ctx.actor, key, data, today=today(zone)), session)  # fmt: skip


@router.post("/playbooks/{key}/snoozes/{account_id}/delete")
def unsnooze(key: str, account_id: uuid.UUID, ctx: Worker, session: DbSession) -> Response:
    return _act(key, N_("Snooze ended."), lambda: service.unsnooze(
        session, ctx.actor, key, account_id), session)  # fmt: skip


@router.get("/playbooks/{key}/yaml")
def download_yaml(key: str, ctx: Reader, session: DbSession) -> Response:
    with session.begin():
        text = service.export_yaml(session, ctx.actor, [key])
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="playbook-{key}.yaml"'},
    )


# --------------------------------------------------------------------------- the editor


def _source(request: Request, session: Session, ctx: PageContext) -> FactSource:
    zone = request.app.state.settings.default_timezone
    return FactSource(session, today(zone), zone, request.app.state.settings.data_dir)


def _editor(
    request: Request,
    ctx: PageContext,
    session: Session,
    key: str | None,
    values: dict[str, Any],
    *,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    locale = request_locale(request, ctx)
    with session.begin():
        detail = service.get_playbook(session, ctx.actor, key) if key else None
        source = _source(request, session, ctx)
        specs = source.specs()
        known_tags = [t.tag for t in tags.list_tags(session, ctx.actor)][:200]
        builders = {}
        for prefix, stored in (
            ("tc", values["trigger_condition"]),
            ("ac", values["audience_condition"]),
        ):
            if form is not None:
                state = builder.fit_to_specs(builder.parse_form(form, prefix), specs)
            else:
                state = builder.from_definition(stored, specs) or builder.BuilderState()
            row_errors = {
                k.removeprefix(f"{prefix}:"): v
                for k, v in errors.items()
                if k.startswith(f"{prefix}:")
            }
            builders[prefix] = builder.view(
                state, specs, locale=locale, prefix=prefix, errors=row_errors, tags=known_tags
            )
        choices = _choices(session, ctx)
        date_facts = [
            (k, s.title(locale))
            for k, s in specs.items()
            if s.kind is Kind.DATE
            and (k == "account.created_on" or k.startswith("account.custom."))
        ]
        versions = [] if detail is None else detail.versions
    return render(
        request, ctx, "playbooks/form.html", active="playbooks", detail=detail, values=values,
        errors=errors, builders=builders, trigger_names=TRIGGER_NAMES, triggers=TRIGGERS,
        action_names=ACTION_NAMES, assignees=ASSIGNEES, owner_names=OWNER_NAMES,
        priorities=PRIORITIES, touch_models=TOUCH_MODELS, field_names=FIELD_NAMES,
        account_fields=ACCOUNT_FIELDS, date_facts=date_facts, phases=[p.value for p in Phase],
        versions=versions, status_code=422 if errors else 200, **choices,
    )  # fmt: skip


def _choices(session: Session, ctx: PageContext) -> dict[str, Any]:
    teams = [
        (str(i), n) for i, n in session.execute(select(Team.id, Team.name).order_by(Team.name))
    ]
    users = [
        (e, n)
        for e, n in session.execute(
            select(User.email, User.name).where(User.is_active.is_(True)).order_by(User.name)
        )
    ]
    custom = [
        (f"custom.{k}", label)
        for k, label in session.execute(
            select(CustomFieldDefinition.key, CustomFieldDefinition.label_ja).where(
                CustomFieldDefinition.object_type == CustomFieldObject.ACCOUNT,
                CustomFieldDefinition.is_active.is_(True),
            )
        )
    ]
    return {
        "teams": teams,
        "users": users,
        "custom_fields": custom,
        "segment_choices": [
            (str(s.id), s.name) for s in segments.list_segments(session, ctx.actor)
        ],
    }


def _edit_rows(form: FormData, values: dict[str, Any]) -> bool:
    """Apply an add/remove button (True when one was pressed: re-render, don't save)."""
    action = str(form.get("action", ""))
    if action.startswith("add_") and action[4:] in ACTION_NAMES:
        values["actions"].append(_blank_action(action[4:]))
    elif action.startswith("remove_") and action[7:].isdigit():
        index = int(action[7:])
        if 0 <= index < len(values["actions"]):
            del values["actions"][index]
    else:
        return False
    return True


def _blank_action(kind: str) -> dict[str, str]:
    row = dict.fromkeys(ACTION_FIELDS, "")
    row.update(type=kind, due_in_days="7", priority="normal", assignee="owner:csm", owner="csm")
    return row


def _form_values(form: FormData) -> dict[str, Any]:
    """The form as typed (shown again on errors)."""
    values: dict[str, Any] = {
        k: str(form.get(k, "")).strip()
        for k in (
            "key",
            "name",
            "description",
            "team_id",
            "note",
            "cooldown_days",
            "audience_segment",
        )
    }
    values["trigger"] = {f: str(form.get(f"t-{f}", "")).strip() for f in TRIGGER_FIELDS}
    values["trigger"]["anniversary"] = "1" if form.get("t-anniversary") else ""
    values["touch_models"] = [t for t in form.getlist("touch_models") if t in TOUCH_MODELS]
    indexes = sorted({int(m.group(1)) for k in form if (m := _INDEXED.match(k)) is not None})
    values["actions"] = [
        {f: str(form.get(f"x-{i}-{f}", "")) for f in ACTION_FIELDS} for i in indexes
    ]
    values["trigger_condition"] = None
    values["audience_condition"] = None
    return values


def _int(text: str) -> int | float | str | None:
    text = text.replace(",", "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,、\n]", text) if t.strip()]


def _definition(form: FormData, values: dict[str, Any], source: FactSource) -> dict[str, Any]:
    """Form values → the stored definition's shape (typed loosely: validation names the
    fields)."""
    t = values["trigger"]
    kind = t["type"] or "manual"
    trigger: dict[str, Any] = {"type": kind}
    if kind in ("segment_entered", "segment_left"):
        trigger["segment_id"] = t["segment_id"] or None
    elif kind == "health_dropped":
        trigger["points"] = _int(t["points"])
        trigger["days"] = _int(t["health_days"]) or 7
    elif kind == "phase_stalled":
        trigger["phase"] = t["phase"] or None
        trigger["days"] = _int(t["stall_days"])
    elif kind == "renewal_in":
        trigger["days"] = _int(t["renewal_days"])
    elif kind == "nps_detractor":
        trigger["max_score"] = _int(t["max_score"]) if t["max_score"] else 6
    elif kind == "seats_nearly_used":
        ratio = _int(t["ratio"])
        trigger["ratio"] = ratio / 100 if isinstance(ratio, int | float) else ratio
    elif kind == "date_field":
        trigger["fact"] = t["fact"]
        trigger["offset_days"] = _int(t["offset_days"]) or 0
        trigger["anniversary"] = bool(t["anniversary"])
    elif kind == "condition":
        trigger["condition"] = builder.to_definition(builder.parse_form(form, "tc"), source.specs())
    audience_condition = builder.to_definition(builder.parse_form(form, "ac"), source.specs())
    actions = []
    for a in values["actions"]:
        kind_a = a["type"]
        item: dict[str, Any] = {"type": kind_a}
        if kind_a == "create_task":
            item.update(
                title=a["title"], description=a["description"], steps=_lines(a["steps"]),
                due_in_days=_int(a["due_in_days"]) if a["due_in_days"] else 7,
                priority=a["priority"] or "normal", assignee=a["assignee"] or "owner:csm",
            )  # fmt: skip
        elif kind_a == "email_owner":
            item.update(owner=a["owner"] or "csm", subject=a["subject"], body=a["body"])
        elif kind_a == "slack":
            item.update(webhook_url=a["webhook_url"] or None, text=a["text"])
        elif kind_a == "update_field":
            if a["field"] == "tags":
                item.update(field="tags", add=_tags(a["add"]), remove=_tags(a["remove"]))
            else:
                item.update(field=a["field"], value=a["value"])
        elif kind_a == "change_phase":
            item.update(phase=a["phase"])
        actions.append(item)
    cooldown = _int(values["cooldown_days"]) if values["cooldown_days"] else 0
    return {
        "trigger": trigger,
        "audience": {
            "segment_id": values["audience_segment"] or None,
            "condition": audience_condition if audience_condition != {"all": []} else None,
        },
        "touch_models": values["touch_models"],
        "actions": actions,
        "cooldown_days": cooldown,
    }


def _definition_values(d: dict[str, Any]) -> dict[str, Any]:
    """A stored definition → the editor's values."""
    t = d.get("trigger", {"type": "manual"})
    kind = t.get("type", "manual")
    trigger = dict.fromkeys(TRIGGER_FIELDS, "")
    trigger["type"] = kind
    trigger["segment_id"] = str(t.get("segment_id") or "")
    if kind == "health_dropped":
        trigger.update(points=_plain(t.get("points")), health_days=_plain(t.get("days", 7)))
    elif kind == "phase_stalled":
        trigger.update(phase=t.get("phase") or "", stall_days=_plain(t.get("days")))
    elif kind == "renewal_in":
        trigger["renewal_days"] = _plain(t.get("days"))
    elif kind == "nps_detractor":
        trigger["max_score"] = _plain(t.get("max_score", 6))
    elif kind == "seats_nearly_used":
        trigger["ratio"] = _plain(round(float(t.get("ratio", 0.9)) * 100, 1))
    elif kind == "date_field":
        trigger.update(fact=t.get("fact") or "", offset_days=_plain(t.get("offset_days", 0)),
                       anniversary="1" if t.get("anniversary") else "")  # fmt: skip
    audience = d.get("audience") or {}
    actions = []
    for a in d.get("actions", []):
        row = _blank_action(str(a.get("type", "create_task")))
        for f in ACTION_FIELDS:
            if f in a and a[f] is not None:
                v = a[f]
                if f == "steps":
                    row[f] = "\n".join(str(s) for s in v)
                elif f in ("add", "remove"):
                    row[f] = ", ".join(str(s) for s in v)
                else:
                    row[f] = _plain(v) if isinstance(v, int | float) else str(v)
        actions.append(row)
    return {
        "trigger": trigger,
        "trigger_condition": t.get("condition") if kind == "condition" else None,
        "audience_segment": str(audience.get("segment_id") or ""),
        "audience_condition": audience.get("condition"),
        "touch_models": list(d.get("touch_models", [])),
        "actions": actions,
        "cooldown_days": _plain(d.get("cooldown_days", 0)),
    }


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _errors(exc: Exception) -> dict[str, str]:
    """Errors by input name: ``t-points``, ``x-2-title``, ``tc:1`` (builder rows)…"""
    if not isinstance(exc, Invalid):
        exc = _pydantic(exc)
    errors: dict[str, str] = {}
    for problem in exc.problems:
        path = (
            ".".join(str(p) for p in problem.loc[1:])
            if problem.loc[:1] == ("body",)
            else ".".join(str(p) for p in problem.loc)
        )
        message = MESSAGES.get(problem.code) or message_for(problem)
        name = _field_of(path)
        if name in ("tc", "ac"):
            row = builder.row_of_path(path)
            errors.setdefault(f"{name}:{row}", builder.PROBLEM_MESSAGES.get(problem.code, message))
            name = f"{name}-all"
        errors.setdefault(name, message)
    return errors


def _field_of(path: str) -> str:
    if path.startswith("definition.trigger.condition"):
        return "tc"
    if path.startswith("definition.audience.condition"):
        return "ac"
    found = _ACTION_PATH.match(path)
    if found:
        return f"x-{found.group(1)}-{found.group(2) or 'type'}"
    trigger_fields = {
        "points": "t-points", "segment_id": "t-segment_id", "phase": "t-phase",
        "max_score": "t-max_score", "ratio": "t-ratio", "fact": "t-fact",
        "offset_days": "t-offset_days", "type": "t-type", "anniversary": "t-anniversary",
    }  # fmt: skip
    if path.startswith("definition.trigger."):
        rest = path.removeprefix("definition.trigger.")
        if rest == "days":
            return "t-days"
        return trigger_fields.get(rest, "t-type")
    if path == "definition.audience.segment_id":
        return "audience_segment"
    if path.startswith("definition.touch_models"):
        return "touch_models"
    if path.startswith("definition.cooldown_days"):
        return "cooldown_days"
    if path.startswith("definition"):
        return "definition"
    return path.split(".")[0] or "form"


def _pydantic(exc: Exception) -> Invalid:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return Invalid(
            [FieldProblem(("body", *map(str, e["loc"])), e["type"], e["msg"]) for e in exc.errors()]
        )
    return Invalid(FieldProblem(("body", "form"), "invalid", str(exc)))
