"""Survey-answer use cases, and ``access_survey_response``, the choke point for reading one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account, access_account_for_input
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import SortField, keyset_page, parse_date, parse_datetime
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.pagination import Page
from kizuna.models.contact import Contact
from kizuna.models.enums import SurveyKind
from kizuna.models.survey import SurveyResponse
from kizuna.outbox import service as outbox
from kizuna.scheduler import service as scheduler
from kizuna.survey import scoring
from kizuna.survey.schemas import (
    SurveyResponseCreate,
    SurveyResponseFilters,
    SurveyResponseOut,
    SurveyResponseUpdate,
)

ANSWERED_EVENT = "survey.answered"
PLAYBOOK_JOB = "playbooks.evaluate"  # = kizuna.playbook.schedule.EVALUATE_JOB
PLAYBOOK_DELAY = timedelta(seconds=30)
SORT_FIELDS = {
    "responded_on": SortField(SurveyResponse.responded_on, parse=parse_date),
    "score": SortField(SurveyResponse.score),
    "created_at": SortField(SurveyResponse.created_at, parse=parse_datetime),
}
_NULLABLE = {"contact_id", "external_id"}
_FIELDS = ("account_id", "contact_id", "kind", "score", "comment", "responded_on", "external_id")


def access_survey_response(
    session: Session, actor: Actor, response_id: uuid.UUID
) -> SurveyResponse:
    """The answer if ``actor`` may see its account; the same NotFound otherwise."""
    response = session.get(SurveyResponse, response_id)
    if response is None:
        raise NotFound("survey response not found")
    try:
        access_account(session, actor, response.account_id)
    except NotFound:
        raise NotFound("survey response not found") from None
    return response


def _select() -> Select[Any]:
    return (
        select(SurveyResponse)
        .add_columns(Contact.name.label("contact_name"))
        .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
    )


def _to_out(row: Any) -> SurveyResponseOut:
    response: SurveyResponse = row[0]
    data = {k: getattr(response, k) for k in (*_FIELDS, "id", "created_at", "updated_at")}
    category = scoring.nps_category(response.score) if response.kind == SurveyKind.NPS else None
    return SurveyResponseOut.model_validate(
        data | {"contact_name": row.contact_name, "category": category}
    )


def get_survey_response(
    session: Session, actor: Actor, response_id: uuid.UUID
) -> SurveyResponseOut:
    access_survey_response(session, actor, response_id)
    return _to_out(session.execute(_select().where(SurveyResponse.id == response_id)).one())


def list_survey_responses(
    session: Session,
    actor: Actor,
    filters: SurveyResponseFilters,
    *,
    sort: str = "-responded_on",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SurveyResponseOut]:
    """Answers matching ``filters``, newest first unless ``sort`` says otherwise."""
    actor.require(Permission.ACCOUNT_READ)
    if filters.account_id is not None:
        access_account(session, actor, filters.account_id)
    return keyset_page(
        session,
        _filtered(_select(), filters),
        fields=SORT_FIELDS,
        sort=sort,
        id_column=SurveyResponse.id,
        cursor=cursor,
        limit=limit,
        to_item=_to_out,
    )


def create_survey_response(
    session: Session, actor: Actor, data: SurveyResponseCreate
) -> SurveyResponse:
    actor.require(Permission.SURVEY_WRITE)
    access_account_for_input(session, actor, data.account_id)
    values = data.model_dump()
    if values["responded_on"] is None:
        values["responded_on"] = today(actor.timezone)
    _check(session, values, current_id=None)
    response = SurveyResponse(**values)
    session.add(response)
    session.flush()
    audit.record(
        session,
        actor,
        "survey_response.create",
        "survey_response",
        response.id,
        summary=f"{response.kind.value} {response.score}",
        changes=audit.snapshot(response, _FIELDS),
    )
    # Playbooks react to answers (e.g. "detractor NPS → call within 2 days"): the event is
    # written in this transaction, and an evaluation is asked for soon after it commits.
    # Imported answers do not publish: they are history, not news (docs/playbooks.md).
    outbox.publish(
        session,
        ANSWERED_EVENT,
        response.account_id,
        {"kind": response.kind.value, "score": response.score, "response_id": str(response.id)},
    )
    scheduler.request_run(session, PLAYBOOK_JOB, delay=PLAYBOOK_DELAY)
    return response


def update_survey_response(
    session: Session, actor: Actor, response_id: uuid.UUID, data: SurveyResponseUpdate
) -> SurveyResponse:
    response = access_survey_response(session, actor, response_id)
    actor.require(Permission.SURVEY_WRITE)
    values: dict[str, Any] = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    _check(session, {k: getattr(response, k) for k in _FIELDS} | values, current_id=response.id)
    changes = audit.apply_changes(response, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "survey_response.update",
            "survey_response",
            response.id,
            summary=f"{response.kind.value} {response.score}",
            changes=changes,
        )
    return response


def delete_survey_response(session: Session, actor: Actor, response_id: uuid.UUID) -> None:
    response = access_survey_response(session, actor, response_id)
    actor.require(Permission.SURVEY_WRITE)
    audit.record(session, actor, "survey_response.delete", "survey_response", response.id)
    session.delete(response)
    session.flush()


def _check(session: Session, values: dict[str, Any], current_id: uuid.UUID | None) -> None:
    """Score in the kind's range, contact of the same account, unique external id."""
    problems: list[FieldProblem] = []
    kind = SurveyKind(values["kind"])
    if not scoring.in_range(kind, values["score"]):
        low, high = scoring.SCORE_RANGES[kind]
        problems.append(
            FieldProblem(
                ("body", "score"), "out_of_range", f"{kind.value} score must be {low}–{high}"
            )
        )
    if values["contact_id"] is not None:
        contact = session.get(Contact, values["contact_id"])
        if contact is None or contact.account_id != values["account_id"]:
            problems.append(
                FieldProblem(
                    ("body", "contact_id"), "wrong_account", "not a contact of this account"
                )
            )
    external_id = values.get("external_id")
    if external_id:
        clash = session.scalar(
            select(SurveyResponse.id).where(SurveyResponse.external_id == external_id)
        )
        if clash is not None and clash != current_id:
            problems.append(
                FieldProblem(("body", "external_id"), "duplicate", "external id already used")
            )
    if problems:
        raise Invalid(problems)


def _filtered(stmt: Select[Any], filters: SurveyResponseFilters) -> Select[Any]:
    for column, value in (
        (SurveyResponse.account_id, filters.account_id),
        (SurveyResponse.contact_id, filters.contact_id),
        (SurveyResponse.kind, filters.kind),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.responded_from is not None:
        stmt = stmt.where(SurveyResponse.responded_on >= filters.responded_from)
    if filters.responded_to is not None:
        stmt = stmt.where(SurveyResponse.responded_on <= filters.responded_to)
    return stmt
