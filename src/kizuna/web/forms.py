"""Turn query strings and HTML forms into Pydantic models, with errors per field.

Browsers send empty strings for untouched inputs ("all tiers"); those mean "not given".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kizuna.kit.errors import FieldProblem, Invalid

M = TypeVar("M", bound=BaseModel)


def clean(data: Mapping[str, Any], fields: Iterable[str], *, lists: Iterable[str] = ()) -> dict[str, Any]:
    """Keep known, non-blank fields; ``lists`` fields gather every value sent."""
    known = set(fields)
    multi = set(lists)
    result: dict[str, Any] = {}
    getlist = getattr(data, "getlist", None)
    for key in known:
        if key in multi and getlist is not None:
            values = [v for v in getlist(key) if str(v).strip() != ""]
            if values:
                result[key] = values
            continue
        value = data.get(key)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue
        result[key] = value.strip() if isinstance(value, str) else value
    return result


def parse(model: type[M], data: dict[str, Any], *, where: str = "body") -> M:
    """Validate ``data`` as ``model``; raise Invalid naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(
            [
                FieldProblem((where, *[str(p) for p in err["loc"]]), err["type"], err["msg"])
                for err in exc.errors()
            ]
        ) from None


def errors_by_field(exc: Invalid) -> dict[str, str]:
    """``{"field": "message"}`` for re-rendering a form next to its inputs."""
    return {str(p.loc[1] if len(p.loc) > 1 else p.loc[0]): p.message for p in exc.problems}
