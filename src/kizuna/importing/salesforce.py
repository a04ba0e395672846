"""Salesforce record ids: 15-character (case-sensitive) and 18-character (case-safe) forms.

Reports and the UI show the 15-character id (``001A000001abcde``); the API and Data Loader
give the 18-character one, which appends a 3-character checksum of the letter case so the
id survives case-insensitive tools such as Excel. Both name the same record, so imports
store the 18-character form: a report export and a Data Loader export of the same org then
match the same account.

The suffix: split the 15 characters into three chunks of five; for each chunk, set bit
``i`` when character ``i`` is an upper-case letter ``A``–``Z``; the 5-bit number (0–31)
indexes ``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``. ``001A000001abcde``: chunk ``001A0`` has an
upper-case letter at position 3 → 8 → ``I``; ``00001`` → 0 → ``A``; ``abcde`` → 0 → ``A``;
so the 18-character id is ``001A000001abcdeIAA``.
"""

from __future__ import annotations

import re

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID15 = re.compile(r"^[A-Za-z0-9]{15}$")
_ID18 = re.compile(r"^[A-Za-z0-9]{15}[A-Za-z0-5]{3}$")


def salesforce_suffix(id15: str) -> str:
    """The 3-character case checksum of a 15-character id."""
    if not _ID15.match(id15):
        raise ValueError(f"not a 15-character Salesforce id: {id15!r}")
    suffix = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix += _ALPHABET[bits]
    return suffix


def normalise_salesforce_id(value: str) -> str:
    """The 18-character form of a Salesforce id; anything else is returned stripped, unchanged.

    A 15-character id gains its checksum; an 18-character id whose suffix matches its first
    15 characters (in any case) gets the canonical upper-case suffix; other values (a
    non-Salesforce id, an 18-character value with a wrong suffix) pass through.
    """
    text = value.strip()
    if _ID15.match(text):
        return text + salesforce_suffix(text)
    if _ID18.match(text):
        expected = salesforce_suffix(text[:15])
        if text[15:].upper() == expected:
            return text[:15] + expected
    return text


def is_salesforce_id(value: str) -> bool:
    """True for a well-formed 15-character id or an 18-character id with a valid suffix."""
    text = value.strip()
    if _ID15.match(text):
        return True
    return bool(_ID18.match(text)) and text[15:].upper() == salesforce_suffix(text[:15])
