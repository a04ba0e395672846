"""ORM tables, one module per aggregate. Importing this package registers them all."""

from kizuna.models.account import Account
from kizuna.models.activity import Activity, activity_contact, activity_user
from kizuna.models.audit import AuditEvent
from kizuna.models.contact import Contact, ContactRoleLink
from kizuna.models.currency import CurrencyRate
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.health import (
    ChurnModel,
    ChurnRisk,
    ExpansionSignal,
    HealthScore,
    HealthScorecard,
    HealthScorecardVersion,
    HealthScoreHistory,
)
from kizuna.models.importing import ImportKind, ImportRun, ImportStatus, SavedMapping
from kizuna.models.job import Job, JobStatus
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.survey import SurveyResponse
from kizuna.models.usage import (
    EventInbox,
    EventSample,
    EventSource,
    RejectedEvent,
    UsageGroup,
    UsageUser,
)
from kizuna.models.usage_metric import UsageComputeState, UsageMetric, UsageMetricLatest
from kizuna.models.user import ApiToken, Team, User, WebSession

__all__ = [
    "Account",
    "Activity",
    "ApiToken",
    "AuditEvent",
    "ChurnModel",
    "ChurnRisk",
    "Contact",
    "ContactRoleLink",
    "CurrencyRate",
    "CustomFieldDefinition",
    "EventInbox",
    "EventSample",
    "EventSource",
    "ExpansionSignal",
    "HealthScore",
    "HealthScoreHistory",
    "HealthScorecard",
    "HealthScorecardVersion",
    "ImportKind",
    "ImportRun",
    "ImportStatus",
    "Job",
    "JobStatus",
    "Product",
    "RejectedEvent",
    "SavedMapping",
    "Subscription",
    "SurveyResponse",
    "Team",
    "UsageComputeState",
    "UsageGroup",
    "UsageMetric",
    "UsageMetricLatest",
    "UsageUser",
    "User",
    "WebSession",
    "activity_contact",
    "activity_user",
]
