"""ORM tables, one module per aggregate. Importing this package registers them all."""

from kizuna.models.account import Account
from kizuna.models.activity import Activity, activity_contact, activity_user
from kizuna.models.audit import AuditEvent
from kizuna.models.contact import Contact, ContactRoleLink
from kizuna.models.coverage import (
    AssignmentRule,
    AssignmentStrategy,
    CoverageTier,
    OwnerField,
    TierRule,
    TouchModel,
)
from kizuna.models.currency import CurrencyRate
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.handoff import Handoff, HandoffSettings, HandoffStatus, HandoffTransition
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
from kizuna.models.journey import (
    AccountGoal,
    AccountJourneyStep,
    JourneyPhase,
    JourneyPhaseHistory,
    JourneyStep,
)
from kizuna.models.pipeline import (
    CsMeasure,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    OpportunityStageChange,
    PipelineSettings,
)
from kizuna.models.playbook import (
    Playbook,
    PlaybookFiring,
    PlaybookMatchSet,
    PlaybookRun,
    PlaybookSnooze,
    PlaybookStatus,
    PlaybookVersion,
    VersionStatus,
)
from kizuna.models.poc import Poc, PocAccount, PocDecision, PocFeedback, PocOutcome, PocStatus
from kizuna.models.potential import (
    CONFIDENCE_PERCENT,
    ExpansionPotential,
    PotentialConfidence,
    expansion_potential_activity,
)
from kizuna.models.product import Product
from kizuna.models.renewal import (
    ClosingPlan,
    ClosingPlanSide,
    ClosingPlanStep,
    ClosingStepStatus,
    Renewal,
    RenewalForecast,
    RenewalOutcome,
)
from kizuna.models.schedule import CadenceKind, RunStatus, Schedule
from kizuna.models.segment import AccountTag, DomainEvent, Segment
from kizuna.models.subscription import Subscription
from kizuna.models.survey import SurveyResponse
from kizuna.models.target import (
    PeriodKind,
    SalesTarget,
    SalesTargetMember,
    SalesTargetTeam,
    SplitMode,
    TargetMetric,
    TargetSettings,
)
from kizuna.models.task import Task, TaskPriority, TaskStatus
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
    "CONFIDENCE_PERCENT",
    "Account",
    "AccountGoal",
    "AccountJourneyStep",
    "AccountTag",
    "Activity",
    "ApiToken",
    "AssignmentRule",
    "AssignmentStrategy",
    "AuditEvent",
    "CadenceKind",
    "ChurnModel",
    "ChurnRisk",
    "ClosingPlan",
    "ClosingPlanSide",
    "ClosingPlanStep",
    "ClosingStepStatus",
    "Contact",
    "ContactRoleLink",
    "CoverageTier",
    "CsMeasure",
    "CurrencyRate",
    "CustomFieldDefinition",
    "DomainEvent",
    "EventInbox",
    "EventSample",
    "EventSource",
    "ExpansionPotential",
    "ExpansionSignal",
    "Handoff",
    "HandoffSettings",
    "HandoffStatus",
    "HandoffTransition",
    "HealthScore",
    "HealthScoreHistory",
    "HealthScorecard",
    "HealthScorecardVersion",
    "ImportKind",
    "ImportRun",
    "ImportStatus",
    "Job",
    "JobStatus",
    "JourneyPhase",
    "JourneyPhaseHistory",
    "JourneyStep",
    "Lead",
    "LeadStatus",
    "Opportunity",
    "OpportunityKind",
    "OpportunityStage",
    "OpportunityStageChange",
    "OwnerField",
    "PeriodKind",
    "PipelineSettings",
    "Playbook",
    "PlaybookFiring",
    "PlaybookMatchSet",
    "PlaybookRun",
    "PlaybookSnooze",
    "PlaybookStatus",
    "PlaybookVersion",
    "Poc",
    "PocAccount",
    "PocDecision",
    "PocFeedback",
    "PocOutcome",
    "PocStatus",
    "PotentialConfidence",
    "Product",
    "RejectedEvent",
    "Renewal",
    "RenewalForecast",
    "RenewalOutcome",
    "RunStatus",
    "SalesTarget",
    "SalesTargetMember",
    "SalesTargetTeam",
    "SavedMapping",
    "Schedule",
    "Segment",
    "SplitMode",
    "Subscription",
    "SurveyResponse",
    "TargetMetric",
    "TargetSettings",
    "Task",
    "TaskPriority",
    "TaskStatus",
    "Team",
    "TierRule",
    "TouchModel",
    "UsageComputeState",
    "UsageGroup",
    "UsageMetric",
    "UsageMetricLatest",
    "UsageUser",
    "User",
    "VersionStatus",
    "WebSession",
    "activity_contact",
    "activity_user",
    "expansion_potential_activity",
]
