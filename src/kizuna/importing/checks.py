"""Checks on prepared rows that need more than one cell: business rules, derived values,
duplicates inside the file, and what a new record must have."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kizuna.importing.refs import identity
from kizuna.importing.rowprep import Prepared, Problem
from kizuna.importing.spec import KindSpec
from kizuna.models.importing import ImportKind
from kizuna.subscription import terms


def row_rules(spec: KindSpec, row: Prepared, columns: dict[str, str]) -> list[Problem]:
    """Derived values first (a line's currency and MRR), then the kind's rules."""
    problems: list[Problem] = []
    if spec.kind is ImportKind.SUBSCRIPTIONS:
        problems += _line_values(row, columns)
    row.values.pop("_account_currency", None)
    for rule in spec.rules:
        for target, code, message in rule(row.values):
            problems.append(_problem(row, target, code, message, columns))
    return problems


def _line_values(row: Prepared, columns: dict[str, str]) -> list[Problem]:
    values = row.values
    account_currency = values.get("_account_currency")
    if "currency" not in values and account_currency:
        values["currency"] = account_currency
    if account_currency and values.get("currency") != account_currency:
        return [
            _problem(
                row,
                "currency",
                "currency_mismatch",
                f"must be the account's currency ({account_currency})",
                columns,
            )
        ]
    if values.get("mrr_amount") is None and values.get("unit_list_price_amount") is not None:
        values["mrr_amount"] = terms.mrr_from_list_price(
            values["unit_list_price_amount"],
            values.get("quantity", 1),
            values.get("discount_percent", 0),
            values.get("billing_period_months", 1),
        )
    return []


def duplicates(
    spec: KindSpec,
    match_key: str,
    rows: list[Prepared],
    seen: dict[int, int],
    columns: dict[str, str],
    keys: Sequence[tuple[Any, ...] | None] | None = None,
) -> list[Problem]:
    """Rows whose identity appeared earlier in the same file (``seen``: hash → row).

    ``keys``: the identity of each row, when the caller has it already. Only a 64-bit hash
    of each identity is kept, so memory stays small for a million rows (two different
    identities sharing a hash is as unlikely as with any 64-bit digest).
    """
    if keys is None:
        keys = [identity(spec, match_key, row) for row in rows]
    problems = []
    for row, key in zip(rows, keys, strict=True):
        if key is None:
            continue
        first = seen.setdefault(hash(key), row.number)
        if first != row.number:
            target = match_key if key[0] == match_key else spec.natural_key[0]
            problems.append(
                _problem(
                    row, target, "duplicate_in_file", f"the same record as row {first}", columns
                )
            )
    return problems


def required_on_create(spec: KindSpec, row: Prepared, columns: dict[str, str]) -> list[Problem]:
    """A row that creates a record must carry what the record cannot be without."""
    values = row.values
    for column in _needed_on_create(spec):
        if values.get(column) is None:
            break
    else:
        return []  # the common case: nothing is missing
    missing = [c for c in spec.required_on_create if values.get(c) is None]
    missing += [
        t for t, ref in spec.refs.items() if ref.required and row.values.get(ref.column) is None
    ]
    return [
        _problem(row, name, "required", "needed to create a new record", columns)
        for name in missing
    ]


_NEEDED: dict[ImportKind, tuple[str, ...]] = {}


def _needed_on_create(spec: KindSpec) -> tuple[str, ...]:
    """The columns ``required_on_create`` looks at: required fields and reference ids."""
    needed = _NEEDED.get(spec.kind)
    if needed is None:
        refs = tuple(ref.column for ref in spec.refs.values() if ref.required)
        needed = _NEEDED[spec.kind] = (*spec.required_on_create, *refs)
    return needed


def _problem(
    row: Prepared, target: str, code: str, message: str, columns: dict[str, str]
) -> Problem:
    value: Any = row.values.get(target, row.refs.get(target, ""))
    return Problem(
        row.number, columns.get(target, target), "" if value is None else str(value), code, message
    )
