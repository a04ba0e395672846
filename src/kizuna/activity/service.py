"""Activity use cases, and ``access_activity``: the choke point for reading an activity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account, access_account_for_input
from kizuna.activity import repository, rules
from kizuna.activity.schemas import ActivityCreate, ActivityFilters, ActivityOut, ActivityUpdate
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.customfield import service as custom_fields
from kizuna.db.paging import SortField, keyset_page, parse_datetime
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.activity import Activity
from kizuna.models.contact import Contact
from kizuna.models.enums import CustomFieldObject
from kizuna.models.user import User

SORT_FIELDS = {
    "occurred_at": SortField(Activity.occurred_at, parse=parse_datetime),
    "created_at": SortField(Activity.created_at, parse=parse_datetime),
}
_NULLABLE = {"duration_minutes", "author_id", "external_id", *rules.INQUIRY_FIELDS}
_AUDITED = (
    "account_id",
    "kind",
    "subject",
    "occurred_at",
    "is_pre_sale",
    "author_id",
    *rules.INQUIRY_FIELDS,
)


def access_activity(session: Session, actor: Actor, activity_id: uuid.UUID) -> Activity:
    """The activity if ``actor`` may see its account; the same NotFound otherwise."""
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound("activity not found")
    try:
        access_account(session, actor, activity.account_id)
    except NotFound:
        raise NotFound("activity not found") from None
    return activity


def _to_out(row: Any) -> ActivityOut:
    activity: Activity = row[0]
    data = {k: getattr(activity, k) for k in ActivityOut.model_fields if hasattr(activity, k)}
    data |= {
        "author_name": row.author_name,
        "user_ids": sorted(u.id for u in activity.users),
        "contact_ids": sorted(c.id for c in activity.contacts),
        "response_minutes": rules.minutes_between(activity.opened_at, activity.first_response_at),
        "resolution_minutes": rules.minutes_between(activity.opened_at, activity.resolved_at),
    }
    return ActivityOut.model_validate(data)


def get_activity(session: Session, actor: Actor, activity_id: uuid.UUID) -> ActivityOut:
    access_activity(session, actor, activity_id)
    stmt = repository.select_activities().where(Activity.id == activity_id)
    return _to_out(session.execute(stmt).one())


def list_activities(
    session: Session,
    actor: Actor,
    filters: ActivityFilters,
    *,
    sort: str = "-occurred_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ActivityOut]:
    """Activities matching ``filters``, newest first unless ``sort`` says otherwise."""
    actor.require(Permission.ACCOUNT_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    return keyset_page(
        session,
        repository.apply_filters(repository.select_activities(), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=Activity.id,
        cursor=cursor,
        limit=limit,
        to_item=_to_out,
    )


def create_activity(session: Session, actor: Actor, data: ActivityCreate) -> Activity:
    """Record an activity; the author defaults to the caller."""
    actor.require(Permission.ACTIVITY_WRITE)
    access_account_for_input(session, actor, data.account_id)
    values = data.model_dump(exclude={"user_ids", "contact_ids"})
    if values["author_id"] is None:
        values["author_id"] = actor.user_id
    inquiry, problems = rules.settle_inquiry(values, utc_now())
    values |= inquiry
    problems += _reference_problems(session, values, current_id=None)
    users, contacts, more = _participants(session, data.account_id, data.user_ids, data.contact_ids)
    if problems or more:
        raise Invalid(problems + more)
    values["custom_fields"] = custom_fields.validate_for(
        session, CustomFieldObject.ACTIVITY, data.custom_fields
    )
    activity = Activity(**values, users=users, contacts=contacts)
    session.add(activity)
    session.flush()
    changes = audit.snapshot(activity, _AUDITED)
    changes["user_ids"] = [None, audit.json_safe(sorted(u.id for u in users))]
    changes["contact_ids"] = [None, audit.json_safe(sorted(c.id for c in contacts))]
    audit.record(
        session,
        actor,
        "activity.create",
        "activity",
        activity.id,
        summary=activity.subject,
        changes=changes,
    )
    return activity


def update_activity(
    session: Session, actor: Actor, activity_id: uuid.UUID, data: ActivityUpdate
) -> Activity:
    """Change an activity; the inquiry rules are checked on the result as a whole."""
    activity = access_activity(session, actor, activity_id)
    actor.require(Permission.ACTIVITY_WRITE)
    sent = data.model_dump(exclude_unset=True, exclude={"user_ids", "contact_ids"})
    values = {k: v for k, v in sent.items() if v is not None or k in _NULLABLE}
    current = {k: getattr(activity, k) for k in ("kind", "occurred_at", *rules.INQUIRY_FIELDS)}
    inquiry, problems = rules.settle_inquiry(current | values, utc_now())
    values |= inquiry
    problems += _reference_problems(session, values, current_id=activity.id)
    users, contacts, more = _participants(
        session, activity.account_id, data.user_ids or [], data.contact_ids or []
    )
    if problems or more:
        raise Invalid(problems + more)
    if "custom_fields" in values:
        values["custom_fields"] = custom_fields.validate_for(
            session,
            CustomFieldObject.ACTIVITY,
            values["custom_fields"],
            existing=activity.custom_fields,
        )
    changes = _replace_participants(session, activity, data, users, contacts)
    changes |= audit.apply_changes(activity, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "activity.update",
            "activity",
            activity.id,
            summary=activity.subject,
            changes=changes,
        )
    return activity


def delete_activity(session: Session, actor: Actor, activity_id: uuid.UUID) -> None:
    activity = access_activity(session, actor, activity_id)
    actor.require(Permission.ACTIVITY_WRITE)
    audit.record(
        session, actor, "activity.delete", "activity", activity.id, summary=activity.subject
    )
    session.delete(activity)
    session.flush()


def _replace_participants(
    session: Session,
    activity: Activity,
    data: ActivityUpdate,
    users: list[User],
    contacts: list[Contact],
) -> dict[str, list[Any]]:
    """Replace the participant sets that ``data`` sends; return their audit changes."""
    changes: dict[str, list[Any]] = {}
    if data.user_ids is None and data.contact_ids is None:
        return changes
    session.refresh(activity, ["users", "contacts"])
    if data.user_ids is not None:
        old = sorted(u.id for u in activity.users)
        if old != sorted(u.id for u in users):
            changes["user_ids"] = audit.json_safe([old, sorted(u.id for u in users)])
            activity.users = users
    if data.contact_ids is not None:
        old = sorted(c.id for c in activity.contacts)
        if old != sorted(c.id for c in contacts):
            changes["contact_ids"] = audit.json_safe([old, sorted(c.id for c in contacts)])
            activity.contacts = contacts
    return changes


def _participants(
    session: Session,
    account_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    contact_ids: Sequence[uuid.UUID],
) -> tuple[list[User], list[Contact], list[FieldProblem]]:
    """Load the participants; unknown users and other accounts' contacts are problems."""
    problems: list[FieldProblem] = []
    users: list[User] = []
    contacts: list[Contact] = []
    if user_ids:
        users = list(session.scalars(select(User).where(User.id.in_(set(user_ids)))))
        missing = sorted({str(i) for i in user_ids} - {str(u.id) for u in users})
        if missing:
            message = f"no such user: {', '.join(missing)}"
            problems.append(FieldProblem(("body", "user_ids"), "unknown_user", message))
    if contact_ids:
        contacts = list(
            session.scalars(
                select(Contact).where(
                    Contact.id.in_(set(contact_ids)), Contact.account_id == account_id
                )
            )
        )
        foreign = sorted({str(i) for i in contact_ids} - {str(c.id) for c in contacts})
        if foreign:
            message = f"not a contact of this account: {', '.join(foreign)}"
            problems.append(FieldProblem(("body", "contact_ids"), "wrong_account", message))
    return users, contacts, problems


def _reference_problems(
    session: Session, values: dict[str, Any], current_id: uuid.UUID | None
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    author_id = values.get("author_id")
    if author_id is not None and session.get(User, author_id) is None:
        problems.append(FieldProblem(("body", "author_id"), "unknown_user", "no such user"))
    external_id = values.get("external_id")
    if external_id:
        clash = session.scalar(select(Activity.id).where(Activity.external_id == external_id))
        if clash is not None and clash != current_id:
            problems.append(
                FieldProblem(("body", "external_id"), "duplicate", "external id already used")
            )
    return problems
