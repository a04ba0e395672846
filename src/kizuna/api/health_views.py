"""/api/v1 health read models: one account's health, the dashboard figures, and the list of
expansion signals. Scores, risks and signals are computed daily (``kizuna health score``);
these endpoints only read them.

Scores are 0–100 (null when too little data to score), bands green/yellow/red/unknown,
probabilities 0–1, amounts integer minor units per currency. ``history`` and ``trend`` are
``[day, value]`` pairs, oldest first.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from kizuna.api.deps import DbSession, need
from kizuna.api.schemas import PageOut
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import dashboard as dashboard_views
from kizuna.health import views
from kizuna.kit.clock import today

router = APIRouter(tags=["health"])

HealthReader = Annotated[Actor, Depends(need(Permission.HEALTH_READ))]


@router.get(
    "/accounts/{account_id}/health",
    response_model=views.AccountHealth,
    summary="An account's health score, explanation, history, churn risk and expansion signals",
)
def account_health(
    account_id: uuid.UUID, actor: HealthReader, session: DbSession
) -> views.AccountHealth:
    """Each measure's value, points, weight, contribution, data freshness (``observed_on``,
    ``age_days``) and its value and points a week earlier; group scores; 180 days of
    history; the churn-risk probability with its top reasons; expansion signals."""
    with session.begin():
        return views.account_health(session, actor, account_id, today=today(actor.timezone))


@router.get(
    "/health/dashboard",
    response_model=dashboard_views.Dashboard,
    summary="Health dashboard figures",
)
def dashboard(actor: HealthReader, session: DbSession) -> dashboard_views.Dashboard:
    """Accounts and MRR per band, a 10-point score histogram, movers over 7 days, MRR at risk
    (red band; churn probability ≥ ``at_risk.threshold``; either), the highest churn risks,
    expansion candidates and the mean score per day over 90 days."""
    with session.begin():
        return dashboard_views.dashboard(session, actor, today=today(actor.timezone))


@router.get(
    "/health/expansion",
    response_model=PageOut[dashboard_views.ExpansionItem],
    summary="Expansion signals, strongest first",
)
def expansion(
    actor: HealthReader,
    session: DbSession,
    kind: Literal["seats", "option", "renewal"] | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[dashboard_views.ExpansionItem]:
    """``seats``: seats nearly used up; ``option``: usage of what an option sells, without
    the option (``subject`` = its product code); ``renewal``: healthy with a renewal
    within 90 days. ``evidence`` holds the numbers behind each signal."""
    with session.begin():
        page = dashboard_views.expansion_page(session, actor, kind=kind, cursor=cursor, limit=limit)
    return PageOut(items=page.items, next_cursor=page.next_cursor)
