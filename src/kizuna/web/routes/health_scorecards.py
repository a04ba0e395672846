"""Scorecard admin (/admin/scorecards): list, editor (groups, measures, bands, coverage)
saving into a draft version, version history with publish, YAML download and upload.

The editor is a plain form with indexed fields (``g-0-weight``, ``m-3-signal``); "add" and
"remove" buttons post the form back and re-render it one row longer or shorter without
saving, so it works without JavaScript.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from kizuna.auth.permissions import Permission
from kizuna.health import scorecards, service
from kizuna.health.definition import default_document
from kizuna.health.schemas import ScorecardCreate, ScorecardUpdate
from kizuna.kit.errors import Conflict, FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import Phase, Tier
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.field_errors import message_for
from kizuna.web.forms import parse
from kizuna.web.render import redirect, render

router = APIRouter()
HealthAdmin = Annotated[PageContext, Depends(page(Permission.HEALTH_ADMIN))]
GROUP_FIELDS = ("key", "name", "name_en", "weight")
MEASURE_FIELDS = (
    *("key", "name", "name_en", "group", "signal", "weight", "kind"),
    *("steps", "worst", "best", "missing", "missing_points"),
)
MISSING_RULES = {
    "exclude": N_("Leave out (weight goes to the others)"),
    "zero": N_("0 points"),
    "neutral": N_("50 points (neutral)"),
    "fixed": N_("Fixed points"),
}
SIGNAL_GROUPS = {
    "deployment": N_("Deployment"),
    "engagement": N_("Engagement"),
    "adoption": N_("Adoption"),
    "roi": N_("ROI"),
    "support": N_("Support"),
    "revenue": N_("Revenue"),
    "account": N_("Account"),
}
# Our own problems, shown in the reader's language.
MESSAGES = {
    "float_type": N_("Must be a number."),  # strict definitions: typed text is not a number
    "unknown_signal": N_("Not a signal of the catalogue."),
    "unknown_group": N_("Not one of the groups above."),
    "bad_steps": N_("Write steps as min:points, separated by commas (e.g. 0:0, 5:50, 9:100)."),
    "steps must be strictly ascending by min": N_("Steps must go up: each min above the last."),
    "worst and best must differ": N_("Worst and best must differ."),
    "missing_points is required when missing is 'fixed'": N_("Give the fixed points."),
    "red_below must not be above green_from": N_("Red must end below where green starts."),
    "group keys must be unique": N_("Group keys must be unique."),
    "measure keys must be unique": N_("Measure keys must be unique."),
}
MAX_YAML_BYTES = 1_000_000
_STEP = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[:：→]\s*(\d+(?:\.\d+)?)\s*$")


@router.get("/admin/scorecards")
def scorecard_list(request: Request, ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        items = scorecards.list_scorecards(session, ctx.actor)
    return render(request, ctx, "health/admin_scorecards.html", active="scorecards", items=items)


@router.get("/admin/scorecards/new")
def new_scorecard(request: Request, ctx: HealthAdmin, session: DbSession) -> Response:
    values = _document_values(default_document())
    values.update(key="", name="", name_en="", description="", priority="10")
    return _editor(request, ctx, session, None, values)


@router.post("/admin/scorecards/new")
async def create_scorecard(request: Request, ctx: HealthAdmin, session: DbSession) -> Response:
    form = await request.form()
    values = _form_values(form)
    if _edit_rows(form, values):
        return _editor(request, ctx, session, None, values)
    try:
        data = parse(ScorecardCreate, {"key": values["key"], **_input(values)})
        with session.begin():
            scorecards.create_scorecard(session, ctx.actor, data)
    except Invalid as exc:
        return _editor(request, ctx, session, None, values, errors=_errors(exc))
    return redirect(f"/admin/scorecards/{values['key']}", flash=N_("Scorecard created as a draft."))


@router.post("/admin/scorecards-import")
async def import_scorecard(request: Request, ctx: HealthAdmin, session: DbSession) -> Response:
    upload = (await request.form()).get("file")
    text = ""
    if isinstance(upload, UploadFile):
        text = (await upload.read(MAX_YAML_BYTES)).decode("utf-8", "replace")
        await upload.close()
    try:
        with session.begin():
            result = scorecards.import_yaml(session, ctx.actor, text)
    except Invalid as exc:
        problem = "; ".join(f"{'.'.join(map(str, p.loc))}: {p.message}" for p in exc.problems[:5])
        with session.begin():
            items = scorecards.list_scorecards(session, ctx.actor)
        return render(
            request, ctx, "health/admin_scorecards.html", active="scorecards", items=items,
            import_error=problem, status_code=422,
        )  # fmt: skip
    return redirect(
        f"/admin/scorecards/{result.scorecard.key}",
        flash=N_("YAML imported into the draft version."),
    )


@router.post("/admin/scorecards-rescore")
def rescore_now(request: Request, ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        service.queue_rescore(session, ctx.actor)
    return redirect("/admin/scorecards", flash=N_("A rescore of every account has been queued."))


@router.get("/admin/scorecards/{key}")
def edit_scorecard(request: Request, key: str, ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        detail = scorecards.get_scorecard(session, ctx.actor, key)
    return _editor(request, ctx, session, key, _detail_values(detail))


@router.post("/admin/scorecards/{key}")
async def save_scorecard(
    request: Request, key: str, ctx: HealthAdmin, session: DbSession
) -> Response:
    form = await request.form()
    values = _form_values(form)
    if _edit_rows(form, values):
        return _editor(request, ctx, session, key, values)
    try:
        data = parse(ScorecardUpdate, _input(values))
        with session.begin():
            draft = scorecards.update_scorecard(session, ctx.actor, key, data)
    except Invalid as exc:
        return _editor(request, ctx, session, key, values, errors=_errors(exc))
    flash = N_("Saved as a draft version: publish it to score with it.")
    return redirect(f"/admin/scorecards/{key}", flash=flash if draft else N_("Changes saved."))


@router.post("/admin/scorecards/{key}/publish")
async def publish_scorecard(
    request: Request, key: str, ctx: HealthAdmin, session: DbSession
) -> Response:
    note = str((await request.form()).get("note", "")).strip() or None
    try:
        with session.begin():
            scorecards.publish(session, ctx.actor, key, note=note)
    except (Conflict, Invalid):
        return redirect(
            f"/admin/scorecards/{key}",
            flash=N_("There is no valid draft to publish."),
            level="error",
        )
    return redirect(
        f"/admin/scorecards/{key}", flash=N_("Published. Every account is being rescored.")
    )


@router.get("/admin/scorecards/{key}/yaml")
def download_yaml(request: Request, key: str, ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        text = scorecards.export_yaml(session, ctx.actor, key)
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="scorecard-{key}.yaml"'},
    )


# -- the editor ----------------------------------------------------------------------------


def _editor(
    request: Request,
    ctx: PageContext,
    session: Session,
    key: str | None,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        detail = scorecards.get_scorecard(session, ctx.actor, key) if key else None
        signals = scorecards.list_signals(session, ctx.actor)
    by_group: dict[str, list[Any]] = {g: [] for g in SIGNAL_GROUPS}
    for signal in signals:
        by_group.setdefault(signal.group, []).append(signal)
    return render(
        request,
        ctx,
        "health/admin_scorecard_form.html",
        active="scorecards",
        detail=detail,
        values=values,
        errors=errors or {},
        signal_groups=SIGNAL_GROUPS,
        signals_by_group=by_group,
        known_signals={s.key for s in signals},
        missing_rules=MISSING_RULES,
        tiers=list(Tier),
        phases=list(Phase),
        status_code=422 if errors else 200,
    )


def _edit_rows(form: FormData, values: dict[str, Any]) -> bool:
    """Apply an add/remove button (True when one was pressed: re-render, don't save)."""
    action = str(form.get("action", ""))
    if action == "add_group":
        values["groups"].append({"key": "", "name": "", "name_en": "", "weight": "25"})
    elif action == "add_measure":
        group = values["groups"][0]["key"] if values["groups"] else ""
        values["measures"].append(
            {"key": "", "name": "", "name_en": "", "group": group, "signal": "", "weight": "1",
             "kind": "linear", "steps": "", "worst": "0", "best": "100", "missing": "exclude",
             "missing_points": ""}
        )  # fmt: skip
    elif action.startswith("remove_group_") and action[13:].isdigit():
        del values["groups"][int(action[13:])]
    elif action.startswith("remove_measure_") and action[15:].isdigit():
        del values["measures"][int(action[15:])]
    else:
        return False
    return True


def _rows(form: FormData, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    indexes = sorted(
        {int(k.split("-")[1]) for k in form if k.startswith(f"{prefix}-") and k.count("-") == 2
         and k.split("-")[1].isdigit()}
    )  # fmt: skip
    return [{f: str(form.get(f"{prefix}-{i}-{f}", "")).strip() for f in fields} for i in indexes]


def _form_values(form: FormData) -> dict[str, Any]:
    """The form as typed (shown again on errors)."""
    values: dict[str, Any] = {
        k: str(form.get(k, "")).strip()
        for k in ("key", "name", "name_en", "description", "priority", "note",
                  "red_below", "green_from", "min_coverage")
    }  # fmt: skip
    values["tiers"] = [t for t in form.getlist("tiers") if t in {x.value for x in Tier}]
    values["phases"] = [p for p in form.getlist("phases") if p in {x.value for x in Phase}]
    values["groups"] = _rows(form, "g", GROUP_FIELDS)
    values["measures"] = _rows(form, "m", MEASURE_FIELDS)
    return values


def _number(text: str) -> float | str:
    """A typed number as float; anything else stays text, so validation names the field."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def _scoring(m: dict[str, str], index: int) -> dict[str, Any]:
    if m["kind"] != "thresholds":
        return {"kind": "linear", "worst": _number(m["worst"]), "best": _number(m["best"])}
    steps = []
    for part in filter(None, (p.strip() for p in m["steps"].replace("、", ",").split(","))):
        found = _STEP.match(part)
        if found is None:
            raise Invalid(
                FieldProblem(("body", "definition", "measures", index, "steps"), "bad_steps", part)
            )
        steps.append({"min": float(found.group(1)), "points": float(found.group(2))})
    return {"kind": "thresholds", "steps": steps}


def _input(values: dict[str, Any]) -> dict[str, Any]:
    """Form values → the API's input (ScorecardCreate without the key / ScorecardUpdate)."""
    measures = []
    for i, m in enumerate(values["measures"]):
        measure: dict[str, Any] = {
            **{f: m[f] for f in ("key", "name", "name_en", "group", "signal")},
            "weight": _number(m["weight"]),
            "scoring": _scoring(m, i),
            "missing": m["missing"] or "exclude",
        }
        if m["missing"] == "fixed":
            measure["missing_points"] = (
                _number(m["missing_points"]) if m["missing_points"] else None
            )
        measures.append(measure)
    coverage = _number(values["min_coverage"])
    return {
        **{k: values[k] for k in ("name", "name_en", "description", "note")},
        "priority": values["priority"] or "0",
        "applies_to": {"tiers": values["tiers"], "phases": values["phases"]},
        "definition": {
            "groups": [{**g, "weight": _number(g["weight"])} for g in values["groups"]],
            "measures": measures,
            "bands": {"red_below": _number(values["red_below"]),
                      "green_from": _number(values["green_from"])},
            "min_coverage": coverage / 100 if isinstance(coverage, float) else coverage,
        },
    }  # fmt: skip


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _measure_values(m: dict[str, Any]) -> dict[str, Any]:
    scoring = m.get("scoring", {})
    steps = [f"{_plain(s['min'])}:{_plain(s['points'])}" for s in scoring.get("steps", [])]
    return {
        **{f: str(m.get(f, "")) for f in ("key", "name", "name_en", "group", "signal")},
        "weight": _plain(m.get("weight")),
        "kind": scoring.get("kind", "linear"),
        "steps": ", ".join(steps),
        "worst": _plain(scoring.get("worst")),
        "best": _plain(scoring.get("best")),
        "missing": m.get("missing", "exclude"),
        "missing_points": _plain(m.get("missing_points")),
    }


def _document_values(document: dict[str, Any]) -> dict[str, Any]:
    """A stored definition → the editor's values."""
    bands = document.get("bands", {})
    groups = [
        {**{f: str(g.get(f, "")) for f in GROUP_FIELDS}, "weight": _plain(g.get("weight"))}
        for g in document.get("groups", [])
    ]
    return {
        "groups": groups,
        "measures": [_measure_values(m) for m in document.get("measures", [])],
        "red_below": _plain(bands.get("red_below", 40)),
        "green_from": _plain(bands.get("green_from", 70)),
        "min_coverage": _plain(round(float(document.get("min_coverage", 0.5)) * 100, 1)),
        "tiers": [],
        "phases": [],
        "note": "",
    }


def _detail_values(detail: Any) -> dict[str, Any]:
    values = _document_values(detail.definition)
    values.update(
        key=detail.key, name=detail.name, name_en=detail.name_en,
        description=detail.description, priority=str(detail.priority),
        tiers=[t.value for t in detail.applies_to.tiers],
        phases=[p.value for p in detail.applies_to.phases],
    )  # fmt: skip
    return values


def _errors(exc: Invalid) -> dict[str, str]:
    """Errors by input name: ``m-3-signal``, ``g-0-weight``, ``bands``, ``name``…"""
    errors: dict[str, str] = {}
    for problem in exc.problems:
        loc = (
            [str(p) for p in problem.loc[1:]]
            if problem.loc[:1] == ("body",)
            else [str(p) for p in problem.loc]
        )
        if loc[:1] == ["definition"] and len(loc) >= 3 and loc[1] in ("groups", "measures"):
            field = _measure_field(loc[3:]) if loc[1] == "measures" else (loc[3:4] or ["key"])[0]
            if loc[1] == "measures" and len(loc) == 3 and "missing_points" in problem.message:
                field = "missing_points"
            name = f"{loc[1][0]}-{loc[2]}-{field}"
        elif loc[:1] == ["definition"]:
            name = loc[1] if len(loc) > 1 and loc[1] in ("bands", "min_coverage") else "definition"
        else:
            name = loc[0] if loc else "form"
        errors.setdefault(name, _message(problem))
    return errors


def _measure_field(rest: list[str]) -> str:
    if not rest:
        return "key"
    if rest[0] == "scoring":
        return next((p for p in rest[1:] if p in ("steps", "worst", "best")), "scoring")
    return rest[0]


def _message(problem: FieldProblem) -> str:
    if problem.code in MESSAGES:
        return MESSAGES[problem.code]
    if problem.code == "value_error" and problem.message in MESSAGES:
        return MESSAGES[problem.message]
    return message_for(problem)
