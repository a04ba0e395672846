"""/api/v1/tokens: personal API tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kizuna.api.deps import Authenticated, DbSession
from kizuna.api.schemas import PageOut
from kizuna.auth import service
from kizuna.auth.schemas import TokenCreate, TokenCreated, TokenOut

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=PageOut[TokenOut], summary="List API tokens")
def list_tokens(
    actor: Authenticated,
    session: DbSession,
    user_id: Annotated[
        uuid.UUID | None, Query(description="another user's tokens (administrators only)")
    ] = None,
) -> PageOut[TokenOut]:
    """Your tokens (never their secrets), including revoked and expired ones."""
    with session.begin():
        tokens = service.list_tokens(session, actor, user_id)
        return PageOut(items=[TokenOut.model_validate(t) for t in tokens], next_cursor=None)


@router.post("", response_model=TokenCreated, status_code=201, summary="Create an API token")
def create_token(body: TokenCreate, actor: Authenticated, session: DbSession) -> TokenCreated:
    """The secret is in `token`, shown in this response only; only its SHA-256 is kept.
    A token's permissions are its owner's role narrowed by its scopes."""
    with session.begin():
        issued = service.create_token(
            session,
            actor,
            user_id=body.user_id,
            name=body.name,
            scopes=body.scopes,
            expires_at=body.expires_at,
        )
        return TokenCreated.from_issued(issued)


@router.delete("/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: uuid.UUID, actor: Authenticated, session: DbSession) -> Response:
    with session.begin():
        service.revoke_token(session, actor, token_id)
    return Response(status_code=204)
