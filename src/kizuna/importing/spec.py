"""How each kind of row is written: its table, match keys, references, defaults and the
business rules a row must pass (the same rules the services apply one object at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from kizuna.models import Account, Activity, Contact, Product, Subscription, SurveyResponse, User
from kizuna.models.enums import ActivityKind, CustomFieldObject, SurveyKind
from kizuna.models.importing import ImportKind
from kizuna.subscription import terms
from kizuna.survey.scoring import in_range

Rule = Callable[[dict[str, Any]], list[tuple[str, str, str]]]  # → (target, code, message)


@dataclass(frozen=True)
class RefSpec:
    """A column naming another object by a natural key, resolved to its id."""

    table: Table
    lookups: tuple[str, ...]  # columns tried in order (external_id, then domain…)
    column: str  # where the resolved id goes, e.g. account_id
    required: bool = True


@dataclass(frozen=True)
class KindSpec:
    kind: ImportKind
    table: Table
    match_keys: tuple[str, ...]  # columns a file may be matched on (mapping.options.match_key)
    natural_key: tuple[str, ...] = ()  # fallback identity when the match key column is absent
    refs: Mapping[str, RefSpec] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    custom_object: CustomFieldObject | None = None
    rules: tuple[Rule, ...] = ()
    required_on_create: tuple[str, ...] = ()


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _account_ref(required: bool = True) -> RefSpec:
    return RefSpec(_table(Account), ("external_id", "domain"), "account_id", required)


def _owner_ref(column: str) -> RefSpec:
    return RefSpec(_table(User), ("email",), column, required=False)


def _subscription_rules(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    problems = []
    start, end = values.get("start_on"), values.get("end_on")
    if start is not None and end is not None and end <= start:
        problems.append(("end_on", "before_start", "must be after start_on"))
    period = values.get("billing_period_months")
    if period is not None and period not in terms.BILLING_PERIODS:
        problems.append(
            (
                "billing_period_months",
                "invalid_period",
                f"must be one of {list(terms.BILLING_PERIODS)}",
            )
        )
    discount = values.get("discount_percent")
    if discount is not None and not Decimal(0) <= discount <= Decimal(100):
        problems.append(("discount_percent", "out_of_range", "must be 0–100"))
    if values.get("mrr_amount") is None and values.get("unit_list_price_amount") is None:
        problems.append(("mrr_amount", "required", "give the MRR or a unit list price"))
    return problems


def _survey_rules(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    kind, score = values.get("kind"), values.get("score")
    if isinstance(kind, SurveyKind) and score is not None and not in_range(kind, score):
        low, high = (0, 10) if kind is SurveyKind.NPS else (1, 5)
        return [("score", "out_of_range", f"{kind.value.upper()} scores are {low}–{high}")]
    return []


def _activity_rules(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    problems = []
    inquiry_fields = ("inquiry_status", "opened_at", "first_response_at", "resolved_at")
    if values.get("kind") is not ActivityKind.INQUIRY:
        problems += [
            (f, "inquiry_only", "only inquiries have this")
            for f in inquiry_fields
            if values.get(f) is not None
        ]
    opened = values.get("opened_at") or values.get("occurred_at")
    for name in ("first_response_at", "resolved_at"):
        moment = values.get(name)
        if moment is not None and opened is not None and moment < opened:
            problems.append((name, "before_opened", "must be after the inquiry was opened"))
    return problems


SPECS: dict[ImportKind, KindSpec] = {
    ImportKind.ACCOUNTS: KindSpec(
        ImportKind.ACCOUNTS,
        _table(Account),
        match_keys=("external_id", "domain", "name"),
        refs={
            "csm_owner_ref": _owner_ref("csm_owner_id"),
            "sales_owner_ref": _owner_ref("sales_owner_id"),
            "ae_owner_ref": _owner_ref("ae_owner_id"),
            "support_owner_ref": _owner_ref("support_owner_id"),
        },
        defaults={
            "name_kana": "",
            "industry": "",
            "region": "",
            "currency": "JPY",
            "purpose_of_adoption": "",
            "business_challenges": "",
            "success_criteria": "",
            "expansion_room": "",
            "notes": "",
            "custom_fields": {},
        },
        custom_object=CustomFieldObject.ACCOUNT,
        required_on_create=("name",),
    ),
    ImportKind.CONTACTS: KindSpec(
        ImportKind.CONTACTS,
        _table(Contact),
        match_keys=("external_id", "email"),
        refs={"account_ref": _account_ref()},
        defaults={
            "name_kana": "",
            "phone": "",
            "title": "",
            "department": "",
            "is_primary": False,
            "is_active": True,
            "email_opt_out": False,
            "call_opt_out": False,
            "custom_fields": {},
        },
        custom_object=CustomFieldObject.CONTACT,
        required_on_create=("name",),
    ),
    ImportKind.PRODUCTS: KindSpec(
        ImportKind.PRODUCTS,
        _table(Product),
        match_keys=("code",),
        defaults={
            "name_en": "",
            "list_price_amount": 0,
            "currency": "JPY",
            "description": "",
            "is_active": True,
            "custom_fields": {},
        },
        custom_object=CustomFieldObject.PRODUCT,
        required_on_create=("name", "kind", "unit"),
    ),
    ImportKind.SUBSCRIPTIONS: KindSpec(
        ImportKind.SUBSCRIPTIONS,
        _table(Subscription),
        match_keys=("external_id",),
        natural_key=("account_id", "product_id", "start_on"),
        refs={
            "account_ref": _account_ref(),
            "product_ref": RefSpec(_table(Product), ("code",), "product_id"),
        },
        defaults={
            "contract_ref": "",
            "quantity": 1,
            "discount_percent": Decimal(0),
            "term_months": 12,
            "billing_period_months": 1,
            "auto_renew": True,
            "custom_fields": {},
        },
        custom_object=CustomFieldObject.SUBSCRIPTION,
        rules=(_subscription_rules,),
        required_on_create=("start_on",),
    ),
    ImportKind.ACTIVITIES: KindSpec(
        ImportKind.ACTIVITIES,
        _table(Activity),
        match_keys=("external_id",),
        natural_key=("account_id", "kind", "occurred_at", "subject"),
        refs={"account_ref": _account_ref(), "author_ref": _owner_ref("author_id")},
        defaults={"body": "", "is_pre_sale": False, "custom_fields": {}},
        custom_object=CustomFieldObject.ACTIVITY,
        rules=(_activity_rules,),
        required_on_create=("kind", "subject", "occurred_at"),
    ),
    ImportKind.SURVEY_RESPONSES: KindSpec(
        ImportKind.SURVEY_RESPONSES,
        _table(SurveyResponse),
        match_keys=("external_id",),
        natural_key=("account_id", "kind", "responded_on", "contact_id"),
        refs={
            "account_ref": _account_ref(),
            "contact_ref": RefSpec(
                _table(Contact),
                ("external_id", "email"),
                "contact_id",
                required=False,
            ),
        },
        defaults={"comment": ""},
        rules=(_survey_rules,),
        required_on_create=("kind", "score", "responded_on"),
    ),
}
