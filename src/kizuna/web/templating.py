"""Jinja2 environment: per-request translations and locale-aware formatting filters.

Translations are passed in each render's context (``_``, ``gettext``, ``ngettext``), never
installed globally, so concurrent requests in different languages cannot mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from kizuna.kit.clock import to_zone
from kizuna.kit.i18n import load_translations
from kizuna.kit.money import format_money
from kizuna.web.field_errors import import_reason
from kizuna.web.labels import CONTEXT_LABELS, LABELS

TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"


def _locale(ctx: Context) -> str:
    return str(ctx.get("locale", "ja"))


@pass_context
def money(ctx: Context, amount: int | None, currency: str = "JPY") -> str:
    if amount is None:
        return "—"
    return format_money(int(amount), currency, locale=_locale(ctx))


@pass_context
def number(ctx: Context, value: int | Decimal | None) -> str:
    if value is None:
        return "—"
    return str(format_decimal(value, locale=_locale(ctx)))


@pass_context
def percent(ctx: Context, value: Decimal | float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return str(format_percent(value, format=f"#,##0.{'0' * digits}%", locale=_locale(ctx)))


@pass_context
def fdate(ctx: Context, value: date | None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    return str(format_date(value, format=fmt, locale=_locale(ctx)))


@pass_context
def fdatetime(ctx: Context, value: datetime | None, fmt: str = "medium") -> str:
    """A stored UTC time shown in the viewer's zone."""
    if value is None:
        return "—"
    zone = str(ctx.get("timezone", "Asia/Tokyo"))
    return str(format_datetime(to_zone(value, zone), format=fmt, locale=_locale(ctx)))


@pass_context
def label(ctx: Context, value: object, vocabulary: str = "") -> str:
    """The translated display label of a stored code (an enum member or its value)."""
    if value is None:
        return "—"
    code = str(getattr(value, "value", value))
    msgid = CONTEXT_LABELS.get((vocabulary, code)) or LABELS.get(code, code)
    return str(ctx["_"](msgid))


@pass_context
def reason(ctx: Context, problem: Mapping[str, Any]) -> str:
    """Why an import row was rejected, in the reader's language."""
    return import_reason(problem, ctx["_"])


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        number=number,
        percent=percent,
        date=fdate,
        datetime=fdatetime,
        label=label,
        reason=reason,
    )
    return env


def translation_context(locale: str) -> dict[str, Any]:
    """``_``/``gettext``/``ngettext`` for one render, with ``%(name)s`` keyword formatting."""
    translations = load_translations(LOCALE_DIR, locale)

    def gettext(message: str, **variables: Any) -> str:
        text = translations.gettext(message)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
        text = translations.ngettext(singular, plural, num)
        return text % {"num": num, **variables}

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "locale": locale}
