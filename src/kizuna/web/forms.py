"""Turn query strings and HTML forms into Pydantic models, with errors per field.

Browsers send empty strings for untouched inputs ("all tiers"); those mean "not given".
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.money import MAX_AMOUNT, minor_digits, to_minor
from kizuna.web.field_errors import message_for

M = TypeVar("M", bound=BaseModel)


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """A form or query value as a UUID; blank or malformed means "not given"."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def date_or_none(value: Any) -> date | None:
    """A form or query value as an ISO date; blank or malformed means "not given"."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def safe_return(url: Any, default: str) -> str:
    """A local path to go back to (never another site: no open redirects)."""
    text = str(url or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default


def clean(
    data: Mapping[str, Any], fields: Iterable[str], *, lists: Iterable[str] = ()
) -> dict[str, Any]:
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
    """``{"field": "message"}`` for re-rendering a form next to its inputs.

    A custom field's problem (``body.custom_fields.<key>``) is filed under ``cf_<key>``,
    the name of its input.
    """
    errors: dict[str, str] = {}
    for problem in exc.problems:
        loc = problem.loc
        if len(loc) > 2 and loc[1] == "custom_fields":
            errors[f"cf_{loc[2]}"] = message_for(problem)
        else:
            errors[str(loc[1] if len(loc) > 1 else loc[0])] = message_for(problem)
    return errors


def parse_money(text: str, currency: str, *, field: str) -> int:
    """An amount typed in major units ("12,000", "１２，０００", "¥12,000", "12.50") as
    integer minor units of ``currency``; never through a float."""
    cleaned = unicodedata.normalize("NFKC", str(text)).replace(",", "").replace(" ", "")
    cleaned = cleaned.lstrip("¥$€£")
    digits = minor_digits(currency)
    try:
        amount = Decimal(cleaned or "0")
        if not amount.is_finite():
            raise InvalidOperation
        exact = amount == amount.quantize(Decimal(1).scaleb(-digits))
    except InvalidOperation:
        raise Invalid.field(field, "must be an amount, e.g. 12,000", code="not_an_amount") from None
    if not exact:
        raise Invalid.field(
            field, f"{currency} allows {digits} decimals", code="decimal_max_places"
        )
    minor = to_minor(amount, currency)
    if not 0 <= minor <= MAX_AMOUNT:
        raise Invalid.field(
            field, "must be zero or more and not absurdly large", code="amount_out_of_range"
        )
    return minor
