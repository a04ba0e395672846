"""Roles → permissions, and token scopes → permissions. Pure: no database.

Every API route and web page declares exactly one permission (see ``api/deps.py`` and
``web/deps.py``); the permission-matrix test walks every route against every role.
"""

from __future__ import annotations

from enum import StrEnum

from kizuna.models.enums import Role


class Permission(StrEnum):
    PUBLIC = "public"  # no login needed (login page, health, static files, ingest keys)
    AUTHENTICATED = "authenticated"  # any logged-in user (own profile, own tokens, locale)
    ACCOUNT_READ = "account:read"
    ACCOUNT_WRITE = "account:write"
    ACCOUNT_DELETE = "account:delete"
    CONTACT_WRITE = "contact:write"
    ACTIVITY_WRITE = "activity:write"
    SURVEY_WRITE = "survey:write"
    SUBSCRIPTION_WRITE = "subscription:write"
    PRODUCT_WRITE = "product:write"
    CUSTOM_FIELD_ADMIN = "custom_field:admin"
    USER_READ = "user:read"
    USER_ADMIN = "user:admin"
    AUDIT_READ = "audit:read"
    IMPORT_RUN = "import:run"  # bulk import (each kind also needs its own write permission)
    EXPORT_RUN = "export:run"  # bulk export of everything (a copy of the whole customer base)
    USAGE_READ = "usage:read"  # product usage: metrics, usage overview, event debugger
    SOURCE_ADMIN = "source:admin"  # event sources and their write keys
    METRIC_ADMIN = "metric:admin"  # usage metric definitions, recomputation
    REVENUE_READ = "revenue:read"  # company-wide revenue and retention (KGI), planning
    CURRENCY_ADMIN = "currency:admin"  # exchange rates used to report in one currency
    HEALTH_READ = "health:read"  # health scores, explanations, churn risk, expansion signals
    HEALTH_ADMIN = "health:admin"  # scorecards, calibration lab, churn-model training
    SEGMENT_WRITE = "segment:write"  # save, share and change segments (anyone may read them)
    COVERAGE_ADMIN = "coverage:admin"  # tier rules, coverage model, assignment rules
    JOURNEY_ADMIN = "journey:admin"  # the success journey's phases, steps and criteria
    PLAYBOOK_ADMIN = "playbook:admin"  # playbooks: build, version, publish, dry-run
    TASK_WRITE = "task:write"  # create, complete, snooze and reassign tasks
    TEAM_READ = "team:read"  # a team's tasks, books of business and KAI (managers)
    JOB_READ = "job:read"  # schedules and job runs (last run, duration, errors)
    JOB_ADMIN = "job:admin"  # run a schedule now, pause or resume it
    SALES_READ = "sales:read"  # customer sales: hand-offs, potential, leads, pipeline, renewals
    PIPELINE_WRITE = "pipeline:write"  # hand-offs, potential, leads, opportunities, MCPs, PoCs
    SALES_ADMIN = "sales:admin"  # targets, required hand-off fields, lead SLA, KPI setting


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_READ = frozenset(
    {
        Permission.ACCOUNT_READ,
        Permission.USER_READ,
        Permission.USAGE_READ,
        Permission.HEALTH_READ,
        Permission.SALES_READ,
    }
)
_CUSTOMER_WRITE = frozenset(
    {
        Permission.ACCOUNT_WRITE,
        Permission.CONTACT_WRITE,
        Permission.ACTIVITY_WRITE,
        Permission.TASK_WRITE,
        Permission.SEGMENT_WRITE,
        Permission.PIPELINE_WRITE,
    }
)
_ADMIN_ONLY = frozenset(
    {
        Permission.USER_ADMIN,
        Permission.CUSTOM_FIELD_ADMIN,
        Permission.PRODUCT_WRITE,
        Permission.SOURCE_ADMIN,
        Permission.METRIC_ADMIN,
        Permission.CURRENCY_ADMIN,
        Permission.HEALTH_ADMIN,
        Permission.COVERAGE_ADMIN,
        Permission.JOURNEY_ADMIN,
        Permission.PLAYBOOK_ADMIN,
        Permission.JOB_ADMIN,
        Permission.SALES_ADMIN,
    }
)
_BASE = frozenset({Permission.PUBLIC, Permission.AUTHENTICATED})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: _BASE
    | _READ
    | _CUSTOMER_WRITE
    | {
        Permission.IMPORT_RUN,
        Permission.EXPORT_RUN,
        Permission.ACCOUNT_DELETE,
        Permission.SURVEY_WRITE,
        Permission.SUBSCRIPTION_WRITE,
        Permission.AUDIT_READ,
        Permission.REVENUE_READ,
        Permission.METRIC_ADMIN,
        Permission.HEALTH_ADMIN,
        Permission.COVERAGE_ADMIN,
        Permission.JOURNEY_ADMIN,
        Permission.PLAYBOOK_ADMIN,
        Permission.TEAM_READ,
        Permission.JOB_READ,
        Permission.SALES_ADMIN,
    },
    Role.CSM: _BASE | _READ | _CUSTOMER_WRITE | {Permission.SURVEY_WRITE, Permission.REVENUE_READ},
    Role.SUPPORT: _BASE
    | _READ
    | {
        Permission.CONTACT_WRITE,
        Permission.ACTIVITY_WRITE,
        Permission.SURVEY_WRITE,
        Permission.TASK_WRITE,
    },
    Role.CUSTOMER_SALES: _BASE
    | _READ
    | _CUSTOMER_WRITE
    | {Permission.SUBSCRIPTION_WRITE, Permission.REVENUE_READ},
    Role.CUSTOMER_MARKETING: _BASE
    | _READ
    | {
        Permission.CONTACT_WRITE,
        Permission.ACTIVITY_WRITE,
        Permission.SURVEY_WRITE,
        Permission.TASK_WRITE,
        Permission.SEGMENT_WRITE,
    },
    Role.SALES: _BASE | _READ | _CUSTOMER_WRITE | {Permission.SUBSCRIPTION_WRITE},
    Role.READ_ONLY: _BASE | _READ | {Permission.REVENUE_READ},
}

_READ_PERMISSIONS = frozenset(
    {
        Permission.PUBLIC,
        Permission.AUTHENTICATED,
        Permission.AUDIT_READ,
        Permission.EXPORT_RUN,
        Permission.REVENUE_READ,
        Permission.TEAM_READ,
        Permission.JOB_READ,
    }
    | _READ
)
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.READ: _READ_PERMISSIONS,
    Scope.WRITE: frozenset(Permission) - _ADMIN_ONLY,
    Scope.ADMIN: frozenset(Permission),
}


def role_permissions(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def token_permissions(role: Role, scopes: list[str]) -> frozenset[Permission]:
    """What a token may do: its owner's role, narrowed by the union of its scopes."""
    granted: frozenset[Permission] = frozenset()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS[Scope(scope)]
    return ROLE_PERMISSIONS[role] & granted
