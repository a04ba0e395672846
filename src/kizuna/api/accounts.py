"""/api/v1/accounts"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.account import service
from kizuna.account.schemas import AccountCreate, AccountFilters, AccountOut, AccountUpdate
from kizuna.api.deps import AccountDeleter, AccountReader, AccountWriter, DbSession
from kizuna.api.schemas import PageOut

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.get("", response_model=PageOut[AccountOut])
def list_accounts(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[AccountFilters, Depends()],
    sort: Annotated[
        str, Query(description="name, mrr, renewal, created_at, employee_count; '-' for descending")
    ] = "name",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[AccountOut]:
    with session.begin():
        page = service.list_accounts(session, actor, filters, sort=sort, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=AccountOut, status_code=201)
def create_account(body: AccountCreate, actor: AccountWriter, session: DbSession) -> AccountOut:
    with session.begin():
        account = service.create_account(session, actor, body)
        return service.get_account(session, actor, account.id)


@router.get("/{account_id}", response_model=AccountOut)
def get_account(account_id: uuid.UUID, actor: AccountReader, session: DbSession) -> AccountOut:
    with session.begin():
        return service.get_account(session, actor, account_id)


@router.patch("/{account_id}", response_model=AccountOut)
def update_account(
    account_id: uuid.UUID, body: AccountUpdate, actor: AccountWriter, session: DbSession
) -> AccountOut:
    with session.begin():
        service.update_account(session, actor, account_id, body)
        return service.get_account(session, actor, account_id)


@router.delete("/{account_id}", status_code=204)
def delete_account(account_id: uuid.UUID, actor: AccountDeleter, session: DbSession) -> Response:
    with session.begin():
        service.delete_account(session, actor, account_id)
    return Response(status_code=204)
