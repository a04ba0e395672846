"""Health pages: the dashboard (/health) and the health panel of Account 360."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kizuna.auth.permissions import Permission
from kizuna.health import dashboard as dashboard_views
from kizuna.health import views
from kizuna.kit.clock import today
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.render import render
from kizuna.web.routes.segments import segment_cut

router = APIRouter()
HealthReader = Annotated[PageContext, Depends(page(Permission.HEALTH_READ))]


@router.get("/health")
def dashboard(request: Request, ctx: HealthReader, session: DbSession) -> Response:
    with session.begin():
        cut = segment_cut(request, session, ctx)
        data = dashboard_views.dashboard(
            session, ctx.actor, today=today(ctx.actor.timezone), account_ids=cut.account_ids
        )
        return render(request, ctx, "health/dashboard.html", active="health", d=data, cut=cut)


@router.get("/accounts/{account_id}/health-panel")
def account_panel(
    request: Request, account_id: uuid.UUID, ctx: HealthReader, session: DbSession
) -> Response:
    """The health section of Account 360, loaded by HTMX after the page."""
    with session.begin():
        view = views.account_health(session, ctx.actor, account_id, today=today(ctx.actor.timezone))
        return render(request, ctx, "health/_account_panel.html", view=view)
