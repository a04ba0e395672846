"""The /api/v1 router: every resource router is included here."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from kizuna import __version__
from kizuna.api import (
    accounts,
    activities,
    audit,
    closing_plans,
    contacts,
    coverage,
    custom_fields,
    event_sources,
    exports,
    facts,
    handoffs,
    health_model,
    health_views,
    import_mappings,
    imports,
    jobs,
    journey,
    kai,
    leads,
    opportunities,
    planning,
    playbooks,
    pocs,
    potential,
    products,
    renewals,
    revenue,
    sales,
    segments,
    subscriptions,
    survey_responses,
    tags,
    targets,
    tasks,
    teams,
    tokens,
    usage,
    users,
)
from kizuna.api import health as health_scorecards  # the name `health` is the probe below
from kizuna.api.deps import DbSession, public

api_router = APIRouter(prefix="/api/v1")
for module in (
    accounts,
    contacts,
    products,
    subscriptions,
    activities,
    tasks,
    kai,
    survey_responses,
    users,
    teams,
    tokens,
    custom_fields,
    audit,
    imports,
    import_mappings,
    exports,
    event_sources,
    planning,
    revenue,
    usage,
    health_scorecards,
    health_model,
    health_views,
    jobs,
    facts,
    segments,
    tags,
    coverage,
    journey,
    playbooks,
    handoffs,
    potential,
    pocs,
    renewals,
    closing_plans,
    leads,
    opportunities,
    targets,
    sales,
):
    api_router.include_router(module.router)


@api_router.get("/health", tags=["operations"], dependencies=[Depends(public)])
def health(session: DbSession) -> dict[str, str]:
    """Liveness and database reachability, for load balancers and monitors."""
    with session.begin():
        session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
