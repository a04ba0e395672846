"""Reading the accounts' churn risk, riskiest first, a page at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health.churn import features
from kizuna.health.churn.schemas import Reason, RiskOut, RiskPage
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.pagination import Cursor
from kizuna.models.account import Account
from kizuna.models.health import ChurnModel, ChurnRisk

MAX_LIMIT = 200


def list_risk(
    session: Session, actor: Actor, *, limit: int = 50, cursor: str | None = None
) -> RiskPage:
    """Accounts by churn-risk probability (highest first, then by id), with reasons."""
    actor.require(Permission.HEALTH_READ)
    limit = max(1, min(limit, MAX_LIMIT))
    query = (
        select(ChurnRisk, Account.name, Account.external_id, ChurnModel.number)
        .join(Account, Account.id == ChurnRisk.account_id)
        .join(ChurnModel, ChurnModel.id == ChurnRisk.model_id)
        .order_by(ChurnRisk.probability.desc(), ChurnRisk.account_id)
        .limit(limit + 1)
    )
    if cursor:
        after = Cursor.decode(cursor)
        try:
            last, last_id = float(after.sort_value), uuid.UUID(after.last_id)
        except (TypeError, ValueError):
            raise Invalid(
                FieldProblem(("query", "cursor"), "invalid_cursor", "cursor is not valid")
            ) from None
        query = query.where(
            or_(
                ChurnRisk.probability < last,
                and_(ChurnRisk.probability == last, ChurnRisk.account_id > last_id),
            )
        )
    rows = session.execute(query).all()
    keys = sorted({r["feature"] for row in rows for r in row[0].reasons})
    named = features.names(session, keys)
    english = actor.locale == "en"
    items = [
        RiskOut(
            account_id=risk.account_id,
            account_name=name,
            external_id=external_id,
            probability=risk.probability,
            scored_on=risk.scored_on,
            model_number=number,
            reasons=[
                Reason(
                    feature=r["feature"],
                    name=named[r["feature"]][1 if english else 0],
                    unit=named[r["feature"]][2],
                    value=r["value"],
                    contribution=r["contribution"],
                )
                for r in risk.reasons
            ],
        )
        for risk, name, external_id, number in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = (
        Cursor(items[-1].probability, str(items[-1].account_id)).encode() if more else None
    )
    return RiskPage(items=items, next_cursor=next_cursor)
