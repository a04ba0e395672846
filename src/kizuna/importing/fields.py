"""What an import can write: the target fields of each :class:`ImportKind`.

A target is one writable field of the object, or a *reference* (``*_ref``) that names
another object by its natural key, because a file from another system cannot know our
UUIDs:

========================  ===============  =============================================
reference                 refers to        matched on (the engine decides the order)
========================  ===============  =============================================
``account_ref``           ``account``      ``Account.external_id``, else ``domain``
``product_ref``           ``product``      ``Product.code``
``contact_ref``           ``contact``      ``Contact.external_id``, else ``email``
``*_owner_ref``,          ``user``         ``User.email``
``author_ref``
========================  ===============  =============================================

Money targets are named ``<x>_amount`` with type ``money``; whether the file gives major
units (¥ / $12.34) or minor units is the mapping's ``amounts_in_major_units`` option.
``list`` targets hold several values separated by the mapping's ``list_separator``; their
``enum`` (if any) is the type of each item. Any target ``custom.<key>`` (``key`` in
snake_case) is a custom field of the object; the engine checks it against the object's
custom field definitions. Survey responses have no custom fields.

The engine coerces and validates values; this module only says what exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from kizuna.customfield.schemas import KEY_PATTERN
from kizuna.kit.i18n import N_
from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    Influence,
    InquiryStatus,
    Phase,
    ProductKind,
    ProductUnit,
    SurveyKind,
    Tier,
)
from kizuna.models.importing import ImportKind

FieldType = Literal[
    "text", "int", "decimal", "money", "date", "datetime", "bool", "enum", "list", "ref"
]

EnumType = type[StrEnum]  # (an alias: inside TargetField ``type`` is the field's name)

CUSTOM_PREFIX = "custom."
_CUSTOM_KEY = re.compile(KEY_PATTERN)
# Kinds whose objects have a ``custom_fields`` column.
_CUSTOM_KINDS = frozenset(
    {
        ImportKind.ACCOUNTS,
        ImportKind.CONTACTS,
        ImportKind.PRODUCTS,
        ImportKind.SUBSCRIPTIONS,
        ImportKind.ACTIVITIES,
    }
)


@dataclass(frozen=True)
class TargetField:
    """One field an import column can be mapped to."""

    name: str
    type: FieldType
    required: bool = False
    enum: EnumType | None = None
    ref: str | None = None
    description: str = ""


def _text(name: str, description: str, *, required: bool = False) -> TargetField:
    return TargetField(name, "text", required, description=description)


def _ref(name: str, ref: str, description: str, *, required: bool = False) -> TargetField:
    return TargetField(name, "ref", required, ref=ref, description=description)


def _enum(
    name: str, enum: type[StrEnum], description: str, *, required: bool = False
) -> TargetField:
    return TargetField(name, "enum", required, enum=enum, description=description)


def _bool(name: str, description: str) -> TargetField:
    return TargetField(name, "bool", description=description)


_EXTERNAL_ID = _text("external_id", N_("the record's id in the source system"))
# Kizuna's own id: exports carry it, so an export re-imports onto the same records (and
# into an empty database as the same records).
KIZUNA_ID = _text("id", N_("Kizuna's own id, as exports write it"))
_ACCOUNT_REF = _ref(
    "account_ref", "account", N_("the account's external id (or its domain)"), required=True
)
_CURRENCY = _text("currency", N_("ISO 4217 code, e.g. JPY (円 and ¥ are understood)"))

_ACCOUNTS = (
    _EXTERNAL_ID,
    _text("name", N_("company name (会社名)"), required=True),
    _text("name_kana", N_("company name in katakana (フリガナ)")),
    _text("domain", N_("web domain, e.g. example.co.jp (a website URL is accepted)")),
    _text("industry", N_("industry (業種)")),
    TargetField("employee_count", "int", description=N_("number of employees (従業員数)")),
    _text("region", N_("prefecture or region (都道府県 / 地域)")),
    _CURRENCY,
    _enum("tier", Tier, N_("tier1, tier2 or tier3")),
    _enum("phase", Phase, N_("onboarding, adoption or expansion")),
    _text("purpose_of_adoption", N_("why they bought (導入目的)")),
    _text("business_challenges", N_("their business challenges (課題)")),
    _text("success_criteria", N_("what success means to them (成功基準)")),
    _text("expansion_room", N_("room to expand (拡大余地)")),
    _text("notes", N_("free notes (備考)")),
    _ref("csm_owner_ref", "user", N_("the CSM's e-mail")),
    _ref("sales_owner_ref", "user", N_("the sales owner's e-mail")),
    _ref("ae_owner_ref", "user", N_("the account executive's e-mail")),
    _ref("support_owner_ref", "user", N_("the support owner's e-mail")),
)

_CONTACTS = (
    _EXTERNAL_ID,
    _ACCOUNT_REF,
    _text("name", N_("full name; may be composed of family and given name"), required=True),
    _text("name_kana", N_("name in katakana (フリガナ)")),
    _text("email", N_("e-mail address")),
    _text("phone", N_("phone number")),
    _text("title", N_("job title (役職)")),
    _text("department", N_("department (部署)")),
    _enum("influence", Influence, N_("high, medium or low")),
    TargetField("roles", "list", enum=ContactRole, description=N_("buying-group roles")),
    _bool("is_primary", N_("the main contact of the account")),
    _bool("is_active", N_("still at the company")),
    _bool("email_opt_out", N_("does not want e-mail")),
    _bool("call_opt_out", N_("does not want calls")),
)

_PRODUCTS = (
    _text("code", N_("unique catalogue code (製品コード / SKU)"), required=True),
    _text("name", N_("product name"), required=True),
    _text("name_en", N_("English name")),
    _enum("kind", ProductKind, N_("base_plan, option, add_on or service"), required=True),
    _enum("unit", ProductUnit, N_("seat, fixed or usage"), required=True),
    TargetField(
        "list_price_amount", "money", description=N_("list price per unit per month (定価)")
    ),
    _CURRENCY,
    _text("description", N_("description")),
    _bool("is_active", N_("still sold")),
)

_SUBSCRIPTIONS = (
    _EXTERNAL_ID,
    _ACCOUNT_REF,
    _ref("product_ref", "product", N_("the product's code"), required=True),
    _text("contract_ref", N_("contract number grouping lines (契約番号)")),
    TargetField("quantity", "int", description=N_("units, seats or licences (数量)")),
    TargetField(
        "mrr_amount", "money", description=N_("monthly amount net of discount; else derived")
    ),
    _CURRENCY,
    TargetField(
        "unit_list_price_amount", "money", description=N_("list price per unit per billing period")
    ),
    TargetField("discount_percent", "decimal", description=N_("discount in percent (割引率)")),
    TargetField("start_on", "date", required=True, description=N_("first day (契約開始日)")),
    TargetField("end_on", "date", description=N_("end, exclusive; empty = open-ended")),
    TargetField("term_months", "int", description=N_("contract term in months")),
    TargetField(
        "billing_period_months",
        "int",
        description=N_(
            "1, 3, 6, 12, 24 or 36; interval words (month, year, 年払い) are understood"
        ),
    ),
    _bool("auto_renew", N_("renews automatically (自動更新)")),
)

_ACTIVITIES = (
    _EXTERNAL_ID,
    _ACCOUNT_REF,
    _enum("kind", ActivityKind, N_("meeting, call, email, inquiry, note, qbr, ..."), required=True),
    _text("subject", N_("subject (件名)"), required=True),
    _text("body", N_("content or minutes (内容 / 議事録)")),
    TargetField("occurred_at", "datetime", required=True, description=N_("when it happened")),
    TargetField("duration_minutes", "int", description=N_("length in minutes")),
    _bool("is_pre_sale", N_("happened before the contract")),
    _ref("author_ref", "user", N_("the author's e-mail; defaults to the importing user")),
    TargetField(
        "participant_emails", "list", description=N_("e-mails of the users and contacts present")
    ),
    _enum("inquiry_status", InquiryStatus, N_("open, pending or resolved (inquiries only)")),
    TargetField("opened_at", "datetime", description=N_("inquiry opened")),
    TargetField("first_response_at", "datetime", description=N_("inquiry first answered")),
    TargetField("resolved_at", "datetime", description=N_("inquiry resolved")),
)

_SURVEY_RESPONSES = (
    _EXTERNAL_ID,
    _ACCOUNT_REF,
    _ref("contact_ref", "contact", N_("the contact's external id or e-mail")),
    _enum("kind", SurveyKind, N_("nps or csat; a file of NPS answers often has no such column")),
    TargetField("score", "int", required=True, description=N_("NPS 0–10, CSAT 1–5")),
    _text("comment", N_("free comment (コメント)")),
    TargetField("responded_on", "date", description=N_("answer date; defaults to today")),
)

TARGETS: dict[ImportKind, tuple[TargetField, ...]] = {
    ImportKind.ACCOUNTS: (KIZUNA_ID, *_ACCOUNTS),
    ImportKind.CONTACTS: (KIZUNA_ID, *_CONTACTS),
    ImportKind.PRODUCTS: (KIZUNA_ID, *_PRODUCTS),
    ImportKind.SUBSCRIPTIONS: (KIZUNA_ID, *_SUBSCRIPTIONS),
    ImportKind.ACTIVITIES: (KIZUNA_ID, *_ACTIVITIES),
    ImportKind.SURVEY_RESPONSES: (KIZUNA_ID, *_SURVEY_RESPONSES),
}


def is_custom(name: str) -> bool:
    """True when ``name`` has the ``custom.<key>`` form (the key may still be invalid)."""
    return name.startswith(CUSTOM_PREFIX)


def target_field(kind: ImportKind, name: str) -> TargetField | None:
    """The target ``name`` of ``kind``, a text target for a valid ``custom.<key>``, or None."""
    for field in TARGETS[kind]:
        if field.name == name:
            return field
    if is_custom(name) and kind in _CUSTOM_KINDS:
        key = name.removeprefix(CUSTOM_PREFIX)
        if _CUSTOM_KEY.match(key):
            return TargetField(name, "text", description=f"custom field {key}")
    return None


def required_targets(kind: ImportKind) -> tuple[str, ...]:
    """Names of the targets a mapping of ``kind`` must map."""
    return tuple(field.name for field in TARGETS[kind] if field.required)
