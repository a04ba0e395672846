"""/api/v1/contacts"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import AccountReader, ContactWriter, DbSession
from kizuna.api.schemas import PageOut
from kizuna.contact import service
from kizuna.contact.schemas import ContactCreate, ContactFilters, ContactOut, ContactUpdate

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("", response_model=PageOut[ContactOut], summary="List contacts")
def list_contacts(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[ContactFilters, Depends()],
    sort: Annotated[str, Query(description="name, created_at; '-' for descending")] = "name",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[ContactOut]:
    """People at customers, filtered by account, role, activity and opt-out."""
    with session.begin():
        page = service.list_contacts(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=ContactOut, status_code=201, summary="Create a contact")
def create_contact(body: ContactCreate, actor: ContactWriter, session: DbSession) -> ContactOut:
    """Add a person to an account, with any number of buying-group `roles`."""
    with session.begin():
        contact = service.create_contact(session, actor, body)
        return service.get_contact(session, actor, contact.id)


@router.get("/{contact_id}", response_model=ContactOut, summary="Get a contact")
def get_contact(contact_id: uuid.UUID, actor: AccountReader, session: DbSession) -> ContactOut:
    with session.begin():
        return service.get_contact(session, actor, contact_id)


@router.patch("/{contact_id}", response_model=ContactOut, summary="Update a contact")
def update_contact(
    contact_id: uuid.UUID, body: ContactUpdate, actor: ContactWriter, session: DbSession
) -> ContactOut:
    """Change the fields sent; `roles`, when sent, replaces the whole set."""
    with session.begin():
        service.update_contact(session, actor, contact_id, body)
        return service.get_contact(session, actor, contact_id)


@router.delete("/{contact_id}", status_code=204, summary="Delete a contact")
def delete_contact(contact_id: uuid.UUID, actor: ContactWriter, session: DbSession) -> Response:
    with session.begin():
        service.delete_contact(session, actor, contact_id)
    return Response(status_code=204)
