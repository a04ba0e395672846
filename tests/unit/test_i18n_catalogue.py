"""Every user-facing string has a Japanese translation, and the catalogues compile."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kizuna.kit.i18n import load_translations
from kizuna.web.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "src" / "kizuna" / "web" / "locale"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "src" / "kizuna", METHODS, options_map=OPTIONS, keywords={"_": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def japanese() -> dict[str, str]:
    """msgid → translation; a plural entry counts only when every form is translated."""
    with (LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    found = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            found[message.id[0]] = forms[0] if all(forms) else ""
        else:
            found[message.id] = str(message.string)
    return found


def test_every_msgid_has_a_japanese_translation() -> None:
    ja = japanese()
    missing = sorted(m for m in extracted_msgids() if not ja.get(m))
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_every_label_is_translated() -> None:
    ja = japanese()
    assert [v for v in LABELS.values() if not ja.get(v)] == []


def test_catalogue_compiles_and_translates() -> None:
    translations = load_translations(LOCALE_DIR, "ja")
    assert translations.gettext("Portfolio") == "ポートフォリオ"
    assert load_translations(LOCALE_DIR, "en").gettext("Portfolio") == "Portfolio"
