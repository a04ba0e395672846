"""The composition root of the web process: ``create_app(settings) -> FastAPI``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from kizuna import __version__
from kizuna.api import errors as api_errors
from kizuna.api import ingest
from kizuna.api.router import api_router
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.runner import Worker
from kizuna.kit.errors import DomainError
from kizuna.logging import configure as configure_logging
from kizuna.web import errors as web_errors
from kizuna.web.app import mount_web


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the application. Tests pass a ``database`` bound to their own connection."""
    configure_logging(json=settings.log_json)
    app = FastAPI(
        title="Kizuna API",
        version=__version__,
        description="Customer success operating system: REST API. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens in the web UI or with "
        "`kizuna tokens create`).",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_embedded_worker
        if settings.embedded_worker and settings.environment != "test"
        else None,
    )
    app.state.settings = settings
    app.state.database = database or Database.from_url(settings.database_url)
    _install_error_handlers(app)
    app.router.routes.insert(0, ingest.route)  # first, and a plain route: the hot /v1 path
    app.include_router(api_router)
    mount_web(app, settings)
    return app


@asynccontextmanager
async def _embedded_worker(app: FastAPI) -> AsyncIterator[None]:
    """A job worker thread beside the web server (``settings.embedded_worker``)."""
    thread, stop = Worker(app.state.database, app.state.settings).start_in_thread()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)  # a long job is left to finish or to the stale sweep


Handler = Callable[[Request, Exception], Response]


def _by_surface(api: Handler, web: Handler) -> Handler:
    """problem+json under /api (and the /v1 ingestion API), HTML pages everywhere else."""

    def handler(request: Request, exc: Exception) -> Response:
        machine = request.url.path.startswith(("/api/", "/v1/"))
        return api(request, exc) if machine else web(request, exc)

    return handler


def _web_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return web_errors.handle(request, exc)


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _by_surface(api_errors.domain_error, _web_domain_error))
    app.add_exception_handler(
        RequestValidationError,
        _by_surface(api_errors.validation_error, web_errors.validation_page),
    )
    app.add_exception_handler(
        HTTPException, _by_surface(api_errors.http_error, web_errors.http_page)
    )
