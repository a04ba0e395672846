"""The hand-off's content fields: which are filled, completeness, what is missing. Pure.

These are the fields an administrator can make required to submit, and the ones that
completeness counts (the deal's basics — account, deal name, won date, sales owner — are
always required when the record is created, so they are not counted).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

# Field keys in the order pages show them.
FIELDS: tuple[str, ...] = (
    "mrr",
    "purpose",
    "success_criteria",
    "promises",
    "decision_maker",
    "key_people",
    "expansion_room",
    "risks",
    "sales_history",
)
DEFAULT_REQUIRED: tuple[str, ...] = (
    "purpose",
    "success_criteria",
    "promises",
    "decision_maker",
    "expansion_room",
)
# The record attributes each field key reads (the form's inputs use these names).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "mrr": ("mrr_amount",),
    "purpose": ("purpose",),
    "success_criteria": ("success_criteria",),
    "promises": ("promises",),
    "decision_maker": (
        "decision_maker_contact_id",
        "decision_maker_name",
        "decision_maker_title",
    ),
    "key_people": ("key_people",),
    "expansion_room": ("expansion_departments", "expansion_headcount", "expansion_products"),
    "risks": ("risks",),
    "sales_history": ("sales_history",),
}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_filled(field: str, values: Mapping[str, Any]) -> bool:
    """Whether ``field`` counts as filled in ``values`` (record attributes by name).

    mrr: a positive amount. decision_maker: a linked contact, or a name. key_people: at
    least one person with a name. expansion_room: departments, a headcount or a product.
    Text: something other than white space.
    """
    if field == "mrr":
        return int(values.get("mrr_amount") or 0) > 0
    if field == "decision_maker":
        return values.get("decision_maker_contact_id") is not None or _text(
            values.get("decision_maker_name")
        )
    if field == "key_people":
        people: Sequence[Mapping[str, Any]] = values.get("key_people") or []
        return any(_text(p.get("name")) for p in people)
    if field == "expansion_room":
        headcount = values.get("expansion_headcount")
        return (
            _text(values.get("expansion_departments"))
            or (headcount is not None and int(headcount) > 0)
            or bool(values.get("expansion_products"))
        )
    if field in FIELDS:
        return _text(values.get(field))
    raise ValueError(f"unknown hand-off field: {field}")


def filled(values: Mapping[str, Any]) -> dict[str, bool]:
    return {field: is_filled(field, values) for field in FIELDS}


def completeness(values: Mapping[str, Any]) -> int:
    """Percent of :data:`FIELDS` filled, rounded half up to a whole number (0–100)."""
    count = sum(filled(values).values())
    return (count * 200 + len(FIELDS)) // (2 * len(FIELDS))


def missing(values: Mapping[str, Any], required: Collection[str]) -> list[str]:
    """Required fields not filled, in :data:`FIELDS` order."""
    return [f for f in FIELDS if f in required and not is_filled(f, values)]


def normalise_required(keys: Collection[str]) -> list[str]:
    """Known keys in :data:`FIELDS` order; raises ValueError naming an unknown key."""
    unknown = sorted(set(keys) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown hand-off fields: {', '.join(unknown)}")
    return [f for f in FIELDS if f in keys]
