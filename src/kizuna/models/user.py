"""Users, teams, web sessions and API tokens (C15)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import Role, TeamKind, str_enum


class Team(IdMixin, TimestampMixin, Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[TeamKind] = mapped_column(str_enum(TeamKind, "team_kind"))
    description: Mapped[str] = mapped_column(String(1000), default="")

    members: Mapped[list[User]] = relationship(
        back_populates="team", lazy="raise", foreign_keys="User.team_id"
    )


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    capacity_accounts: Mapped[int | None]

    team: Mapped[Team | None] = relationship(
        back_populates="members", lazy="raise", foreign_keys=[team_id]
    )


class WebSession(Base):
    """A server-side login session; the cookie holds a random token, we keep its hash."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class ApiToken(IdMixin, Base):
    """A personal API token; the secret is shown once and only its SHA-256 is kept."""

    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")
