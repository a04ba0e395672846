"""Event-specific ``properties`` of the demo usage events (small, plausible values)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Maker = Callable[[random.Random], dict[str, Any]]

OBJECTS = ("deal", "customer", "task", "ticket")
ENDPOINTS = ("/v1/records", "/v1/customers", "/v1/deals", "/v1/reports", "/v1/users")


def _login(rng: random.Random) -> dict[str, Any]:
    return {"method": "password", "device": "mobile" if rng.random() < 0.2 else "desktop"}


def _sso_login(rng: random.Random) -> dict[str, Any]:
    return {"method": "saml", "device": "mobile" if rng.random() < 0.2 else "desktop"}


def _dashboard(rng: random.Random) -> dict[str, Any]:
    return {"dashboardId": f"dash_{rng.randrange(1, 40):03d}"}


def _record(rng: random.Random) -> dict[str, Any]:
    return {"objectType": rng.choice(OBJECTS)}


def _search(rng: random.Random) -> dict[str, Any]:
    return {"resultCount": rng.randrange(0, 200)}


def _report(rng: random.Random) -> dict[str, Any]:
    return {"reportId": f"rpt_{rng.randrange(1, 80):03d}", "durationSec": rng.randrange(5, 600)}


def _export(rng: random.Random) -> dict[str, Any]:
    return {"format": rng.choice(("csv", "xlsx", "pdf")), "rows": rng.randrange(10, 5000)}


def _invite(rng: random.Random) -> dict[str, Any]:
    return {"role": "admin" if rng.random() < 0.1 else "member"}


def _api(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    status = 200 if roll < 0.95 else 429 if roll < 0.98 else 500
    return {
        "endpoint": rng.choice(ENDPOINTS),
        "statusCode": status,
        "latencyMs": rng.randrange(20, 900),
    }


def _workflow_run(rng: random.Random) -> dict[str, Any]:
    return {
        "workflowId": f"wf_{rng.randrange(1, 25):03d}",
        "status": "failed" if rng.random() < 0.04 else "succeeded",
    }


def _workflow_created(rng: random.Random) -> dict[str, Any]:
    return {"workflowId": f"wf_{rng.randrange(25, 60):03d}", "steps": rng.randrange(2, 12)}


def _analysis(rng: random.Random) -> dict[str, Any]:
    return {"model": rng.choice(("trend", "cohort", "funnel")), "rows": rng.randrange(100, 50000)}


def _file(rng: random.Random) -> dict[str, Any]:
    return {"sizeKb": rng.randrange(10, 20000)}


def _empty(rng: random.Random) -> dict[str, Any]:
    return {}


PROPERTY_MAKERS: dict[str, Maker] = {
    "Login": _login,
    "SSO Login": _sso_login,
    "Dashboard Viewed": _dashboard,
    "Dashboard Created": _dashboard,
    "Record Created": _record,
    "Record Updated": _record,
    "Search Performed": _search,
    "Report Viewed": _report,
    "Report Created": _report,
    "Comment Added": _record,
    "File Uploaded": _file,
    "Export Downloaded": _export,
    "User Invited": _invite,
    "Analysis Run": _analysis,
    "API Call": _api,
    "Workflow Run": _workflow_run,
    "Workflow Created": _workflow_created,
}
