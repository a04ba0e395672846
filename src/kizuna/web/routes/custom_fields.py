"""Custom field definitions: list by object, define, edit, deactivate and reactivate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.customfield import service as custom_fields
from kizuna.customfield.schemas import CustomFieldCreate, CustomFieldOut, CustomFieldUpdate
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import CustomFieldObject, CustomFieldType
from kizuna.web.deps import CustomFieldAdmin, DbSession, PageContext
from kizuna.web.forms import clean, errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()

_EDIT_FIELDS = [
    "label_ja",
    "label_en",
    "min_value",
    "max_value",
    "max_length",
    "help_text",
    "position",
]
_CREATE_FIELDS = ["object_type", "key", "field_type", *_EDIT_FIELDS]
ALREADY_INACTIVE = N_("This custom field is already inactive.")


@router.get("/admin/custom-fields")
def field_list(request: Request, ctx: CustomFieldAdmin, session: DbSession) -> Response:
    with session.begin():
        return render(
            request,
            ctx,
            "admin/custom_fields.html",
            active="custom_fields",
            definitions=custom_fields.list_definitions(session),
            objects=list(CustomFieldObject),
        )


@router.get("/admin/custom-fields/new")
def new_field(request: Request, ctx: CustomFieldAdmin, session: DbSession) -> Response:
    chosen = request.query_params.get("object_type", "")
    values = {"object_type": chosen or CustomFieldObject.ACCOUNT.value, "field_type": "text"}
    return _field_page(request, ctx, session, values=values)


@router.post("/admin/custom-fields/new")
async def create_field(request: Request, ctx: CustomFieldAdmin, session: DbSession) -> Response:
    values = _form_values(await request.form(), _CREATE_FIELDS)
    try:
        with session.begin():
            custom_fields.create_definition(session, ctx.actor, parse(CustomFieldCreate, values))
    except Invalid as exc:
        return _field_page(request, ctx, session, values=values, errors=errors_by_field(exc))
    return redirect("/admin/custom-fields", flash=N_("Custom field created."))


@router.get("/admin/custom-fields/{field_id}")
def edit_field(
    request: Request, field_id: uuid.UUID, ctx: CustomFieldAdmin, session: DbSession
) -> Response:
    return _field_page(request, ctx, session, field_id=field_id)


@router.post("/admin/custom-fields/{field_id}")
async def update_field(
    request: Request, field_id: uuid.UUID, ctx: CustomFieldAdmin, session: DbSession
) -> Response:
    values = _edit_values(await request.form())
    return _act(
        request,
        ctx,
        session,
        field_id,
        N_("Changes saved."),
        values=values,
        action=lambda: custom_fields.update_definition(
            session, ctx.actor, field_id, parse(CustomFieldUpdate, values)
        ),
    )


@router.post("/admin/custom-fields/{field_id}/deactivate")
def deactivate_field(
    request: Request, field_id: uuid.UUID, ctx: CustomFieldAdmin, session: DbSession
) -> Response:
    return _act(
        request,
        ctx,
        session,
        field_id,
        N_("Custom field deactivated."),
        action=lambda: custom_fields.delete_definition(session, ctx.actor, field_id),
    )


@router.post("/admin/custom-fields/{field_id}/reactivate")
def reactivate_field(
    request: Request, field_id: uuid.UUID, ctx: CustomFieldAdmin, session: DbSession
) -> Response:
    return _act(
        request,
        ctx,
        session,
        field_id,
        N_("Custom field reactivated."),
        action=lambda: custom_fields.update_definition(
            session, ctx.actor, field_id, CustomFieldUpdate(is_active=True)
        ),
    )


def _act(
    request: Request,
    ctx: PageContext,
    session: Session,
    field_id: uuid.UUID,
    flash: str,
    *,
    action: Callable[[], object],
    values: dict[str, Any] | None = None,
) -> Response:
    """Run one service call on a definition; on failure show its page with the problem."""
    try:
        with session.begin():
            action()
    except Invalid as exc:
        return _field_page(
            request, ctx, session, field_id=field_id, values=values, errors=errors_by_field(exc)
        )
    except Conflict:
        return _field_page(
            request, ctx, session, field_id=field_id, alert=ALREADY_INACTIVE, status_code=409
        )
    return redirect("/admin/custom-fields", flash=flash)


def _form_values(form: FormData, fields: list[str]) -> dict[str, Any]:
    """Form → schema input: ``required`` is a checkbox, ``choices`` one per line."""
    values = clean(form, fields)
    values["required"] = form.get("required") == "true"
    lines = str(form.get("choices", "")).splitlines()
    values["choices"] = list(dict.fromkeys(s.strip() for s in lines if s.strip()))
    return values


def _edit_values(form: FormData) -> dict[str, Any]:
    values = _form_values(form, _EDIT_FIELDS)
    for name in ("min_value", "max_value", "max_length"):
        values.setdefault(name, None)  # an emptied box removes the bound
    values.setdefault("help_text", "")
    return values


def _field_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    field_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    """The new-field form, or one definition's edit form (object, key and type are fixed)."""
    with session.begin():
        found = custom_fields.get_definition(session, field_id) if field_id else None
        definition = CustomFieldOut.model_validate(found) if found else None
        if values is None:
            values = definition.model_dump() if definition else {}
        return render(
            request,
            ctx,
            "admin/custom_field_form.html",
            active="custom_fields",
            definition=definition,
            values=values,
            errors=errors or {},
            alert=alert,
            objects=list(CustomFieldObject),
            types=list(CustomFieldType),
            status_code=422 if errors else status_code,
        )
