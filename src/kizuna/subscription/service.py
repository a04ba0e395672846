"""Subscription-line use cases, and ``access_subscription``, the choke point for reading one."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account, access_account_for_input
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
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.subscription import terms
from kizuna.subscription.schemas import (
    SubscriptionCreate,
    SubscriptionFilters,
    SubscriptionOut,
    SubscriptionUpdate,
)

_FAR_FUTURE = date(9999, 12, 31)
SORT_FIELDS = {
    "start_on": SortField(Subscription.start_on, parse=parse_date),
    "end_on": SortField(func.coalesce(Subscription.end_on, literal(_FAR_FUTURE)), parse=parse_date),
    "mrr": SortField(Subscription.mrr_amount),
    "created_at": SortField(Subscription.created_at, parse=parse_datetime),
}
_NULLABLE = {"end_on", "unit_list_price_amount", "external_id"}
_PRICE_INPUTS = {"unit_list_price_amount", "quantity", "discount_percent", "billing_period_months"}


def access_subscription(session: Session, actor: Actor, subscription_id: uuid.UUID) -> Subscription:
    """The line if ``actor`` may see its account; the same NotFound otherwise."""
    line = session.get(Subscription, subscription_id)
    if line is None:
        raise NotFound("subscription not found")
    try:
        access_account(session, actor, line.account_id)
    except NotFound:
        raise NotFound("subscription not found") from None
    return line


def _select() -> Select[Any]:
    return (
        select(Subscription)
        .add_columns(Product.code.label("product_code"), Product.name.label("product_name"))
        .join(Product, Product.id == Subscription.product_id)
    )


def _to_out(row: Any, on: date) -> SubscriptionOut:
    line: Subscription = row[0]
    data = {k: getattr(line, k) for k in SubscriptionOut.model_fields if hasattr(line, k)}
    data |= {
        "product_code": row.product_code,
        "product_name": row.product_name,
        "renewal_on": terms.renewal_date(line.start_on, line.end_on, line.term_months, on),
    }
    return SubscriptionOut.model_validate(data)


def get_subscription(session: Session, actor: Actor, subscription_id: uuid.UUID) -> SubscriptionOut:
    access_subscription(session, actor, subscription_id)
    row = session.execute(_select().where(Subscription.id == subscription_id)).one()
    return _to_out(row, today(actor.timezone))


def list_subscriptions(
    session: Session,
    actor: Actor,
    filters: SubscriptionFilters,
    *,
    sort: str = "start_on",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SubscriptionOut]:
    """Lines matching ``filters``; sort by start_on, end_on, mrr or created_at."""
    actor.require(Permission.ACCOUNT_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    on = today(actor.timezone)
    return keyset_page(
        session,
        _filtered(_select(), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=Subscription.id,
        cursor=cursor,
        limit=limit,
        to_item=lambda row: _to_out(row, on),
    )


def create_subscription(session: Session, actor: Actor, data: SubscriptionCreate) -> Subscription:
    actor.require(Permission.SUBSCRIPTION_WRITE)
    account = access_account_for_input(session, actor, data.account_id)
    values = data.model_dump()
    values["currency"] = values["currency"] or account.currency
    _check(session, values, account, current_id=None)
    if values["mrr_amount"] is None:
        if values["unit_list_price_amount"] is None:
            raise Invalid.field(
                "mrr_amount",
                "send mrr_amount, or unit_list_price_amount to derive it from",
                code="required",
            )
        values["mrr_amount"] = _derived_mrr(values)
    values["custom_fields"] = custom_fields.validate_for(
        session, CustomFieldObject.SUBSCRIPTION, data.custom_fields
    )
    line = Subscription(**values)
    session.add(line)
    session.flush()
    audit.record(
        session,
        actor,
        "subscription.create",
        "subscription",
        line.id,
        summary=line.contract_ref,
        changes=audit.snapshot(line, list(values)),
    )
    return line


def update_subscription(
    session: Session, actor: Actor, subscription_id: uuid.UUID, data: SubscriptionUpdate
) -> Subscription:
    """Change a line. MRR is re-derived when price inputs change and no MRR is sent."""
    line = access_subscription(session, actor, subscription_id)
    actor.require(Permission.SUBSCRIPTION_WRITE)
    values: dict[str, Any] = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    kept = _PRICE_INPUTS | {"start_on", "end_on", "currency", "product_id"}
    merged = {c: getattr(line, c) for c in kept} | values
    account = session.get(Account, line.account_id)
    assert account is not None  # the foreign key guarantees it
    _check(session, merged, account, current_id=line.id)
    recompute = "mrr_amount" not in values and bool(_PRICE_INPUTS & values.keys())
    if recompute and merged["unit_list_price_amount"] is not None:
        values["mrr_amount"] = _derived_mrr(merged)
    if "custom_fields" in values:
        values["custom_fields"] = custom_fields.validate_for(
            session,
            CustomFieldObject.SUBSCRIPTION,
            values["custom_fields"],
            existing=line.custom_fields,
        )
    changes = audit.apply_changes(line, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "subscription.update",
            "subscription",
            line.id,
            summary=line.contract_ref,
            changes=changes,
        )
    return line


def delete_subscription(session: Session, actor: Actor, subscription_id: uuid.UUID) -> None:
    line = access_subscription(session, actor, subscription_id)
    actor.require(Permission.SUBSCRIPTION_WRITE)
    audit.record(
        session, actor, "subscription.delete", "subscription", line.id, summary=line.contract_ref
    )
    session.delete(line)
    session.flush()


def _derived_mrr(values: dict[str, Any]) -> int:
    return terms.mrr_from_list_price(
        values["unit_list_price_amount"],
        values["quantity"],
        values["discount_percent"],
        values["billing_period_months"],
    )


def _check(
    session: Session, values: dict[str, Any], account: Account, current_id: uuid.UUID | None
) -> None:
    """Business rules over the line as it will be stored; every problem is named."""
    problems: list[FieldProblem] = []

    def problem(field: str, code: str, message: str) -> None:
        problems.append(FieldProblem(("body", field), code, message))

    if values["end_on"] is not None and values["end_on"] <= values["start_on"]:
        problem("end_on", "before_start", "end_on must be after start_on")
    if values["quantity"] < 0:
        problem("quantity", "negative", "quantity must not be negative")
    if values["billing_period_months"] not in terms.BILLING_PERIODS:
        problem(
            "billing_period_months",
            "invalid_period",
            f"must be one of {list(terms.BILLING_PERIODS)}",
        )
    if values["currency"] != account.currency:
        problem("currency", "currency_mismatch", f"must be the account's ({account.currency})")
    if session.get(Product, values["product_id"]) is None:
        problem("product_id", "unknown_product", "no such product")
    external_id = values.get("external_id")
    if external_id:
        clash = session.scalar(
            select(Subscription.id).where(Subscription.external_id == external_id)
        )
        if clash is not None and clash != current_id:
            problem("external_id", "duplicate", "external id already used")
    if problems:
        raise Invalid(problems)


def _filtered(stmt: Select[Any], filters: SubscriptionFilters) -> Select[Any]:
    if filters.account_id is not None:
        stmt = stmt.where(Subscription.account_id == filters.account_id)
    if filters.product_id is not None:
        stmt = stmt.where(Subscription.product_id == filters.product_id)
    if filters.active_on is not None:
        on = filters.active_on
        stmt = stmt.where(
            Subscription.start_on <= on,
            Subscription.end_on.is_(None) | (Subscription.end_on > on),
        )
    if filters.ends_before is not None:
        stmt = stmt.where(Subscription.end_on < filters.ends_before)
    return stmt
