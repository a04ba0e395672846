"""Event sources admin: list, create (the write key is shown once), edit (enable/disable,
group matching, trait mapping), rotate the key, delete; with "how to send" snippets."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import CustomFieldObject
from kizuna.models.usage import EventSource
from kizuna.usage import sources
from kizuna.usage.source_schemas import SourceCreate, SourceUpdate
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.forms import errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()

SourceAdmin = Annotated[PageContext, Depends(page(Permission.SOURCE_ADMIN))]

BLANK_MAPPING_ROWS = 3
PENDING = N_(
    "This source still has events waiting to be stored. Disable it now and delete it in a "
    "minute, once they are stored."
)
FIELD_LABELS = {
    "name": N_("Name"),
    "name_kana": N_("Name (kana)"),
    "domain": N_("Domain"),
    "industry": N_("Industry"),
    "employee_count": N_("Employees"),
    "region": N_("Region"),
}


@router.get("/admin/event-sources")
def source_list(request: Request, ctx: SourceAdmin, session: DbSession) -> Response:
    with session.begin():
        return render(
            request,
            ctx,
            "usage/sources.html",
            active="event_sources",
            sources=sources.list_sources(session, ctx.actor),
        )


@router.get("/admin/event-sources/new")
def new_source(request: Request, ctx: SourceAdmin, session: DbSession) -> Response:
    return _source_page(request, ctx, session, values={"group_match": "external_id"})


@router.post("/admin/event-sources/new")
async def create_source(request: Request, ctx: SourceAdmin, session: DbSession) -> Response:
    form = await request.form()
    values = _form_values(form)
    try:
        with session.begin():
            source, key = sources.create_source(session, ctx.actor, parse(SourceCreate, values))
            return _key_page(request, ctx, source, key, created=True)
    except Invalid as exc:
        return _source_page(request, ctx, session, values=values, errors=errors_by_field(exc))


@router.get("/admin/event-sources/{source_id}")
def edit_source(
    request: Request, source_id: uuid.UUID, ctx: SourceAdmin, session: DbSession
) -> Response:
    return _source_page(request, ctx, session, source_id=source_id)


@router.post("/admin/event-sources/{source_id}")
async def update_source(
    request: Request, source_id: uuid.UUID, ctx: SourceAdmin, session: DbSession
) -> Response:
    form = await request.form()
    values = _form_values(form)
    values["enabled"] = form.get("enabled") == "true"
    try:
        with session.begin():
            data = parse(SourceUpdate, values)
            sources.update_source(session, ctx.actor, source_id, data)
    except Invalid as exc:
        return _source_page(
            request, ctx, session, source_id=source_id, values=values, errors=errors_by_field(exc)
        )
    return redirect(f"/admin/event-sources/{source_id}", flash=N_("Changes saved."))


@router.post("/admin/event-sources/{source_id}/rotate")
def rotate_key(
    request: Request, source_id: uuid.UUID, ctx: SourceAdmin, session: DbSession
) -> Response:
    with session.begin():
        source, key = sources.rotate_key(session, ctx.actor, source_id)
        return _key_page(request, ctx, source, key, created=False)


@router.post("/admin/event-sources/{source_id}/delete")
def delete_source(
    request: Request, source_id: uuid.UUID, ctx: SourceAdmin, session: DbSession
) -> Response:
    try:
        with session.begin():
            sources.delete_source(session, ctx.actor, source_id)
    except Conflict:
        return _source_page(
            request, ctx, session, source_id=source_id, alert=PENDING, status_code=409
        )
    return redirect("/admin/event-sources", flash=N_("Source deleted."))


def _form_values(form: FormData) -> dict[str, Any]:
    """Form fields as typed; the mapping arrives as rows ``trait_N`` / ``target_N``."""
    values: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "group_match": str(form.get("group_match", "external_id")),
    }
    mapping: dict[str, str] = {}
    for key in form:
        if key.startswith("trait_"):
            trait = str(form.get(key, "")).strip()
            target = str(form.get(f"target_{key[6:]}", "")).strip()
            if trait or target:
                mapping[trait] = target
    values["trait_mapping"] = mapping
    return values


def _targets(session: Session, locale: str) -> list[tuple[str, str]]:
    """(value, label) of every account field a trait may map to; custom fields included."""
    options = [(name, FIELD_LABELS[name]) for name in sources.MAPPABLE_FIELDS]
    for d in custom_fields.list_definitions(session, CustomFieldObject.ACCOUNT, active_only=True):
        label = d.label_ja if locale == "ja" else d.label_en
        options.append((f"{sources.CUSTOM_PREFIX}{d.key}", label or d.key))
    return options


def _key_page(
    request: Request, ctx: PageContext, source: EventSource, key: str, *, created: bool
) -> Response:
    """The one page that ever shows a write key; browsers and proxies must not keep it."""
    response = render(
        request,
        ctx,
        "usage/source_key.html",
        active="event_sources",
        source=source,
        write_key=key,
        created=created,
        server_url=str(request.base_url).rstrip("/"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _source_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    source_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    """The new-source form, or one source's settings with key rotation and deletion."""
    with session.begin():
        source = sources.get_source(session, ctx.actor, source_id) if source_id else None
        if values is None:
            values = {
                "name": source.name if source else "",
                "description": source.description if source else "",
                "group_match": source.group_match if source else "external_id",
                "enabled": source.enabled if source else True,
                "trait_mapping": dict(source.trait_mapping) if source else {},
            }
        rows = list((values.get("trait_mapping") or {}).items())
        rows += [("", "")] * BLANK_MAPPING_ROWS
        return render(
            request,
            ctx,
            "usage/source_form.html",
            active="event_sources",
            source=source,
            values=values,
            mapping_rows=rows,
            targets=_targets(session, ctx.actor.locale),
            errors=errors or {},
            alert=alert,
            server_url=str(request.base_url).rstrip("/"),
            status_code=422 if errors else status_code,
        )
