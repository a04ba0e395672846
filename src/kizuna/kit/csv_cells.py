"""CSV formula-injection guard (OWASP "CSV Injection"), shared by export and import.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return can hide one. :func:`safe_cell` prefixes such text with a
single quote, which Excel shows as text and does not display; :func:`unescape_cell` is the
exact inverse the importer applies, so an export re-imports to the same data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

QUOTE = "'"
FORMULA_STARTS = frozenset("=+-@")  # dangerous also after leading spaces
CONTROL_STARTS = frozenset("\t\r")  # dangerous only as the very first character


def safe_cell(value: object) -> str:
    """The CSV text of ``value``, neutralised against formula injection.

    None → ``""``; bool → ``true``/``false``; date → ``YYYY-MM-DD``; datetime → ISO 8601
    in UTC with its offset (a naive datetime is taken to be UTC already, as the database
    returns ``*_at`` columns on SQLite); int and Decimal → plain digits (never exponent
    notation); float → ``repr``. Text that a spreadsheet would run as a formula gets a
    leading ``'`` (see :func:`needs_quote` for the exact rule).

    Only ``str`` values are neutralised. Numbers such as ``-5`` are written as numbers, which
    Excel reads as the number -5, not as a formula, so they are left alone.
    """
    if isinstance(value, str):
        return QUOTE + value if needs_quote(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return safe_cell(str(value))


def needs_quote(text: str) -> bool:
    """Whether :func:`safe_cell` prefixes ``text`` with ``'``.

    Yes when, after any leading ``'`` characters, the text starts with ``= + - @`` (also
    after leading spaces) or with a tab or carriage return. Counting text that already
    starts with ``'`` is what makes the round trip exact: ``'=x`` is written ``''=x`` and
    :func:`unescape_cell` gives ``'=x`` back.
    """
    if not text:
        return False
    first = text[0]
    if first in CONTROL_STARTS or first in FORMULA_STARTS:
        return True
    if first == " ":
        rest = text.lstrip(" ")
        return bool(rest) and rest[0] in FORMULA_STARTS
    if first == QUOTE:
        return needs_quote(text.lstrip(QUOTE))
    return False


def unescape_cell(text: str) -> str:
    """Undo :func:`safe_cell` on text read from a CSV.

    Rule: drop ONE leading ``'`` only when the text after all its leading ``'`` characters
    is dangerous (starts with ``= + - @``, also after spaces, or with a tab or carriage
    return); any other text, including text that merely starts with ``'``, is returned
    unchanged. Hence ``unescape_cell(safe_cell(s)) == s`` for every string ``s``.

    A file not written by Kizuna may hold ``'=1+1`` typed by a person; it imports as
    ``=1+1``, which is what Excel shows for that cell too.
    """
    if text.startswith(QUOTE) and needs_quote(text):
        return text[1:]
    return text
