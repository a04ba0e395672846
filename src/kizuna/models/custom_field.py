"""Custom field definitions; values live in each object's ``custom_fields`` JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, IdMixin, PortableJSON, TimestampMixin
from kizuna.models.enums import CustomFieldObject, CustomFieldType, str_enum


class CustomFieldDefinition(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_definition"
    __table_args__ = (UniqueConstraint("object_type", "key"),)

    object_type: Mapped[CustomFieldObject] = mapped_column(
        str_enum(CustomFieldObject, "custom_field_object")
    )
    key: Mapped[str] = mapped_column(String(64))
    label_ja: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    field_type: Mapped[CustomFieldType] = mapped_column(
        str_enum(CustomFieldType, "custom_field_type")
    )
    required: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    min_value: Mapped[str | None] = mapped_column(String(40))
    max_value: Mapped[str | None] = mapped_column(String(40))
    max_length: Mapped[int | None]
    help_text: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
