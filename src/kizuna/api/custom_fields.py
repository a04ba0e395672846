"""/api/v1/custom-fields: custom field definitions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kizuna.api.deps import AccountReader, CustomFieldAdmin, DbSession
from kizuna.api.schemas import PageOut
from kizuna.customfield import service
from kizuna.customfield.schemas import CustomFieldCreate, CustomFieldOut, CustomFieldUpdate
from kizuna.models.enums import CustomFieldObject

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])


@router.get("", response_model=PageOut[CustomFieldOut], summary="List custom fields")
def list_custom_fields(
    actor: AccountReader,
    session: DbSession,
    object_type: CustomFieldObject | None = None,
    active_only: Annotated[bool, Query(description="hide deactivated fields")] = False,
) -> PageOut[CustomFieldOut]:
    """Definitions in display order; values live in each object's `custom_fields`."""
    with session.begin():
        found = service.list_definitions(session, object_type, active_only=active_only)
        return PageOut(items=[CustomFieldOut.model_validate(d) for d in found], next_cursor=None)


@router.post("", response_model=CustomFieldOut, status_code=201, summary="Define a custom field")
def create_custom_field(
    body: CustomFieldCreate, actor: CustomFieldAdmin, session: DbSession
) -> CustomFieldOut:
    """`key` is unique per object type; select fields need `choices`."""
    with session.begin():
        return CustomFieldOut.model_validate(service.create_definition(session, actor, body))


@router.get("/{field_id}", response_model=CustomFieldOut, summary="Get a custom field")
def get_custom_field(
    field_id: uuid.UUID, actor: AccountReader, session: DbSession
) -> CustomFieldOut:
    with session.begin():
        return CustomFieldOut.model_validate(service.get_definition(session, field_id))


@router.patch("/{field_id}", response_model=CustomFieldOut, summary="Update a custom field")
def update_custom_field(
    field_id: uuid.UUID, body: CustomFieldUpdate, actor: CustomFieldAdmin, session: DbSession
) -> CustomFieldOut:
    with session.begin():
        definition = service.update_definition(session, actor, field_id, body)
        return CustomFieldOut.model_validate(definition)


@router.delete("/{field_id}", status_code=204, summary="Deactivate a custom field")
def delete_custom_field(
    field_id: uuid.UUID, actor: CustomFieldAdmin, session: DbSession
) -> Response:
    """Deactivated, not deleted, so stored values stay readable."""
    with session.begin():
        service.delete_definition(session, actor, field_id)
    return Response(status_code=204)
