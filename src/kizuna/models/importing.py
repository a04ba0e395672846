"""Import runs (one uploaded file through map → validate → confirm → write) and saved
column mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import str_enum


class ImportKind(StrEnum):
    ACCOUNTS = "accounts"
    CONTACTS = "contacts"
    PRODUCTS = "products"
    SUBSCRIPTIONS = "subscriptions"
    ACTIVITIES = "activities"
    SURVEY_RESPONSES = "survey-responses"


class ImportStatus(StrEnum):
    UPLOADED = "uploaded"  # file stored, mapping proposed, nothing checked yet
    VALIDATING = "validating"
    VALIDATED = "validated"  # every row checked: ready to confirm (may have bad rows)
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"  # an unexpected error; nothing was written
    CANCELLED = "cancelled"


class ImportRun(IdMixin, Base):
    __tablename__ = "import_run"

    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, "import_status"), default=ImportStatus.UPLOADED
    )
    filename: Mapped[str] = mapped_column(String(300))
    file_path: Mapped[str] = mapped_column(String(1000))
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    skip_invalid: Mapped[bool] = mapped_column(default=False)
    dry_run: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("job.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(index=True)
    validated_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    total_rows: Mapped[int] = mapped_column(default=0)
    invalid_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    problems_truncated: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")


class SavedMapping(IdMixin, TimestampMixin, Base):
    """A named column mapping a team reuses for its monthly export from the same system."""

    __tablename__ = "saved_mapping"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "saved_mapping_kind"))
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
