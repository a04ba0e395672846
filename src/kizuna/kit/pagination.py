"""Opaque keyset cursors: ``(sort value, id)`` of the last row seen, base64-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kizuna.kit.errors import FieldProblem, Invalid

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """Position after the last row of a page."""

    sort_value: Any
    last_id: str

    def encode(self) -> str:
        raw = json.dumps([self.sort_value, self.last_id], default=str).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort_value, last_id = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, binascii.Error, TypeError) as exc:
            raise Invalid(
                FieldProblem(("query", "cursor"), "invalid_cursor", "cursor is not valid")
            ) from exc
        return cls(sort_value, str(last_id))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor for the next one (``None`` at the end)."""

    items: list[T]
    next_cursor: str | None
