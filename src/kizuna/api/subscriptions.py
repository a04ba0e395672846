"""/api/v1/subscriptions"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kizuna.api.deps import AccountReader, DbSession, SubscriptionWriter
from kizuna.api.schemas import PageOut
from kizuna.subscription import service
from kizuna.subscription.schemas import (
    SubscriptionCreate,
    SubscriptionFilters,
    SubscriptionOut,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

SORT_HELP = "start_on, end_on, mrr, created_at; prefix '-' for descending"


@router.get("", response_model=PageOut[SubscriptionOut], summary="List subscription lines")
def list_subscriptions(
    actor: AccountReader,
    session: DbSession,
    filters: Annotated[SubscriptionFilters, Depends()],
    sort: Annotated[str, Query(description=SORT_HELP)] = "start_on",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[SubscriptionOut]:
    """Contract lines; `active_on` uses start_on ≤ d < end_on (open-ended lines included)."""
    with session.begin():
        page = service.list_subscriptions(
            session, actor, filters, sort=sort, cursor=cursor, limit=limit
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post(
    "", response_model=SubscriptionOut, status_code=201, summary="Create a subscription line"
)
def create_subscription(
    body: SubscriptionCreate, actor: SubscriptionWriter, session: DbSession
) -> SubscriptionOut:
    """Send `mrr_amount`, or `unit_list_price_amount` (+ quantity, discount) to derive it."""
    with session.begin():
        line = service.create_subscription(session, actor, body)
        return service.get_subscription(session, actor, line.id)


@router.get("/{subscription_id}", response_model=SubscriptionOut, summary="Get a subscription line")
def get_subscription(
    subscription_id: uuid.UUID, actor: AccountReader, session: DbSession
) -> SubscriptionOut:
    with session.begin():
        return service.get_subscription(session, actor, subscription_id)


@router.patch(
    "/{subscription_id}", response_model=SubscriptionOut, summary="Update a subscription line"
)
def update_subscription(
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    actor: SubscriptionWriter,
    session: DbSession,
) -> SubscriptionOut:
    """Change the fields sent; price inputs without `mrr_amount` re-derive the MRR."""
    with session.begin():
        service.update_subscription(session, actor, subscription_id, body)
        return service.get_subscription(session, actor, subscription_id)


@router.delete("/{subscription_id}", status_code=204, summary="Delete a subscription line")
def delete_subscription(
    subscription_id: uuid.UUID, actor: SubscriptionWriter, session: DbSession
) -> Response:
    with session.begin():
        service.delete_subscription(session, actor, subscription_id)
    return Response(status_code=204)
