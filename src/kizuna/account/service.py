"""Account use cases, and ``access_account``: the one choke point for reading an account."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Subquery, func, literal, select
from sqlalchemy.orm import Session

from kizuna.account import repository
from kizuna.account.schemas import AccountCreate, AccountFilters, AccountOut, AccountUpdate
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.db.paging import SortField, keyset_page, parse_date, parse_datetime
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.account import Account
from kizuna.models.enums import CustomFieldObject
from kizuna.models.user import User

OWNER_FIELDS = ("csm_owner_id", "sales_owner_id", "ae_owner_id", "support_owner_id")
_FAR_FUTURE = date(9999, 12, 31)


def access_account(
    session: Session, actor: Actor, account_id: uuid.UUID, *, write: bool = False
) -> Account:
    """The account if ``actor`` may see it (and change it, with ``write``); NotFound if not.

    Missing and not-visible raise the same NotFound so ids cannot be probed.
    """
    if not actor.can(Permission.ACCOUNT_READ):
        raise NotFound("account not found")
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account not found")
    if write:
        actor.require(Permission.ACCOUNT_WRITE)
    return account


def access_account_for_input(
    session: Session, actor: Actor, account_id: uuid.UUID, *, field: str = "account_id"
) -> Account:
    """``access_account`` for an id sent in a request body: a bad id is bad input.

    Missing and not-visible still look the same, but as ``Invalid`` naming ``field``.
    """
    try:
        return access_account(session, actor, account_id)
    except NotFound:
        raise Invalid.field(field, "no such account", code="unknown_account") from None


def to_out(account: Account, mrr_amount: int, next_renewal_on: date | None) -> AccountOut:
    return AccountOut.model_validate(
        {
            **{k: getattr(account, k) for k in AccountOut.model_fields if hasattr(account, k)},
            "mrr_amount": int(mrr_amount or 0),
            "next_renewal_on": next_renewal_on,
        }
    )


def get_account(session: Session, actor: Actor, account_id: uuid.UUID) -> AccountOut:
    access_account(session, actor, account_id)
    stmt, _ = repository.select_with_rollup(today(actor.timezone))
    row = session.execute(stmt.where(Account.id == account_id)).one()
    return to_out(row[0], row.mrr_amount, row.next_renewal_on)


def sort_fields(r: Subquery) -> dict[str, SortField]:
    """Sortable fields of the account list; nullable ones are coalesced to stay total."""
    return {
        "name": SortField(Account.name),
        "created_at": SortField(Account.created_at, parse=parse_datetime),
        "mrr": SortField(func.coalesce(r.c.mrr_amount, literal(0)), parse=int),
        "renewal": SortField(
            func.coalesce(r.c.next_renewal_on, literal(_FAR_FUTURE)), parse=parse_date
        ),
        "employee_count": SortField(func.coalesce(Account.employee_count, literal(-1)), parse=int),
    }


def list_accounts(
    session: Session,
    actor: Actor,
    filters: AccountFilters,
    *,
    sort: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AccountOut]:
    actor.require(Permission.ACCOUNT_READ)
    stmt, r = repository.select_with_rollup(today(actor.timezone))
    stmt = repository.apply_filters(stmt, filters, r)
    return keyset_page(
        session,
        stmt,
        fields=sort_fields(r),
        sort=sort,
        id_column=Account.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: to_out(row[0], row.mrr_amount, row.next_renewal_on),
    )


def create_account(session: Session, actor: Actor, data: AccountCreate) -> Account:
    actor.require(Permission.ACCOUNT_WRITE)
    values = data.model_dump()
    values["custom_fields"] = custom_fields.validate_for(
        session, CustomFieldObject.ACCOUNT, data.custom_fields
    )
    _check_unique_and_owners(session, values, current_id=None)
    account = Account(**values)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor,
        "account.create",
        "account",
        account.id,
        summary=account.name,
        changes=audit.snapshot(account, list(values)),
    )
    return account


def update_account(
    session: Session, actor: Actor, account_id: uuid.UUID, data: AccountUpdate
) -> Account:
    account = access_account(session, actor, account_id, write=True)
    values = data.model_dump(exclude_unset=True)
    if "custom_fields" in values:
        values["custom_fields"] = custom_fields.validate_for(
            session,
            CustomFieldObject.ACCOUNT,
            values["custom_fields"] or {},
            existing=account.custom_fields,
        )
    if values.get("name") is None:
        values.pop("name", None)
    _check_unique_and_owners(session, values, current_id=account.id)
    changes = audit.apply_changes(account, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "account.update",
            "account",
            account.id,
            summary=account.name,
            changes=changes,
        )
    return account


def delete_account(session: Session, actor: Actor, account_id: uuid.UUID) -> None:
    """Delete an account and, by cascade, its contacts, lines, activities and answers."""
    account = access_account(session, actor, account_id)
    actor.require(Permission.ACCOUNT_DELETE)
    audit.record(session, actor, "account.delete", "account", account.id, summary=account.name)
    session.delete(account)
    session.flush()


def _check_unique_and_owners(
    session: Session, values: Mapping[str, Any], current_id: uuid.UUID | None
) -> None:
    problems: list[FieldProblem] = []
    external_id = values.get("external_id")
    if external_id:
        clash = session.scalar(select(Account.id).where(Account.external_id == external_id))
        if clash is not None and clash != current_id:
            problems.append(
                FieldProblem(("body", "external_id"), "duplicate", "external id already used")
            )
    owner_ids = {f: values[f] for f in OWNER_FIELDS if values.get(f) is not None}
    if owner_ids:
        known = set(
            session.scalars(
                select(User.id).where(User.id.in_(set(owner_ids.values())), User.is_active)
            )
        )
        problems += [
            FieldProblem(("body", f), "unknown_user", "no active user with this id")
            for f, uid in owner_ids.items()
            if uid not in known
        ]
    if problems:
        raise Invalid(problems)
