"""Translations: gettext catalogues (``.po``) compiled in memory at start-up.

Message ids are English; ``ja`` is the default locale. Keeping only ``.po`` files in the
repository means there is no compiled artefact to forget to rebuild.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED_LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"


def normalise_locale(value: str | None) -> str:
    """Map anything (``en-US``, ``JA``, ``None``) onto a supported locale."""
    if not value:
        return DEFAULT_LOCALE
    short = value.replace("_", "-").split("-")[0].lower()
    return short if short in SUPPORTED_LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=16)
def load_translations(locale_dir: Path, locale: str, domain: str = "messages") -> NullTranslations:
    """Compile ``<locale_dir>/<locale>/LC_MESSAGES/<domain>.po`` into a Translations object."""
    po_path = locale_dir / locale / "LC_MESSAGES" / f"{domain}.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message
