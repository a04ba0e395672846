"""An account's records managed from Account 360: contacts, contract lines, survey answers.

The add-forms sit on Account 360; a validation error re-renders that page (422) with the
failed form's panel open, its values kept and the errors next to its fields. Contacts and
contract lines also have an edit page, which carries their delete button.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.account import service as accounts
from kizuna.contact import service as contacts
from kizuna.contact.schemas import ContactCreate, ContactUpdate
from kizuna.kit.clock import today
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.kit.money import DEFAULT_CURRENCY, to_major
from kizuna.models.contact import Contact
from kizuna.models.subscription import Subscription
from kizuna.subscription import service as subscriptions
from kizuna.subscription import terms
from kizuna.subscription.schemas import SubscriptionCreate, SubscriptionUpdate
from kizuna.survey import service as surveys
from kizuna.survey.schemas import SurveyResponseCreate
from kizuna.web.choices import product_groups
from kizuna.web.deps import (
    ContactEditor,
    DbSession,
    PageContext,
    SubscriptionEditor,
    SurveyEditor,
)
from kizuna.web.forms import clean, errors_by_field, parse, parse_money
from kizuna.web.render import redirect, render
from kizuna.web.routes.accounts import account_page

router = APIRouter()

_CONTACT_TEXT = ("name", "name_kana", "email", "phone", "title", "department", "influence")
_CONTACT_FLAGS = ("is_primary", "email_opt_out", "call_opt_out", "left")
_LINE_FIELDS = (
    "product_id",
    "quantity",
    "mrr",
    "unit_list_price",
    "discount_percent",
    "currency",
    "start_on",
    "end_on",
    "term_months",
    "billing_period_months",
    "contract_ref",
)
_SURVEY_FIELDS = ("kind", "score", "contact_id", "responded_on", "comment")
# Service field → the form input it is typed in (amounts are typed in major units).
_INPUT_OF = {"mrr_amount": "mrr", "unit_list_price_amount": "unit_list_price"}


@router.post("/accounts/{account_id}/contacts")
async def add_contact(
    request: Request, account_id: uuid.UUID, ctx: ContactEditor, session: DbSession
) -> Response:
    values = _contact_values(await request.form())
    try:
        with session.begin():
            data = parse(ContactCreate, {**_contact_input(values), "account_id": str(account_id)})
            contacts.create_contact(session, ctx.actor, data)
    except Invalid as exc:
        return _account_page(request, ctx, session, account_id, "contact", values, exc)
    return redirect(f"/accounts/{account_id}#stakeholders", flash=N_("Contact added."))


@router.get("/contacts/{contact_id}/edit")
def edit_contact(
    request: Request, contact_id: uuid.UUID, ctx: ContactEditor, session: DbSession
) -> Response:
    return _contact_page(request, ctx, session, contact_id)


@router.post("/contacts/{contact_id}/edit")
async def update_contact(
    request: Request, contact_id: uuid.UUID, ctx: ContactEditor, session: DbSession
) -> Response:
    values = _contact_values(await request.form())
    try:
        with session.begin():
            data = parse(ContactUpdate, _contact_input(values, edit=True))
            account_id = contacts.update_contact(session, ctx.actor, contact_id, data).account_id
    except Invalid as exc:
        return _contact_page(request, ctx, session, contact_id, values, errors_by_field(exc))
    return redirect(f"/accounts/{account_id}#stakeholders", flash=N_("Changes saved."))


@router.post("/contacts/{contact_id}/delete")
def delete_contact(contact_id: uuid.UUID, ctx: ContactEditor, session: DbSession) -> Response:
    with session.begin():
        account_id = contacts.access_contact(session, ctx.actor, contact_id).account_id
        contacts.delete_contact(session, ctx.actor, contact_id)
    return redirect(f"/accounts/{account_id}#stakeholders", flash=N_("Contact deleted."))


@router.get("/accounts/{account_id}/subscriptions/new")
def new_line(
    request: Request, account_id: uuid.UUID, ctx: SubscriptionEditor, session: DbSession
) -> Response:
    """The add form on a page of its own (Account 360 loads its form from here)."""
    with session.begin():
        return _line_page(request, ctx, session, account_id)


@router.post("/accounts/{account_id}/subscriptions")
async def add_line(
    request: Request, account_id: uuid.UUID, ctx: SubscriptionEditor, session: DbSession
) -> Response:
    values = _line_values(await request.form())
    try:
        with session.begin():
            data = parse(SubscriptionCreate, {**_line_input(values), "account_id": str(account_id)})
            subscriptions.create_subscription(session, ctx.actor, data)
    except Invalid as exc:
        return _account_page(request, ctx, session, account_id, "line", values, exc)
    return redirect(f"/accounts/{account_id}#contract-lines", flash=N_("Contract line added."))


@router.get("/subscriptions/{subscription_id}/edit")
def edit_line(
    request: Request, subscription_id: uuid.UUID, ctx: SubscriptionEditor, session: DbSession
) -> Response:
    with session.begin():
        line = subscriptions.access_subscription(session, ctx.actor, subscription_id)
        return _line_page(request, ctx, session, line.account_id, line)


@router.post("/subscriptions/{subscription_id}/edit")
async def update_line(
    request: Request, subscription_id: uuid.UUID, ctx: SubscriptionEditor, session: DbSession
) -> Response:
    values = _line_values(await request.form())
    try:
        with session.begin():
            data = parse(SubscriptionUpdate, _line_input(values, edit=True))
            line = subscriptions.update_subscription(session, ctx.actor, subscription_id, data)
            account_id = line.account_id
    except Invalid as exc:
        with session.begin():
            line = subscriptions.access_subscription(session, ctx.actor, subscription_id)
            return _line_page(request, ctx, session, line.account_id, line, values, exc)
    return redirect(f"/accounts/{account_id}#contract-lines", flash=N_("Changes saved."))


@router.post("/subscriptions/{subscription_id}/delete")
def delete_line(
    subscription_id: uuid.UUID, ctx: SubscriptionEditor, session: DbSession
) -> Response:
    with session.begin():
        line = subscriptions.access_subscription(session, ctx.actor, subscription_id)
        account_id = line.account_id
        subscriptions.delete_subscription(session, ctx.actor, subscription_id)
    return redirect(f"/accounts/{account_id}#contract-lines", flash=N_("Contract line deleted."))


@router.post("/accounts/{account_id}/survey-responses")
async def add_survey_response(
    request: Request, account_id: uuid.UUID, ctx: SurveyEditor, session: DbSession
) -> Response:
    values = clean(await request.form(), _SURVEY_FIELDS)
    try:
        with session.begin():
            data = parse(SurveyResponseCreate, {**values, "account_id": str(account_id)})
            surveys.create_survey_response(session, ctx.actor, data)
    except Invalid as exc:
        return _account_page(request, ctx, session, account_id, "survey", values, exc)
    return redirect(f"/accounts/{account_id}#surveys", flash=N_("Survey answer recorded."))


@router.post("/survey-responses/{response_id}/delete")
def delete_survey_response(
    response_id: uuid.UUID, ctx: SurveyEditor, session: DbSession
) -> Response:
    with session.begin():
        account_id = surveys.access_survey_response(session, ctx.actor, response_id).account_id
        surveys.delete_survey_response(session, ctx.actor, response_id)
    return redirect(f"/accounts/{account_id}#surveys", flash=N_("Survey answer deleted."))


def _account_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    form: str,
    values: dict[str, Any],
    exc: Invalid,
) -> Response:
    """Account 360 again (422): ``form``'s panel open, with its values and errors."""
    with session.begin():
        return account_page(
            request,
            ctx,
            session,
            account_id,
            status_code=422,
            open_form=form,
            form_values={form: values},
            form_errors={form: _errors(exc)},
        )


def _contact_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    contact_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with session.begin():
        contact = contacts.access_contact(session, ctx.actor, contact_id)
        return render(
            request,
            ctx,
            "accounts/contact_form.html",
            status_code=422 if errors else 200,
            active="portfolio",
            contact=contact,
            account=accounts.access_account(session, ctx.actor, contact.account_id),
            values=_stored_contact(contact) if values is None else values,
            errors=errors or {},
        )


def _line_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    line: Subscription | None = None,
    values: dict[str, Any] | None = None,
    exc: Invalid | None = None,
) -> Response:
    """The add (``line`` None) or edit page of a contract line; call inside a transaction."""
    account = accounts.access_account(session, ctx.actor, account_id)
    if values is None:
        zone = ctx.actor.timezone
        values = _stored_line(line) if line else _new_line(account.currency, today(zone))
    return render(
        request,
        ctx,
        "accounts/subscription_form.html",
        status_code=422 if exc else 200,
        active="portfolio",
        account=account,
        line=line,
        values=values,
        errors=_errors(exc) if exc else {},
        products=product_groups(session, ctx.actor, keep=line.product_id if line else None),
        billing_periods=terms.BILLING_PERIODS,
    )


def _errors(exc: Invalid) -> dict[str, str]:
    """Errors per form input (an amount's error under the input it was typed in)."""
    return {_INPUT_OF.get(k, k): v for k, v in errors_by_field(exc).items()}


def _contact_values(form: FormData) -> dict[str, Any]:
    """The contact form as typed (kept to show again); unchecked boxes are False."""
    values = clean(form, [*_CONTACT_TEXT, "roles"], lists=["roles"])
    values.update({flag: form.get(flag) == "true" for flag in _CONTACT_FLAGS})
    return values


def _contact_input(values: dict[str, Any], *, edit: bool = False) -> dict[str, Any]:
    """Form values → ContactCreate/Update input; on edit an emptied field is cleared."""
    data = {k: v for k, v in values.items() if k != "left"}
    data.setdefault("roles", [])
    if edit:
        blanks = dict.fromkeys(("name", "name_kana", "phone", "title", "department"), "")
        data = blanks | {"email": None, "influence": None} | data
        data["is_active"] = not values["left"]
    return data


def _stored_contact(contact: Contact) -> dict[str, Any]:
    values = {name: getattr(contact, name) for name in _CONTACT_TEXT if name != "influence"}
    values |= {flag: getattr(contact, flag) for flag in _CONTACT_FLAGS if flag != "left"}
    values["influence"] = contact.influence.value if contact.influence else None
    values["roles"] = [role.value for role in contact.roles]
    values["left"] = not contact.is_active
    return values


def _line_values(form: FormData) -> dict[str, Any]:
    values = clean(form, _LINE_FIELDS)
    values["auto_renew"] = form.get("auto_renew") == "true"
    return values


def _line_input(values: dict[str, Any], *, edit: bool = False) -> dict[str, Any]:
    """Form values → SubscriptionCreate/Update input.

    Amounts are typed in major units ("120,000") and become integer minor units. The MRR is
    either typed or, when left empty, derived by the service from the unit list price ×
    quantity × (1 − discount).
    """
    currency = str(values.get("currency") or DEFAULT_CURRENCY).upper()
    data = {k: v for k, v in values.items() if k not in _INPUT_OF.values()}
    data["currency"] = currency
    for name in ("quantity", "discount_percent"):
        if name in data:
            data[name] = _plain_number(data[name])
    mrr = _amount(values.get("mrr"), currency, "mrr")
    price = _amount(values.get("unit_list_price"), currency, "unit_list_price")
    if mrr is None and price is None:
        raise Invalid.field(
            "mrr", "enter the MRR, or a unit list price to compute it from", code="required"
        )
    data["unit_list_price_amount"] = price
    if mrr is not None:
        data["mrr_amount"] = mrr
    if edit:
        data.setdefault("end_on", None)
        data.setdefault("contract_ref", "")
        data.setdefault("discount_percent", "0")
    return data


def _new_line(currency: str, start_on: date) -> dict[str, Any]:
    return {
        "currency": currency,
        "quantity": 1,
        "start_on": start_on,
        "term_months": 12,
        "billing_period_months": 1,
        "auto_renew": True,
    }


def _stored_line(line: Subscription) -> dict[str, Any]:
    names = [n for n in _LINE_FIELDS if n not in _INPUT_OF.values()]
    values = {name: getattr(line, name) for name in names}
    values["auto_renew"] = line.auto_renew
    values["discount_percent"] = _plain_decimal(line.discount_percent)
    values["mrr"] = _major(line.mrr_amount, line.currency)
    if line.unit_list_price_amount is not None:
        values["unit_list_price"] = _major(line.unit_list_price_amount, line.currency)
    return values


def _amount(text: str | None, currency: str, field: str) -> int | None:
    """An amount typed in major units ("120,000", "¥120,000") as minor units; None if blank."""
    return parse_money(text, currency, field=field) if text else None


def _plain_number(text: str) -> str:
    """Full-width digits, thousands separators and a trailing % removed: "１,５００" → "1500"."""
    return unicodedata.normalize("NFKC", str(text)).replace(",", "").rstrip("%").strip()


def _plain_decimal(value: Decimal) -> str:
    """10.00 → "10", 12.50 → "12.5" (as a person would type it)."""
    return format(value.normalize(), "f")


def _major(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency):,}"
