"""Map domain errors to pages: login redirect, 403/404 pages, never a stack trace."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kizuna.kit.errors import DomainError, Forbidden, Invalid, NotFound
from kizuna.kit.i18n import N_
from kizuna.web.deps import LoginRequired
from kizuna.web.render import render

PAGES: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (
        404,
        N_("The page or record you asked for does not exist, or is not visible to you."),
    ),
    Forbidden: (403, N_("You do not have permission to do this.")),
    Invalid: (422, N_("Some of the values sent are not valid.")),
}


def handle(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return HTMLResponse("", headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    status, message = next(
        (v for cls, v in PAGES.items() if isinstance(exc, cls)),
        (400, N_("The request could not be processed.")),
    )
    return render(
        request,
        None,
        "errors/error.html",
        status_code=status,
        status=status,
        message=message,
        detail=exc.message,
    )


def validation_page(request: Request, exc: Exception) -> Response:
    """A form or query the page could not parse (a hand-edited URL, a missing field)."""
    return render(
        request,
        None,
        "errors/error.html",
        status_code=422,
        status=422,
        message=N_("The request could not be processed."),
        detail=str(exc)[:500],
    )


def http_page(request: Request, exc: Exception) -> Response:
    status = int(getattr(exc, "status_code", 500))
    message = PAGES[NotFound][1] if status == 404 else N_("The request could not be processed.")
    return render(
        request,
        None,
        "errors/error.html",
        status_code=status,
        status=status,
        message=message,
        detail="",
    )
