"""Map errors to RFC 9457 problem+json, in one table. Expected errors are never 500s."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kizuna.kit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    Forbidden: (403, "Forbidden"),
    Unauthenticated: (401, "Authentication required"),
    Invalid: (422, "Invalid input"),
}


def problem(
    status: int, title: str, detail: str, *, code: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://kizuna.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status, title = next(
        (v for cls, v in STATUS.items() if isinstance(exc, cls)), (400, "Bad request")
    )
    extra: dict[str, Any] = {}
    if isinstance(exc, Invalid):
        extra["errors"] = [
            {"loc": list(p.loc), "field": str(p.loc[-1]), "code": p.code, "message": p.message}
            for p in exc.problems
        ]
    return problem(status, title, exc.message, code=exc.code, instance=request.url.path, **extra)


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in err["loc"]],
            "field": str(err["loc"][-1]) if err["loc"] else "",
            "code": err["type"],
            "message": err["msg"],
        }
        for err in exc.errors()
    ]
    fields = ", ".join(".".join(e["loc"][1:]) or e["loc"][0] for e in errors)
    return problem(
        422,
        "Invalid input",
        f"invalid: {fields}",
        code="invalid",
        instance=request.url.path,
        errors=errors,
    )


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(
        exc.status_code,
        str(exc.detail),
        str(exc.detail),
        code=f"http_{exc.status_code}",
        instance=request.url.path,
    )
