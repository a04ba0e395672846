"""Contact use cases, and ``access_contact``: the one choke point for reading a contact."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.contact.schemas import ContactCreate, ContactFilters, ContactOut, ContactUpdate
from kizuna.customfield import service as custom_fields
from kizuna.db.paging import SortField, keyset_page, parse_datetime
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.contact import Contact, ContactRoleLink
from kizuna.models.enums import ContactRole, CustomFieldObject

SORT_FIELDS = {
    "name": SortField(Contact.name),
    "created_at": SortField(Contact.created_at, parse=parse_datetime),
}
# Columns that may be set to null by an update; the others treat null as "unchanged".
_NULLABLE = {"email", "influence", "external_id"}


def access_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    """The contact if ``actor`` may see its account; the same NotFound otherwise."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("contact not found")
    try:
        access_account(session, actor, contact.account_id)
    except NotFound:
        raise NotFound("contact not found") from None
    return contact


def get_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> ContactOut:
    return ContactOut.model_validate(access_contact(session, actor, contact_id))


def list_contacts(
    session: Session,
    actor: Actor,
    filters: ContactFilters,
    *,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ContactOut]:
    """Contacts matching ``filters``; sort by name or created_at ('-' for descending)."""
    actor.require(Permission.ACCOUNT_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    return keyset_page(
        session,
        _filtered(select(Contact), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=Contact.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: ContactOut.model_validate(row[0]),
    )


def create_contact(session: Session, actor: Actor, data: ContactCreate) -> Contact:
    actor.require(Permission.CONTACT_WRITE)
    access_account_for_input(session, actor, data.account_id)
    values = data.model_dump(exclude={"roles"})
    values["email"] = _normalise_email(data.email)
    values["custom_fields"] = custom_fields.validate_for(
        session, CustomFieldObject.CONTACT, data.custom_fields
    )
    _check_external_id(session, values.get("external_id"), current_id=None)
    contact = Contact(**values)
    contact.role_links = [ContactRoleLink(role=role) for role in _unique(data.roles)]
    session.add(contact)
    session.flush()
    audit.record(
        session,
        actor,
        "contact.create",
        "contact",
        contact.id,
        summary=contact.name,
        changes=audit.snapshot(contact, [*values, "roles"]),
    )
    return contact


def update_contact(
    session: Session, actor: Actor, contact_id: uuid.UUID, data: ContactUpdate
) -> Contact:
    contact = access_contact(session, actor, contact_id)
    actor.require(Permission.CONTACT_WRITE)
    values: dict[str, Any] = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    roles = values.pop("roles", None)
    if "email" in values:
        values["email"] = _normalise_email(values["email"])
    if "external_id" in values:
        _check_external_id(session, values["external_id"], current_id=contact.id)
    if "custom_fields" in values:
        values["custom_fields"] = custom_fields.validate_for(
            session,
            CustomFieldObject.CONTACT,
            values["custom_fields"],
            existing=contact.custom_fields,
        )
    changes = audit.apply_changes(contact, values)
    if roles is not None:
        changes.update(_set_roles(contact, roles))
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "contact.update",
            "contact",
            contact.id,
            summary=contact.name,
            changes=changes,
        )
    return contact


def delete_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> None:
    """Delete a contact; survey answers keep their score and lose the link to the person."""
    contact = access_contact(session, actor, contact_id)
    actor.require(Permission.CONTACT_WRITE)
    audit.record(session, actor, "contact.delete", "contact", contact.id, summary=contact.name)
    session.delete(contact)
    session.flush()


def _set_roles(contact: Contact, roles: Iterable[ContactRole]) -> dict[str, list[Any]]:
    """Replace the contact's roles by diff (keeps unchanged link rows in place)."""
    old = contact.roles
    wanted = _unique(roles)
    contact.role_links = [link for link in contact.role_links if link.role in wanted] + [
        ContactRoleLink(role=role) for role in wanted if role not in old
    ]
    new = sorted(wanted)
    if sorted(old) == new:
        return {}
    return {"roles": [audit.json_safe(sorted(old)), audit.json_safe(new)]}


def _unique(roles: Iterable[ContactRole]) -> list[ContactRole]:
    return sorted(set(roles))


def _normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def _check_external_id(
    session: Session, external_id: str | None, current_id: uuid.UUID | None
) -> None:
    if not external_id:
        return
    clash = session.scalar(select(Contact.id).where(Contact.external_id == external_id))
    if clash is not None and clash != current_id:
        raise Invalid(
            FieldProblem(("body", "external_id"), "duplicate", "external id already used")
        )


def _filtered(stmt: Select[Any], filters: ContactFilters) -> Select[Any]:
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(Contact.name.ilike(like), Contact.name_kana.ilike(like), Contact.email.ilike(like))
        )
    if filters.account_id is not None:
        stmt = stmt.where(Contact.account_id == filters.account_id)
    if filters.role is not None:
        stmt = stmt.where(Contact.role_links.any(ContactRoleLink.role == filters.role))
    if filters.is_active is not None:
        stmt = stmt.where(Contact.is_active.is_(filters.is_active))
    if filters.email_opt_out is not None:
        stmt = stmt.where(Contact.email_opt_out.is_(filters.email_opt_out))
    return stmt
