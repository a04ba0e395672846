"""The actor: who is doing this, and what they may do. Passed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Forbidden
from kizuna.models.enums import ActorKind, Role


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    role: Role
    permissions: frozenset[Permission]
    kind: ActorKind = ActorKind.USER
    name: str = ""
    locale: str = "ja"
    timezone: str = "Asia/Tokyo"
    ip: str = ""
    token_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = field(default=None)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless the actor holds ``permission``."""
        if permission not in self.permissions:
            raise Forbidden(f"permission {permission.value} required", permission=permission.value)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The actor for CLI administration, jobs and the demo loader."""
        return cls(
            user_id=None,
            role=Role.ADMIN,
            permissions=frozenset(Permission),
            kind=ActorKind.SYSTEM,
            name=name,
        )
