"""/api/v1 tags: an account's tags, and every tag in use.

A tag is 1–64 characters after trimming, case-preserved, without commas. Setting the tags
of an account needs ``account:write`` and is audited on the account.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from kizuna.api.deps import AccountReader, AccountWriter, DbSession
from kizuna.api.schemas import PageOut
from kizuna.segment import tags
from kizuna.segment.schemas import AccountTagsOut, TagCount, TagsIn

router = APIRouter(tags=["tags"])


@router.get(
    "/accounts/{account_id}/tags", response_model=AccountTagsOut, summary="An account's tags"
)
def get_tags(account_id: uuid.UUID, actor: AccountReader, session: DbSession) -> AccountTagsOut:
    with session.begin():
        return AccountTagsOut(
            account_id=account_id, tags=tags.account_tags(session, actor, account_id)
        )


@router.put(
    "/accounts/{account_id}/tags", response_model=AccountTagsOut, summary="Set an account's tags"
)
def put_tags(
    account_id: uuid.UUID, body: TagsIn, actor: AccountWriter, session: DbSession
) -> AccountTagsOut:
    """The account's tags become exactly ``tags`` (trimmed, duplicates dropped)."""
    with session.begin():
        return AccountTagsOut(
            account_id=account_id, tags=tags.set_tags(session, actor, account_id, body.tags)
        )


@router.get("/tags", response_model=PageOut[TagCount], summary="Every tag in use")
def list_tags(actor: AccountReader, session: DbSession) -> PageOut[TagCount]:
    """With the number of accounts carrying each, most used first (one page)."""
    with session.begin():
        return PageOut(items=tags.list_tags(session, actor), next_cursor=None)
