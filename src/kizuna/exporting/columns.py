"""What an export writes: one column per import target, named as the importer expects, so
an export re-imports without a mapping file. Each file starts with Kizuna's own ``id``.

References are written as the referenced record's natural key (an account's external id,
or its Kizuna id when it has none; a product's code; a user's e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kizuna.importing.fields import TARGETS, TargetField
from kizuna.models.importing import ImportKind

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "int": pa.int64(),
    "money": pa.int64(),
    "decimal": pa.string(),  # exact: Decimal text, never a float
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
    "enum": pa.string(),
    "list": pa.string(),
    "ref": pa.string(),
}

# Targets that an export cannot fill back faithfully are left out (documented).
SKIPPED = {"participant_emails"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str


def columns_for(kind: ImportKind, custom_keys: list[str]) -> list[Column]:
    fields: list[TargetField] = [f for f in TARGETS[kind] if f.name not in SKIPPED]
    columns = [Column(f.name, f.type) for f in fields]
    return columns + [Column(f"custom.{key}", "text") for key in custom_keys]


def arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in columns])


def plain(value: Any) -> Any:
    """A value as the writers want it: enums as their code, the rest untouched."""
    return getattr(value, "value", value)
