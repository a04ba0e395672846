"""The health dashboard's figures and the paged list of expansion signals: read models over
``health_score``, ``health_score_history``, ``churn_risk`` and ``expansion_signal`` joined
with each account's MRR today (one query per figure, none per account)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Row, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from kizuna.account import repository as accounts
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.db.paging import check_limit
from kizuna.health.views import (
    BANDS,
    ExpansionView,
    RiskReason,
    SignalName,
    as_day,
    expansion_view,
    reasons,
    signal_names,
)
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.pagination import Cursor, Page
from kizuna.models.account import Account
from kizuna.models.health import (
    ChurnModel,
    ChurnRisk,
    ExpansionSignal,
    HealthScore,
    HealthScoreHistory,
)

TREND_DAYS = 90
HIGH_RISK = 0.3  # churn probability counted as "at risk" on the dashboard
LIST_SIZE = 10


@dataclass(frozen=True)
class BandFigure:
    band: str
    accounts: int
    mrr_by_currency: dict[str, int]


@dataclass(frozen=True)
class AccountLine:
    """One account in a dashboard list."""

    account_id: uuid.UUID
    name: str
    currency: str
    mrr_amount: int
    score: float | None
    band: str
    change_7d: float | None
    probability: float | None = None
    reason: RiskReason | None = None
    expansion: ExpansionView | None = None


@dataclass(frozen=True)
class AtRisk:
    """MRR at risk, said two ways: red band, and churn probability ≥ ``threshold``."""

    threshold: float
    red_accounts: int
    red_mrr: dict[str, int]
    risky_accounts: int
    risky_mrr: dict[str, int]
    either_accounts: int
    either_mrr: dict[str, int]


@dataclass(frozen=True)
class Dashboard:
    today: date
    scored: int
    bands: list[BandFigure]
    histogram: list[int]  # accounts per 10-point bin: [0,10) … [90,100]
    average: float | None
    movers_up: list[AccountLine]
    movers_down: list[AccountLine]
    at_risk: AtRisk
    top_risks: list[AccountLine]
    expansion: list[AccountLine]
    expansion_by_kind: dict[str, int]
    trend: list[tuple[date, float]]
    model_number: int | None


def dashboard(
    session: Session,
    actor: Actor,
    *,
    today: date,
    account_ids: Collection[uuid.UUID] | None = None,
) -> Dashboard:
    """``account_ids`` restricts every figure to those accounts (a segment cut)."""
    actor.require(Permission.HEALTH_READ)
    cut = _Cut(account_ids)
    base = cut(_scored_accounts(today), Account.id)
    rows = list(session.execute(base).all())
    names = signal_names(session)
    histogram = [0] * 10
    for row in rows:
        if row.score is not None:
            histogram[min(9, max(0, int(row.score // 10)))] += 1
    scores = [row.score for row in rows if row.score is not None]
    movers = [row for row in rows if row.change_7d]
    movers.sort(key=lambda r: r.change_7d)
    return Dashboard(
        today=today,
        scored=len(rows),
        bands=_bands(rows),
        histogram=histogram,
        average=sum(scores) / len(scores) if scores else None,
        movers_up=[_line(r) for r in reversed(movers) if r.change_7d > 0][:LIST_SIZE],
        movers_down=[_line(r) for r in movers if r.change_7d < 0][:LIST_SIZE],
        at_risk=_at_risk(rows),
        top_risks=_top_risks(session, today, names, cut),
        expansion=_candidates(session, today, cut),
        expansion_by_kind=_expansion_counts(session, cut),
        trend=_trend(session, today, cut),
        model_number=session.scalar(
            select(func.max(ChurnModel.number)).where(ChurnModel.status == "published")
        ),
    )


def _with_mrr(today: date) -> Select[Any]:
    """Accounts with their MRR today, current score and churn probability (outer joins)."""
    r = accounts.rollup(today)
    columns: list[Any] = [
        Account.id.label("account_id"),
        Account.name,
        Account.currency,
        func.coalesce(r.c.mrr_amount, literal(0)).label("mrr_amount"),
        HealthScore.score,
        func.coalesce(HealthScore.band, literal("unknown")).label("band"),
        HealthScore.change_7d,
        ChurnRisk.probability,
    ]
    return (
        select(*columns)
        .select_from(Account)
        .outerjoin(r, r.c.account_id == Account.id)
        .outerjoin(HealthScore, HealthScore.account_id == Account.id)
        .outerjoin(ChurnRisk, ChurnRisk.account_id == Account.id)
    )


def _scored_accounts(today: date) -> Select[Any]:
    return _with_mrr(today).where(HealthScore.account_id.is_not(None))


def _line(row: Row[Any], **extra: Any) -> AccountLine:
    return AccountLine(
        account_id=row.account_id,
        name=row.name,
        currency=row.currency,
        mrr_amount=int(row.mrr_amount or 0),
        score=row.score,
        band=row.band,
        change_7d=row.change_7d,
        probability=row.probability,
        **extra,
    )


def _sum(rows: list[Row[Any]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.currency] += int(row.mrr_amount or 0)
    return dict(totals)


def _bands(rows: list[Row[Any]]) -> list[BandFigure]:
    return [
        BandFigure(band, len(members), _sum(members))
        for band in BANDS
        for members in [[r for r in rows if r.band == band]]
    ]


def _at_risk(rows: list[Row[Any]]) -> AtRisk:
    red = [r for r in rows if r.band == "red"]
    risky = [r for r in rows if r.probability is not None and r.probability >= HIGH_RISK]
    risky_ids = {r.account_id for r in risky}
    either = [r for r in rows if r.band == "red" or r.account_id in risky_ids]
    return AtRisk(
        HIGH_RISK, len(red), _sum(red), len(risky), _sum(risky), len(either), _sum(either)
    )


_S = TypeVar("_S")


@dataclass(frozen=True)
class _Cut:
    """Restricts a query to some accounts (no restriction when ``ids`` is None)."""

    ids: Collection[uuid.UUID] | None

    def __call__(self, stmt: _S, column: Any) -> _S:
        if self.ids is None:
            return stmt
        where = column.in_(list(self.ids)) if self.ids else literal(False)
        restricted: _S = cast(Any, stmt).where(where)
        return restricted


def _top_risks(
    session: Session, today: date, names: dict[str, SignalName], cut: _Cut
) -> list[AccountLine]:
    stmt = (
        cut(_with_mrr(today), Account.id)
        .add_columns(ChurnRisk.reasons)
        .where(ChurnRisk.account_id.is_not(None))
        .order_by(ChurnRisk.probability.desc(), Account.id)
        .limit(LIST_SIZE)
    )
    lines = []
    for row in session.execute(stmt).all():
        top = reasons(row.reasons[:1], names)
        lines.append(_line(row, reason=top[0] if top else None))
    return lines


def _candidates(session: Session, today: date, cut: _Cut) -> list[AccountLine]:
    stmt = (
        cut(_with_mrr(today), Account.id)
        .add_columns(ExpansionSignal)
        .join(ExpansionSignal, ExpansionSignal.account_id == Account.id)
        .order_by(ExpansionSignal.strength.desc(), Account.id, ExpansionSignal.kind)
        .limit(LIST_SIZE)
    )
    return [
        _line(row, expansion=expansion_view(row.ExpansionSignal))
        for row in session.execute(stmt).all()
    ]


def _expansion_counts(session: Session, cut: _Cut) -> dict[str, int]:
    stmt = select(ExpansionSignal.kind, func.count()).group_by(ExpansionSignal.kind)
    rows = session.execute(cut(stmt, ExpansionSignal.account_id)).all()
    return {kind: int(n) for kind, n in rows}


def _trend(session: Session, today: date, cut: _Cut) -> list[tuple[date, float]]:
    stmt = (
        select(HealthScoreHistory.scored_on, func.avg(HealthScoreHistory.score))
        .where(
            HealthScoreHistory.scored_on >= today - timedelta(days=TREND_DAYS),
            HealthScoreHistory.score.is_not(None),
        )
        .group_by(HealthScoreHistory.scored_on)
        .order_by(HealthScoreHistory.scored_on)
    )
    rows = session.execute(cut(stmt, HealthScoreHistory.account_id)).all()
    return [(as_day(d) or today, float(avg)) for d, avg in rows if avg is not None]


# --------------------------------------------------------------------------- expansion list

EXPANSION_KINDS = ("seats", "option", "renewal")


@dataclass(frozen=True)
class ExpansionItem:
    account_id: uuid.UUID
    account_name: str
    kind: str
    subject: str
    strength: float
    detected_on: date
    evidence: dict[str, Any]


def expansion_page(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ExpansionItem]:
    """Expansion signals, strongest first, one keyset page at a time.

    The cursor holds (strength, account id, kind, subject) of the last row: the signal's
    primary key breaks ties, so pages neither skip nor repeat rows.
    """
    actor.require(Permission.HEALTH_READ)
    check_limit(limit)
    if kind is not None and kind not in EXPANSION_KINDS:
        raise Invalid(
            FieldProblem(("query", "kind"), "invalid_kind", f"kind must be in {EXPANSION_KINDS}")
        )
    s = ExpansionSignal
    stmt = select(s, Account.name).join(Account, Account.id == s.account_id)
    if kind:
        stmt = stmt.where(s.kind == kind)
    if cursor:
        strength, account, k, subject = _expansion_cursor(cursor)
        after = or_(
            s.account_id > account,
            and_(s.account_id == account, or_(s.kind > k, and_(s.kind == k, s.subject > subject))),
        )
        stmt = stmt.where(or_(s.strength < strength, and_(s.strength == strength, after)))
    rows = session.execute(
        stmt.order_by(s.strength.desc(), s.account_id, s.kind, s.subject).limit(limit + 1)
    ).all()
    more, rows = len(rows) > limit, rows[:limit]
    items = [
        ExpansionItem(
            r[0].account_id,
            r.name,
            r[0].kind,
            r[0].subject,
            r[0].strength,
            r[0].detected_on,
            dict(r[0].evidence),
        )
        for r in rows
    ]
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = Cursor(
            [last.strength, last.kind, last.subject], str(last.account_id)
        ).encode()
    return Page(items, next_cursor)


def _expansion_cursor(token: str) -> tuple[float, uuid.UUID, str, str]:
    position = Cursor.decode(token)
    try:
        strength, kind, subject = position.sort_value
        return float(strength), uuid.UUID(position.last_id), str(kind), str(subject)
    except (TypeError, ValueError):
        raise Invalid(
            FieldProblem(("query", "cursor"), "invalid_cursor", "cursor is not valid")
        ) from None
