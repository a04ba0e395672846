"""Render pages: the shared context (user, language, CSRF, navigation, flash message)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment

from kizuna.auth.permissions import Permission
from kizuna.kit.i18n import N_, normalise_locale
from kizuna.web.deps import LOCALE_COOKIE, PageContext
from kizuna.web.templating import translation_context

FLASH_COOKIE = "kizuna_flash"


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str
    label: str  # English msgid, translated in the template
    permission: Permission
    ready: bool = True  # False: the capability arrives in a later release (shown greyed)


# Navigation for every capability; items whose feature is not built yet are shown greyed
# with a "coming" badge so users can see the whole product map.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("portfolio", "/portfolio", N_("Portfolio"), Permission.ACCOUNT_READ),
    NavItem("tasks", "/tasks", N_("Tasks"), Permission.ACCOUNT_READ),
    NavItem("health", "/health", N_("Health"), Permission.HEALTH_READ),
    NavItem("journey", "/journey", N_("Journey"), Permission.ACCOUNT_READ),
    NavItem("segments", "/segments", N_("Segments"), Permission.ACCOUNT_READ),
    NavItem("playbooks", "/playbooks", N_("Playbooks"), Permission.ACCOUNT_READ),
    NavItem("coverage", "/coverage", N_("Coverage"), Permission.TEAM_READ),
    NavItem("revenue", "/revenue", N_("Revenue"), Permission.REVENUE_READ),
    NavItem("sales", "/sales", N_("Customer sales"), Permission.SALES_READ),
    NavItem("marketing", "#", N_("Marketing"), Permission.ACCOUNT_READ, ready=False),
    NavItem("usage", "/usage", N_("Usage"), Permission.USAGE_READ),
    NavItem("planning", "/planning", N_("Planning"), Permission.REVENUE_READ),
)

ADMIN_NAVIGATION: tuple[NavItem, ...] = (
    NavItem("users", "/admin/users", N_("Users & teams"), Permission.USER_READ),
    NavItem("products", "/admin/products", N_("Products"), Permission.ACCOUNT_READ),
    NavItem("imports", "/imports", N_("Import & export"), Permission.IMPORT_RUN),
    NavItem("event_sources", "/admin/event-sources", N_("Event sources"), Permission.SOURCE_ADMIN),
    NavItem("metrics", "/admin/metrics", N_("Usage metrics"), Permission.METRIC_ADMIN),
    NavItem("scorecards", "/admin/scorecards", N_("Health scorecards"), Permission.HEALTH_ADMIN),
    NavItem("journey_admin", "/admin/journey", N_("Success journey"), Permission.JOURNEY_ADMIN),
    NavItem(
        "coverage_admin",
        "/admin/coverage",
        N_("Tier and assignment rules"),
        Permission.COVERAGE_ADMIN,
    ),
    NavItem(
        "custom_fields", "/admin/custom-fields", N_("Custom fields"), Permission.CUSTOM_FIELD_ADMIN
    ),
    NavItem(
        "currency_rates", "/admin/currency-rates", N_("Exchange rates"), Permission.CURRENCY_ADMIN
    ),
    NavItem("audit", "/admin/audit", N_("Audit log"), Permission.AUDIT_READ),
    NavItem("jobs", "/admin/jobs", N_("Jobs & schedules"), Permission.JOB_READ),
    NavItem("tokens", "/settings/tokens", N_("API tokens"), Permission.AUTHENTICATED),
    NavItem("profile", "/settings/profile", N_("My profile"), Permission.AUTHENTICATED),
)


def request_locale(request: Request, ctx: PageContext | None) -> str:
    if ctx is not None:
        return normalise_locale(ctx.actor.locale)
    return normalise_locale(request.cookies.get(LOCALE_COOKIE))


def render(
    request: Request,
    ctx: PageContext | None,
    template: str,
    *,
    status_code: int = 200,
    active: str = "",
    **data: Any,
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    locale = request_locale(request, ctx)
    translated = translation_context(locale)
    _translate_errors(data, translated["_"])
    actor = ctx.actor if ctx else None
    context: dict[str, Any] = {
        **translated,
        "request": request,
        "actor": actor,
        "csrf_token": ctx.csrf_token if ctx else data.pop("csrf_token", ""),
        "timezone": actor.timezone if actor else "Asia/Tokyo",
        "nav": [n for n in NAVIGATION if actor and actor.can(n.permission)],
        "admin_nav": [n for n in ADMIN_NAVIGATION if actor and actor.can(n.permission)],
        "active": active,
        "flash": _read_flash(request),
        "Permission": Permission,
        **data,
    }
    html = env.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code)
    if context["flash"]:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _translate_errors(data: dict[str, Any], gettext: Any) -> None:
    """Field errors (``errors``, or ``form_errors`` per form) in the reader's language."""
    if isinstance(data.get("errors"), dict):
        data["errors"] = {k: gettext(v) for k, v in data["errors"].items()}
    if isinstance(data.get("form_errors"), dict):
        data["form_errors"] = {
            form: {k: gettext(v) for k, v in errors.items()}
            for form, errors in data["form_errors"].items()
        }


def is_htmx(request: Request) -> bool:
    """The request comes from HTMX (it swaps a fragment rather than loading a page)."""
    return request.headers.get("hx-request") == "true"


def redirect(url: str, *, flash: str | None = None, level: str = "success") -> RedirectResponse:
    """303 See Other after a POST, with an optional one-shot message (an English msgid)."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        payload = quote(json.dumps({"message": flash, "level": level}))
        response.set_cookie(FLASH_COOKIE, payload, max_age=60, httponly=True, samesite="lax")
    return response


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(unquote(raw))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
