"""Account 360, the account form and the add-activity form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kizuna.account import service as accounts
from kizuna.account.schemas import AccountCreate, AccountUpdate
from kizuna.activity import service as activities
from kizuna.activity.schemas import ActivityCreate
from kizuna.customfield import service as custom_fields
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.models.enums import ActivityKind, CustomFieldObject
from kizuna.portfolio import account360
from kizuna.subscription import terms
from kizuna.user import service as users
from kizuna.web.choices import product_groups
from kizuna.web.deps import AccountEditor, ActivityEditor, DbSession, PageContext, Reader
from kizuna.web.forms import clean, errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()

_ACCOUNT_FIELDS = [f for f in AccountCreate.model_fields if f != "custom_fields"]
_ACTIVITY_FIELDS = ["kind", "subject", "body", "occurred_at", "duration_minutes", "is_pre_sale"]


@router.get("/accounts/new")
def new_account(request: Request, ctx: AccountEditor, session: DbSession) -> Response:
    with session.begin():
        return _account_form(request, ctx, session, values={}, errors={})


@router.post("/accounts/new")
async def create_account(request: Request, ctx: AccountEditor, session: DbSession) -> Response:
    form = await request.form()
    values = _account_values(form)
    try:
        with session.begin():
            account = accounts.create_account(session, ctx.actor, parse(AccountCreate, values))
    except Invalid as exc:
        with session.begin():
            return _account_form(
                request, ctx, session, values=values, errors=errors_by_field(exc), status_code=422
            )
    return redirect(f"/accounts/{account.id}", flash=N_("Account created."))


@router.get("/accounts/{account_id}")
def account_detail(
    request: Request, account_id: uuid.UUID, ctx: Reader, session: DbSession
) -> Response:
    with session.begin():
        return account_page(request, ctx, session, account_id)


def account_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    account_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """Account 360 with its forms; call inside a transaction. ``extra`` carries a failed
    form's values and errors (``errors``/``form``, or ``form_values``/``form_errors``)."""
    view = account360.account_360(session, ctx.actor, account_id)
    extra.setdefault("errors", {})
    return render(
        request,
        ctx,
        "accounts/detail.html",
        status_code=status_code,
        active="portfolio",
        view=view,
        activity_kinds=list(ActivityKind),
        now=utc_now(),
        products=product_groups(session, ctx.actor),
        billing_periods=terms.BILLING_PERIODS,
        **extra,
    )


@router.get("/accounts/{account_id}/timeline")
def account_timeline(
    request: Request,
    account_id: uuid.UUID,
    ctx: Reader,
    session: DbSession,
    before: datetime | None = None,
) -> Response:
    with session.begin():
        items, more = account360.timeline(session, ctx.actor, account_id, before=before)
        return render(
            request,
            ctx,
            "accounts/_timeline.html",
            account_id=account_id,
            activities=items,
            more_activities=more,
        )


@router.get("/accounts/{account_id}/edit")
def edit_account(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    with session.begin():
        account = accounts.access_account(session, ctx.actor, account_id, write=True)
        values = {f: getattr(account, f) for f in _ACCOUNT_FIELDS}
        values["custom_fields"] = dict(account.custom_fields)
        return _account_form(request, ctx, session, values=values, errors={}, account=account)


@router.post("/accounts/{account_id}/edit")
async def update_account(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    form = await request.form()
    values = _account_values(form, blanks=True)
    try:
        with session.begin():
            accounts.update_account(session, ctx.actor, account_id, parse(AccountUpdate, values))
    except Invalid as exc:
        with session.begin():
            account = accounts.access_account(session, ctx.actor, account_id, write=True)
            return _account_form(
                request,
                ctx,
                session,
                values=values,
                errors=errors_by_field(exc),
                account=account,
                status_code=422,
            )
    return redirect(f"/accounts/{account_id}", flash=N_("Changes saved."))


@router.post("/accounts/{account_id}/activities")
async def add_activity(
    request: Request, account_id: uuid.UUID, ctx: ActivityEditor, session: DbSession
) -> Response:
    form = await request.form()
    values: dict[str, Any] = clean(form, _ACTIVITY_FIELDS)
    values.update(clean(form, ["contact_ids"], lists=["contact_ids"]))
    values["account_id"] = str(account_id)
    try:
        values["occurred_at"] = _local_to_utc(form.get("occurred_at_local"), ctx.actor.timezone)
        with session.begin():
            activities.create_activity(session, ctx.actor, parse(ActivityCreate, values))
    except Invalid as exc:
        with session.begin():
            return account_page(
                request,
                ctx,
                session,
                account_id,
                status_code=422,
                errors=errors_by_field(exc),
                form=values,
            )
    return redirect(f"/accounts/{account_id}#timeline", flash=N_("Activity added."))


def _local_to_utc(value: Any, zone: str) -> datetime:
    """The form's ``datetime-local`` (the user's wall clock) as UTC; now when empty."""
    if not value:
        return utc_now()
    try:
        local = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid.field(
            "occurred_at", "must be a date and time", code="datetime_parsing"
        ) from None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _account_values(form: Any, *, blanks: bool = False) -> dict[str, Any]:
    """Form fields → AccountCreate/Update input; custom fields arrive as ``cf_<key>``."""
    values = clean(form, _ACCOUNT_FIELDS)
    if blanks:  # on edit, an emptied text box clears the field
        for name in (
            "name_kana",
            "industry",
            "region",
            "purpose_of_adoption",
            "business_challenges",
            "success_criteria",
            "expansion_room",
            "notes",
        ):
            values.setdefault(name, "")
        for name in (
            "tier",
            "phase",
            "csm_owner_id",
            "sales_owner_id",
            "ae_owner_id",
            "support_owner_id",
            "domain",
            "external_id",
            "employee_count",
        ):
            values.setdefault(name, None)
    values["custom_fields"] = {
        key[3:]: (form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key))
        for key in form
        if key.startswith("cf_")
    }
    return values


def _account_form(
    request: Request,
    ctx: PageContext,
    session: Any,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    account: Any = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        ctx,
        "accounts/form.html",
        active="portfolio",
        values=values,
        errors=errors,
        account=account,
        status_code=status_code,
        users=users.list_active_users(session, ctx.actor),
        custom_fields=custom_fields.list_definitions(
            session, CustomFieldObject.ACCOUNT, active_only=True
        ),
    )
