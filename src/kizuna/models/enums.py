"""Closed vocabularies stored as strings (VARCHAR + CHECK on every backend)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable, constrained string column type for ``enum_cls``."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CSM = "csm"
    SUPPORT = "support"
    CUSTOMER_SALES = "customer_sales"
    CUSTOMER_MARKETING = "customer_marketing"
    SALES = "sales"
    READ_ONLY = "read_only"


class TeamKind(StrEnum):
    SUPPORT = "support"
    CUSTOMER_SALES = "customer_sales"
    CUSTOMER_MARKETING = "customer_marketing"
    CSM = "csm"
    SALES = "sales"
    CS_OPS = "cs_ops"
    MANAGEMENT = "management"


class Tier(StrEnum):
    TIER1 = "tier1"
    TIER2 = "tier2"
    TIER3 = "tier3"


class Phase(StrEnum):
    """Journey phases of seed 001 §1 (the journey issue adds steps and history)."""

    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    EXPANSION = "expansion"


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    ADMIN = "admin"
    USER = "user"
    CHAMPION = "champion"
    EXECUTIVE_SPONSOR = "executive_sponsor"


class Influence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ProductKind(StrEnum):
    BASE_PLAN = "base_plan"
    OPTION = "option"
    ADD_ON = "add_on"
    SERVICE = "service"


class ProductUnit(StrEnum):
    SEAT = "seat"
    FIXED = "fixed"
    USAGE = "usage"


class ActivityKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    INQUIRY = "inquiry"
    NOTE = "note"
    QBR = "qbr"
    TRAINING = "training"
    EVENT = "event"
    PROPOSAL = "proposal"


class InquiryStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"


class SurveyKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"


class CustomFieldObject(StrEnum):
    ACCOUNT = "account"
    CONTACT = "contact"
    PRODUCT = "product"
    SUBSCRIPTION = "subscription"
    ACTIVITY = "activity"


class CustomFieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    URL = "url"
    EMAIL = "email"


class ActorKind(StrEnum):
    USER = "user"
    TOKEN = "token"
    SYSTEM = "system"


class LeadSource(StrEnum):
    """Where an opportunity came from (C8): CS lead pass, marketing, sales, partner."""

    CS = "cs"
    MARKETING = "marketing"
    SALES = "sales"
    PARTNER = "partner"


def enum_values(enum_cls: type[StrEnum]) -> list[Any]:
    return [m.value for m in enum_cls]
