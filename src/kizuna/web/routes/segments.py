"""Segments: the list, the builder (new/edit, live preview), a segment's members (CSV too),
the reusable condition-builder endpoints, and the tag chips of Account 360."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.segment import builder, export, service, tags
from kizuna.segment.evaluation import FactSource
from kizuna.segment.schemas import SegmentIn, SegmentUpdate
from kizuna.web.deps import AccountEditor, DbSession, PageContext, Reader, page
from kizuna.web.field_errors import message_for
from kizuna.web.render import redirect, render, request_locale

router = APIRouter()
SegmentEditor = Annotated[PageContext, Depends(page(Permission.SEGMENT_WRITE))]
PREFIX = "c"
TAG_MESSAGES = {
    "blank": N_("A tag cannot be blank."),
    "comma": N_("A tag cannot contain a comma."),
    "too_long": N_("At most 64 characters."),
    "too_many": N_("Too many tags."),
}
RAW_MESSAGES = {
    "bad_yaml": N_("Not valid JSON or YAML."),
    "not_an_object": N_("This part is not a condition."),
}


def fact_source(request: Request, session: Session, ctx: PageContext) -> FactSource:
    return FactSource(
        session,
        today=today(ctx.actor.timezone),
        zone=ctx.actor.timezone,
        data_dir=request.app.state.settings.data_dir,
    )


def to_yaml(definition: dict[str, Any]) -> str:
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)


# --------------------------------------------------------------------------- list


@router.get("/segments")
def list_segments(request: Request, ctx: Reader, session: DbSession) -> Response:
    """Mine and shared, with member counts from one load of the facts they read."""
    with session.begin():
        segments = service.list_segments(session, ctx.actor)
        counts = service.counts(ctx.actor, segments, source=fact_source(request, session, ctx))
        rows = service.to_out(session, ctx.actor, segments, counts)
        return render(request, ctx, "segments/index.html", active="segments", rows=rows)


# --------------------------------------------------------------------------- the builder


def _definition_from_form(form: Any, source: FactSource, prefix: str) -> dict[str, Any]:
    """The definition a submitted editor holds: the raw text in raw mode, else the
    builder's rows."""
    if str(form.get("mode", "")) == "raw":
        try:
            data = yaml.safe_load(str(form.get("raw", "")) or "{}")
        except yaml.YAMLError as exc:
            raise Invalid(FieldProblem(("body", "raw"), "bad_yaml", str(exc))) from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise Invalid(FieldProblem(("body", "raw"), "not_an_object", "must be an object"))
        return data
    state = builder.parse_form(form, prefix)
    return builder.to_definition(state, source.specs())


def builder_context(
    request: Request,
    ctx: PageContext,
    session: Session,
    source: FactSource,
    state: builder.BuilderState,
    *,
    prefix: str = PREFIX,
    errors: dict[str, str] | None = None,
) -> builder.BuilderView:
    known = [t.tag for t in tags.list_tags(session, ctx.actor)][:200]
    return builder.view(
        state,
        source.specs(),
        locale=request_locale(request, ctx),
        prefix=prefix,
        errors=errors,
        tags=known,
    )


def split_problems(exc: Invalid) -> tuple[dict[str, str], dict[str, str]]:
    """(field errors, builder row errors) of a failed save or preview."""
    fields: dict[str, str] = {}
    rows: list[FieldProblem] = []
    for p in exc.problems:
        where = ".".join(map(str, p.loc[1:])) if len(p.loc) > 1 else str(p.loc[0])
        if where.startswith("definition") or ".condition" in where:
            rows.append(p)
        else:
            fields.setdefault(where, RAW_MESSAGES.get(p.code) or message_for(p))
    return fields, builder.problems_by_row(Invalid(rows)) if rows else {}


@router.post("/segments/builder")
async def builder_fragment(request: Request, ctx: Reader, session: DbSession) -> Response:
    """Re-render a condition builder after a structural change (a field or condition
    picked, a row added or removed), with its preview out of band. Any page can embed
    ``segments/_builder.html``; the fields sit under the ``_prefix`` it sends."""
    form = await request.form()
    prefix = str(form.get("_prefix", PREFIX)) or PREFIX
    with session.begin():
        source = fact_source(request, session, ctx)
        state = builder.parse_form(form, prefix)
        state = builder.apply_action(state, str(form.get("_action", "")))
        state = builder.fit_to_specs(state, source.specs())
        view = builder_context(request, ctx, session, source, state, prefix=prefix)
        preview, problems = _preview(
            session, ctx, source, builder.to_definition(state, source.specs())
        )
        return render(
            request,
            ctx,
            "segments/_builder_response.html",
            b=view,
            preview=preview,
            problems=problems,
            raw_text=to_yaml(builder.to_definition(state, source.specs()))
            if form.get("_raw")
            else None,
        )


def _preview(
    session: Session, ctx: PageContext, source: FactSource, definition: dict[str, Any]
) -> tuple[Any, dict[str, str]]:
    try:
        return service.preview(session, ctx.actor, definition, source=source), {}
    except Invalid as exc:
        _fields, rows = split_problems(exc)
        return None, rows or {"": N_("This part is not a condition.")}


@router.post("/segments/preview")
async def preview_fragment(request: Request, ctx: Reader, session: DbSession) -> Response:
    """The live preview: how many accounts match today and the first 20 by name."""
    form = await request.form()
    prefix = str(form.get("_prefix", PREFIX)) or PREFIX
    with session.begin():
        source = fact_source(request, session, ctx)
        try:
            definition = _definition_from_form(form, source, prefix)
        except Invalid as exc:
            fields, _rows = split_problems(exc)
            return render(
                request, ctx, "segments/_preview.html", prefix=prefix, preview=None, problems=fields
            )
        preview, problems = _preview(session, ctx, source, definition)
        raw_text = None
        if form.get("_raw") and str(form.get("mode", "")) != "raw":
            raw_text = to_yaml(definition)
        return render(
            request,
            ctx,
            "segments/_preview.html",
            prefix=prefix,
            preview=preview,
            problems=problems,
            raw_text=raw_text,
            oob_raw=True,
        )


def _editor(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    values: dict[str, Any],
    definition: dict[str, Any] | None,
    segment: Any = None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    mode: str = "builder",
    raw: str | None = None,
    status_code: int = 200,
) -> Response:
    source = fact_source(request, session, ctx)
    state = builder.from_definition(definition, source.specs())
    if state is None:  # a `not` or deep nesting: only the raw view can show it
        mode, state = "raw", builder.BuilderState()
    view = builder_context(request, ctx, session, source, state, errors=row_errors)
    preview: Any = None
    problems: dict[str, str] = {}
    if definition is not None and not row_errors:
        preview, problems = _preview(session, ctx, source, definition)
    return render(
        request,
        ctx,
        "segments/form.html",
        active="segments",
        status_code=status_code,
        b=view,
        values=values,
        segment=segment,
        errors=errors or {},
        mode=mode,
        raw_text=raw if raw is not None else to_yaml(definition or {}),
        preview=preview,
        problems=problems,
        builder_representable=builder.from_definition(definition, source.specs()) is not None,
    )


@router.get("/segments/new")
def new_segment(request: Request, ctx: SegmentEditor, session: DbSession) -> Response:
    with session.begin():
        return _editor(
            request,
            ctx,
            session,
            values={"name": "", "description": "", "shared": False},
            definition={"all": [{"fact": "health.band", "op": "eq", "value": "red"}]},
        )


def _form_values(form: Any) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "shared": form.get("shared") in ("true", "on", "1"),
    }


async def _save(
    request: Request, ctx: PageContext, session: DbSession, segment_id: uuid.UUID | None
) -> Response:
    form = await request.form()
    values = _form_values(form)
    mode = "raw" if str(form.get("mode", "")) == "raw" else "builder"
    definition: dict[str, Any] | None = None
    try:
        with session.begin():
            source = fact_source(request, session, ctx)
            definition = _definition_from_form(form, source, PREFIX)
            if segment_id is None:
                body = SegmentIn.model_validate({**values, "definition": definition})
                segment = service.create_segment(session, ctx.actor, body, source=source)
            else:
                update = SegmentUpdate.model_validate({**values, "definition": definition})
                segment = service.update_segment(
                    session, ctx.actor, segment_id, update, source=source
                )
            saved = segment.id
    except (Invalid, ValueError) as exc:
        problem = exc if isinstance(exc, Invalid) else _pydantic_invalid(exc)
        fields, rows = split_problems(problem)
        with session.begin():
            current = service.get_segment(session, ctx.actor, segment_id) if segment_id else None
            if mode == "raw" and rows:
                fields.setdefault("raw", next(iter(rows.values())))
            if definition is None and mode == "builder":
                source = fact_source(request, session, ctx)
                definition = builder.to_definition(builder.parse_form(form, PREFIX), source.specs())
            return _editor(
                request,
                ctx,
                session,
                values=values,
                definition=definition if mode == "builder" else None,
                segment=current,
                errors=fields,
                row_errors=rows or None,
                mode=mode,
                raw=str(form.get("raw", "")) if mode == "raw" else None,
                status_code=422,
            )
    return redirect(f"/segments/{saved}", flash=N_("Segment saved."))


def _pydantic_invalid(exc: Exception) -> Invalid:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return Invalid(
            [
                FieldProblem(("body", *[str(p) for p in e["loc"]]), e["type"], e["msg"])
                for e in exc.errors()
            ]
        )
    return Invalid(FieldProblem(("body", "name"), "invalid", str(exc)))


@router.post("/segments/new")
async def create_segment(request: Request, ctx: SegmentEditor, session: DbSession) -> Response:
    return await _save(request, ctx, session, None)


@router.get("/segments/{segment_id}/edit")
def edit_segment(
    request: Request, segment_id: uuid.UUID, ctx: SegmentEditor, session: DbSession
) -> Response:
    with session.begin():
        segment = service.get_segment(session, ctx.actor, segment_id)
        service.require_edit(ctx.actor, segment)
        return _editor(
            request,
            ctx,
            session,
            values={
                "name": segment.name,
                "description": segment.description,
                "shared": segment.shared,
            },
            definition=dict(segment.definition),
            segment=segment,
        )


@router.post("/segments/{segment_id}/edit")
async def update_segment(
    request: Request, segment_id: uuid.UUID, ctx: SegmentEditor, session: DbSession
) -> Response:
    return await _save(request, ctx, session, segment_id)


@router.post("/segments/{segment_id}/archive")
def archive_segment(segment_id: uuid.UUID, ctx: SegmentEditor, session: DbSession) -> Response:
    with session.begin():
        service.archive_segment(session, ctx.actor, segment_id)
    return redirect("/segments", flash=N_("Segment archived."))


# --------------------------------------------------------------------------- members


@router.get("/segments/{segment_id}")
def segment_detail(
    request: Request,
    segment_id: uuid.UUID,
    ctx: Reader,
    session: DbSession,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    with session.begin():
        source = fact_source(request, session, ctx)
        segment = service.get_segment(session, ctx.actor, segment_id)
        out = service.to_out(session, ctx.actor, [segment])[0]
        summary = builder.summarise(
            segment.definition, source.specs(), request_locale(request, ctx)
        )
        try:
            members = service.member_page(session, ctx.actor, segment_id, source=source, page=page)
            broken = False
        except Invalid:
            members, broken = service.MemberPage(0, [], 1, 1), True
        return render(
            request,
            ctx,
            "segments/detail.html",
            active="segments",
            segment=out,
            summary=summary,
            members=members,
            broken=broken,
        )


@router.get("/segments/{segment_id}/members.csv")
def members_csv(
    request: Request, segment_id: uuid.UUID, ctx: Reader, session: DbSession
) -> Response:
    with session.begin():
        source = fact_source(request, session, ctx)
        segment = service.get_segment(session, ctx.actor, segment_id)
        ids = service.member_ids(session, ctx.actor, segment_id, source=source)
        rows = service.member_details(session, ids, today=source.today)
    name = f"segment-{segment.id}-{source.today.isoformat()}.csv"
    return Response(
        export.members_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --------------------------------------------------------------------------- tag chips


def chips(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    account = access_account(session, ctx.actor, account_id)
    current = tags.account_tags(session, ctx.actor, account_id)
    known = [t.tag for t in tags.list_tags(session, ctx.actor) if t.tag not in current][:200]
    return render(
        request,
        ctx,
        "segments/_tags.html",
        account_id=account_id,
        account=account,
        tags=current,
        known=known,
        error=error,
        status_code=status_code,
    )


@router.get("/accounts/{account_id}/tags")
def account_tags(
    request: Request, account_id: uuid.UUID, ctx: Reader, session: DbSession
) -> Response:
    """The tag chips of Account 360 (loaded after the page)."""
    with session.begin():
        return chips(request, ctx, session, account_id)


@router.post("/accounts/{account_id}/tags")
async def add_account_tags(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    """Add the typed tags (commas separate several)."""
    form = await request.form()
    typed = [t for t in str(form.get("tag", "")).split(",") if t.strip()]
    try:
        with session.begin():
            tags.add_tags(session, ctx.actor, account_id, typed)
    except Invalid as exc:
        with session.begin():
            problem = exc.problems[0]
            message = TAG_MESSAGES.get(problem.code) or message_for(problem)
            return chips(request, ctx, session, account_id, error=message, status_code=422)
    with session.begin():
        return chips(request, ctx, session, account_id)


@router.post("/accounts/{account_id}/tags/remove")
async def remove_account_tag(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    form = await request.form()
    with session.begin():
        tags.remove_tags(session, ctx.actor, account_id, [str(form.get("tag", ""))])
        return chips(request, ctx, session, account_id)


# --------------------------------------------------------------------------- cuts


@dataclass(frozen=True)
class SegmentCut:
    """The segment picker of Portfolio, Health, Revenue and the journey board, and the
    member ids of the chosen segment (``None``: no segment chosen, every account)."""

    choices: list[tuple[uuid.UUID, str]]
    selected: uuid.UUID | None
    name: str | None
    account_ids: set[uuid.UUID] | None


def segment_cut(
    request: Request, session: Session, ctx: PageContext, raw: str | None = None
) -> SegmentCut:
    """Read ``?segment=<id>`` (or ``raw``); an unknown or private id of someone else is
    ``NotFound``, a malformed one ``Invalid`` naming ``query.segment``."""
    raw = request.query_params.get("segment") if raw is None else raw
    choices = [(s.id, s.name) for s in service.list_segments(session, ctx.actor)]
    if not raw:
        return SegmentCut(choices, None, None, None)
    try:
        segment_id = uuid.UUID(raw)
    except ValueError:
        raise Invalid(
            FieldProblem(("query", "segment"), "uuid_parsing", "not a segment id")
        ) from None
    segment = service.get_segment(session, ctx.actor, segment_id)
    if segment.id not in {c[0] for c in choices}:  # archived: still usable by link
        choices.append((segment.id, segment.name))
    ids = set(
        service.member_ids(
            session, ctx.actor, segment_id, source=fact_source(request, session, ctx)
        )
    )
    return SegmentCut(choices, segment.id, segment.name, ids)
