"""Walk the app's routes and their declared permissions (for the permission matrices).

This FastAPI includes routers lazily (``app.routes`` holds the included routers, not their
routes), so routes are read through ``iter_route_contexts``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from kizuna.auth.permissions import Permission


def declared_permissions(dependant: Dependant) -> set[Permission]:
    """Permissions declared anywhere in a route's dependency tree."""
    found: set[Permission] = set()
    permission = getattr(dependant.call, "permission", None)
    if isinstance(permission, Permission):
        found.add(permission)
    for sub in dependant.dependencies:
        found |= declared_permissions(sub)
    return found


def routes(app: FastAPI, *, api: bool) -> list[tuple[str, APIRoute]]:
    """``(full path, route)`` of every API route (``api=True``) or every page route."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/api/") == api:
            found.append((path, route))
    return found


def route_permission(path: str, route: APIRoute) -> Permission:
    found = declared_permissions(route.dependant)
    assert len(found) == 1, f"{sorted(route.methods)} {path} declares {found or 'nothing'}"
    return found.pop()
