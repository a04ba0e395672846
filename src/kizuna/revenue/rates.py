"""Exchange-rate use cases: list, create, change, delete (every change audited).

A rate converts one unit of ``currency`` into the reporting currency
(``Settings.default_currency``), which itself needs no rate; callers pass it as
``reporting``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from babel.numbers import is_currency
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Invalid, NotFound
from kizuna.models.currency import CurrencyRate
from kizuna.revenue.schemas import RateCreate, RateOut

_FIELDS = ["currency", "rate", "valid_from"]


def list_rates(session: Session, actor: Actor, *, currency: str | None = None) -> list[RateOut]:
    """Every rate, by currency then newest first."""
    actor.require(Permission.REVENUE_READ)
    stmt = select(CurrencyRate).order_by(CurrencyRate.currency, CurrencyRate.valid_from.desc())
    if currency:
        stmt = stmt.where(CurrencyRate.currency == currency.upper())
    return [RateOut.model_validate(r) for r in session.scalars(stmt)]


def get_rate(session: Session, actor: Actor, rate_id: uuid.UUID) -> RateOut:
    actor.require(Permission.REVENUE_READ)
    return RateOut.model_validate(_load(session, rate_id))


def create_rate(session: Session, actor: Actor, data: RateCreate, *, reporting: str) -> RateOut:
    """Add a rate; one per currency and day (a second one names ``valid_from``)."""
    actor.require(Permission.CURRENCY_ADMIN)
    _check_currency(data.currency, reporting)
    if _find(session, data) is not None:
        raise Invalid.field(
            "valid_from", f"{data.currency} already has a rate from this day", code="duplicate"
        )
    row = CurrencyRate(currency=data.currency, rate=data.rate, valid_from=data.valid_from)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "currency_rate.create",
        "currency_rate",
        row.id,
        summary=f"{row.currency} {row.valid_from.isoformat()}",
        changes=audit.snapshot(row, _FIELDS),
    )
    return RateOut.model_validate(row)


def update_rate(session: Session, actor: Actor, rate_id: uuid.UUID, rate: Decimal) -> RateOut:
    actor.require(Permission.CURRENCY_ADMIN)
    row = _load(session, rate_id)
    changes = audit.apply_changes(row, {"rate": rate})
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "currency_rate.update",
            "currency_rate",
            row.id,
            summary=f"{row.currency} {row.valid_from.isoformat()}",
            changes=changes,
        )
    return RateOut.model_validate(row)


def set_rate(session: Session, actor: Actor, data: RateCreate, *, reporting: str) -> RateOut:
    """Create the rate of ``currency`` from ``valid_from``, or change it if it exists."""
    actor.require(Permission.CURRENCY_ADMIN)
    existing = _find(session, data)
    if existing is None:
        return create_rate(session, actor, data, reporting=reporting)
    return update_rate(session, actor, existing.id, data.rate)


def delete_rate(session: Session, actor: Actor, rate_id: uuid.UUID) -> None:
    actor.require(Permission.CURRENCY_ADMIN)
    row = _load(session, rate_id)
    audit.record(
        session,
        actor,
        "currency_rate.delete",
        "currency_rate",
        row.id,
        summary=f"{row.currency} {row.valid_from.isoformat()}",
        changes={f: [audit.json_safe(getattr(row, f)), None] for f in _FIELDS},
    )
    session.delete(row)
    session.flush()


def _load(session: Session, rate_id: uuid.UUID) -> CurrencyRate:
    row = session.get(CurrencyRate, rate_id)
    if row is None:
        raise NotFound("currency rate not found")
    return row


def _find(session: Session, data: RateCreate) -> CurrencyRate | None:
    return session.scalar(
        select(CurrencyRate).where(
            CurrencyRate.currency == data.currency, CurrencyRate.valid_from == data.valid_from
        )
    )


def _check_currency(currency: str, reporting: str) -> None:
    if not is_currency(currency):
        raise Invalid.field("currency", "not an ISO 4217 code", code="unknown_currency")
    if currency == reporting:
        raise Invalid.field(
            "currency", f"{reporting} is the reporting currency: it needs no rate", code="reporting"
        )
