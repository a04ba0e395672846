"""API shapes of personal API tokens. The hash is never shown; the secret only once."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kizuna.auth.service import IssuedToken


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, description="any of: read, write, admin")
    expires_at: AwareDatetime | None = Field(default=None, description="none = never")
    user_id: uuid.UUID | None = Field(
        default=None, description="issue for another user (administrators only)"
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str = Field(description="the first characters of the secret, to recognise it")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="the secret: shown this once, store it now")

    @classmethod
    def from_issued(cls, issued: IssuedToken) -> TokenCreated:
        return cls.model_validate(
            TokenOut.model_validate(issued.token).model_dump() | {"token": issued.secret}
        )
