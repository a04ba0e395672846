"""Custom field definitions (admin) and validation of values for every object."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield.schemas import CustomFieldCreate, CustomFieldUpdate
from kizuna.customfield.values import FieldSpec, validate_values
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import CustomFieldObject, CustomFieldType

_CHOICE_TYPES = {CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT}


def list_definitions(
    session: Session, object_type: CustomFieldObject | None = None, *, active_only: bool = False
) -> list[CustomFieldDefinition]:
    """Definitions in display order (readable by anyone who can read the objects)."""
    stmt = select(CustomFieldDefinition).order_by(
        CustomFieldDefinition.object_type, CustomFieldDefinition.position, CustomFieldDefinition.key
    )
    if object_type is not None:
        stmt = stmt.where(CustomFieldDefinition.object_type == object_type)
    if active_only:
        stmt = stmt.where(CustomFieldDefinition.is_active.is_(True))
    return list(session.scalars(stmt))


def get_definition(session: Session, definition_id: uuid.UUID) -> CustomFieldDefinition:
    definition = session.get(CustomFieldDefinition, definition_id)
    if definition is None:
        raise NotFound("custom field not found")
    return definition


def create_definition(
    session: Session, actor: Actor, data: CustomFieldCreate
) -> CustomFieldDefinition:
    actor.require(Permission.CUSTOM_FIELD_ADMIN)
    _check_shape(data.field_type, data.choices, data.min_value, data.max_value)
    clash = session.scalar(
        select(CustomFieldDefinition.id).where(
            CustomFieldDefinition.object_type == data.object_type,
            CustomFieldDefinition.key == data.key,
        )
    )
    if clash is not None:
        raise Invalid(FieldProblem(("body", "key"), "duplicate", "key already used"))
    definition = CustomFieldDefinition(**data.model_dump())
    session.add(definition)
    session.flush()
    audit.record(
        session,
        actor,
        "custom_field.create",
        "custom_field",
        definition.id,
        summary=f"{definition.object_type.value}.{definition.key}",
        changes=audit.snapshot(definition, list(CustomFieldCreate.model_fields)),
    )
    return definition


def update_definition(
    session: Session, actor: Actor, definition_id: uuid.UUID, data: CustomFieldUpdate
) -> CustomFieldDefinition:
    actor.require(Permission.CUSTOM_FIELD_ADMIN)
    definition = get_definition(session, definition_id)
    values = data.model_dump(exclude_unset=True)
    _check_shape(
        definition.field_type,
        values.get("choices", definition.choices),
        values.get("min_value", definition.min_value),
        values.get("max_value", definition.max_value),
    )
    changes = audit.apply_changes(definition, values)
    if changes:
        audit.record(
            session,
            actor,
            "custom_field.update",
            "custom_field",
            definition.id,
            summary=definition.key,
            changes=changes,
        )
    return definition


def delete_definition(session: Session, actor: Actor, definition_id: uuid.UUID) -> None:
    """Deactivate rather than delete when values may exist: stored values stay readable."""
    actor.require(Permission.CUSTOM_FIELD_ADMIN)
    definition = get_definition(session, definition_id)
    if definition.is_active:
        definition.is_active = False
        audit.record(
            session,
            actor,
            "custom_field.deactivate",
            "custom_field",
            definition.id,
            summary=definition.key,
        )
    else:
        raise Conflict("custom field already inactive", code="already_inactive")


def validate_for(
    session: Session,
    object_type: CustomFieldObject,
    values: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    check_required: bool = True,
) -> dict[str, Any]:
    """Validate ``values`` for ``object_type``; raise Invalid naming each bad field."""
    specs = [
        FieldSpec(
            key=d.key,
            field_type=d.field_type,
            required=d.required and check_required,
            choices=tuple(d.choices),
            min_value=d.min_value,
            max_value=d.max_value,
            max_length=d.max_length,
        )
        for d in list_definitions(session, object_type, active_only=True)
    ]
    merged, problems = validate_values(specs, values, existing=existing)
    if problems:
        raise Invalid(problems)
    return merged


def _check_shape(
    field_type: CustomFieldType, choices: list[str], min_value: str | None, max_value: str | None
) -> None:
    problems = []
    if field_type in _CHOICE_TYPES and not choices:
        problems.append(FieldProblem(("body", "choices"), "required", "choices are required"))
    if field_type not in _CHOICE_TYPES and choices:
        problems.append(
            FieldProblem(("body", "choices"), "not_allowed", "only select fields have choices")
        )
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if bound is None:
            continue
        try:
            Decimal(bound)
        except InvalidOperation:
            problems.append(FieldProblem(("body", name), "invalid", "must be a number"))
    if problems:
        raise Invalid(problems)
