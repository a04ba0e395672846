"""Field errors in the reader's language.

Services and Pydantic name each problem with a code; pages show a sentence. Known codes
map to English msgids here (translated in ``render``); an unknown code falls back to the
service's own English message, so nothing is ever hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from kizuna.kit.errors import FieldProblem
from kizuna.kit.i18n import N_

MESSAGES: dict[str, str] = {
    # Pydantic's error types
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("Too long."),
    "string_pattern_mismatch": N_("Not in the expected format."),
    "greater_than_equal": N_("Too small."),
    "greater_than": N_("Too small."),
    "less_than_equal": N_("Too large."),
    "less_than": N_("Too large."),
    "int_parsing": N_("Must be a whole number."),
    "int_from_float": N_("Must be a whole number."),
    "decimal_parsing": N_("Must be a number."),
    "decimal_max_places": N_("Too many decimal places."),
    "float_parsing": N_("Must be a number."),
    "date_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "datetime_parsing": N_("Must be a date and time."),
    "datetime_from_date_parsing": N_("Must be a date and time."),
    "enum": N_("Not one of the allowed values."),
    "literal_error": N_("Not one of the allowed values."),
    "uuid_parsing": N_("Not a valid choice."),
    "bool_parsing": N_("Must be yes or no."),
    "value_error": N_("Not a valid value."),
    # our services' codes
    "required": N_("This field is required."),
    "duplicate": N_("Already used by another record."),
    "unknown_user": N_("No active user with this ID."),
    "unknown_team": N_("No such team."),
    "unknown_product": N_("No such product."),
    "unknown_account": N_("No such account."),
    "unknown_field": N_("Unknown field."),
    "unknown_zone": N_("Unknown time zone."),
    "wrong_account": N_("Belongs to another account."),
    "wrong_password": N_("The current password is wrong."),
    "password_too_short": N_("At least 10 characters."),
    "password_too_simple": N_("Too simple; mix different characters."),
    "before_start": N_("Must be after the start date."),
    "before_opened": N_("Must be after the time the inquiry was opened."),
    "inquiry_only": N_("Only inquiries have this."),
    "currency_mismatch": N_("Must be the account's currency."),
    "negative": N_("Must not be negative."),
    "in_past": N_("Must be in the future."),
    "not_allowed": N_("Not allowed for this kind of field."),
    "out_of_range": N_("Out of range."),
    # web forms' own codes
    "not_an_amount": N_("Must be an amount, e.g. 12,000."),
    "amount_out_of_range": N_("Must be zero or more, and not absurdly large."),
    "mismatch": N_("Does not match the new password."),
}


def message_for(problem: FieldProblem) -> str:
    """The msgid to show for ``problem`` (or its own message when the code is not known)."""
    if problem.code == "value_error" and "email" in problem.message:
        return N_("Not a valid e-mail address.")
    return MESSAGES.get(problem.code, problem.message)


# Why an import row was rejected (codes of kizuna.importing); ``%(row)s`` is filled from
# the engine's message for in-file duplicates.
IMPORT_REASONS: dict[str, str] = {
    "not_number": N_("Not a number."),
    "not_integer": N_("Must be a whole number."),
    "too_small": N_("Too small."),
    "too_large": N_("Too large."),
    "too_long": N_("Too long."),
    "too_many_decimals": N_("Too many decimal places."),
    "out_of_range": N_("Out of range."),
    "not_date": N_("Must be a date (YYYY-MM-DD)."),
    "not_datetime": N_("Must be a date and time."),
    "not_boolean": N_("Must be yes or no."),
    "not_id": N_("Not a Kizuna id."),
    "unknown_value": N_("Not one of the allowed values."),
    "required": N_("This field is required."),
    "unknown_reference": N_("No matching record in Kizuna."),
    "duplicate_in_file": N_("The same record as row %(row)s."),
    "extra_cells": N_("More cells than there are column headers."),
    "currency_mismatch": N_("Must be the account's currency."),
    "before_start": N_("Must be after the start date."),
    "before_opened": N_("Must be after the time the inquiry was opened."),
    "inquiry_only": N_("Only inquiries have this."),
    "invalid_period": N_("Billing period must be 1, 3, 6, 12, 24 or 36 months."),
    "unknown_field": N_("Unknown field."),
}
_ROW = re.compile(r"row (\d+)")


def import_reason(problem: Mapping[str, Any], gettext: Callable[..., str]) -> str:
    """A rejected row's reason in the reader's language (the engine's English otherwise)."""
    msgid = IMPORT_REASONS.get(str(problem.get("code", "")))
    message = str(problem.get("message", ""))
    if msgid is None:
        return message
    found = _ROW.search(message)
    return gettext(msgid, row=found.group(1)) if "%(row)s" in msgid and found else gettext(msgid)
