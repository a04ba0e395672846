"""Mount the web UI (pages, static files, error pages) on the FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kizuna.config import Settings
from kizuna.web.routes import (
    account_records,
    accounts,
    audit,
    auth,
    closing_plans,
    coverage,
    currency_rates,
    custom_fields,
    event_debugger,
    event_sources,
    handoffs,
    health,
    health_model,
    health_scorecards,
    imports,
    jobs,
    journey,
    leads,
    opportunities,
    planning,
    playbooks,
    pocs,
    portfolio,
    potential,
    products,
    renewals,
    revenue,
    sales,
    segments,
    targets,
    tasks,
    tokens,
    usage,
    users,
)
from kizuna.web.templating import build_environment

STATIC_DIR = Path(__file__).parent / "static"


def mount_web(app: FastAPI, settings: Settings) -> None:
    app.state.templates = build_environment()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        portfolio,
        tasks,
        accounts,
        account_records,
        audit,
        users,
        products,
        custom_fields,
        imports,
        tokens,
        currency_rates,
        planning,
        revenue,
        event_sources,
        event_debugger,
        usage,
        health,
        health_model,
        health_scorecards,
        jobs,
        journey,
        segments,
        coverage,
        playbooks,
        handoffs,
        potential,
        pocs,
        sales,
        targets,
        renewals,
        closing_plans,
        leads,
        opportunities,
    ):
        app.include_router(module.router, include_in_schema=False)
