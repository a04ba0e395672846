"""Reading usage metrics: one account's series (Account 360, API) and the portfolio
overview (latest value per account), plus queueing a recomputation."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.analytics.sources import period_start
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account
from kizuna.models.job import Job
from kizuna.models.usage_metric import UsageComputeState, UsageMetric, UsageMetricLatest
from kizuna.usage import pipeline
from kizuna.usage.analysis import trend_start
from kizuna.usage.catalogue import all_metrics
from kizuna.usage.metric_schemas import (
    AccountUsageOut,
    Grain,
    MetricOut,
    MetricSeries,
    OverviewOut,
    OverviewRow,
    SeriesPoint,
)
from kizuna.usage.values import ValueStore

TREND_PERIODS = 12


def chosen_metrics(
    session: Session, keys: list[str] | None, grain: Grain, *, where: str = "metric"
) -> list[UsageMetric]:
    """The enabled metrics named by ``keys`` (default: the featured ones) having ``grain``."""
    metrics = [m for m in all_metrics(session) if m.enabled and grain in m.grains]
    if not keys:
        return [m for m in metrics if m.featured]
    by_key = {m.key: m for m in metrics}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise Invalid(
            FieldProblem(
                ("query", where),
                "unknown_metric",
                f"no enabled metric {unknown[0]!r} computed per {grain}",
            )
        )
    return [by_key[k] for k in keys]


def account_usage(
    session: Session,
    actor: Actor,
    values: ValueStore,
    account_id: uuid.UUID,
    *,
    grain: Grain = "week",
    keys: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> AccountUsageOut:
    """The account's series of the chosen metrics (periods within [start, end]; the last
    period is the current, partial one)."""
    actor.require(Permission.USAGE_READ)
    access_account(session, actor, account_id)
    if start is not None and end is not None and end < start:
        raise Invalid(FieldProblem(("query", "to"), "before_start", "to is before from"))
    metrics = chosen_metrics(session, keys, grain)
    table = values.series(grain, [str(account_id)], [m.key for m in metrics], start=start, end=end)
    points: dict[str, list[SeriesPoint]] = defaultdict(list)
    for row in table.to_pylist():
        points[row["metric"]].append(SeriesPoint(period=row["period"], value=row["value"]))
    return AccountUsageOut(
        account_id=account_id,
        grain=grain,
        computed_at=_computed_at(session),
        metrics=[
            MetricSeries(
                key=m.key, name=m.name, name_en=m.name_en, kind=m.kind, points=points[m.key]
            )
            for m in metrics
        ],
    )


def overview(
    session: Session,
    actor: Actor,
    values: ValueStore,
    *,
    grain: Grain = "week",
    keys: list[str] | None = None,
    sort: str | None = None,
    limit: int = 500,
    today: date | None = None,
) -> OverviewOut:
    """Every account with usage: the latest value (and the one before) of each chosen
    metric, sorted by ``sort`` (a metric key or ``name``; ``-`` prefix = descending;
    accounts without a value last), with the sort metric's recent trend."""
    actor.require(Permission.USAGE_READ)
    metrics = chosen_metrics(session, keys, grain)
    by_id = {m.id: m.key for m in metrics}
    sort = sort or (f"-{metrics[0].key}" if metrics else "name")
    field = sort.lstrip("-")
    if field != "name" and field not in by_id.values():
        raise Invalid(FieldProblem(("query", "sort"), "unknown_value", f"cannot sort by {field!r}"))
    rows = session.execute(
        select(UsageMetricLatest, Account.name)
        .join(Account, Account.id == UsageMetricLatest.account_id)
        .where(UsageMetricLatest.grain == grain, UsageMetricLatest.metric_id.in_(list(by_id)))
    ).all()
    items: dict[uuid.UUID, OverviewRow] = {}
    for latest, name in rows:
        row = items.setdefault(
            latest.account_id,
            OverviewRow(account_id=latest.account_id, account_name=name, values={}, previous={}),
        )
        row.values[by_id[latest.metric_id]] = latest.value
        row.previous[by_id[latest.metric_id]] = latest.previous_value
    ordered = _sorted(list(items.values()), field, descending=sort.startswith("-"))[:limit]
    if field != "name" and ordered and today is not None:
        _add_trends(values, ordered, grain, field, today)
    return OverviewOut(
        grain=grain,
        metrics=[MetricOut.model_validate(m) for m in metrics],
        sort=sort,
        items=ordered,
        computed_at=_computed_at(session),
    )


def _sorted(rows: list[OverviewRow], field: str, *, descending: bool) -> list[OverviewRow]:
    if field == "name":
        return sorted(rows, key=lambda r: r.account_name, reverse=descending)
    present = [r for r in rows if r.values.get(field) is not None]
    missing = [r for r in rows if r.values.get(field) is None]
    present.sort(key=lambda r: r.values[field] or 0.0, reverse=descending)
    return present + sorted(missing, key=lambda r: r.account_name)


def _add_trends(
    values: ValueStore, rows: list[OverviewRow], grain: Grain, key: str, today: date
) -> None:
    table = values.recent(grain, [key], trend_start(today, grain, TREND_PERIODS + 1))
    current = period_start(today, grain)
    series: dict[str, list[tuple[date, float | None]]] = defaultdict(list)
    for row in table.to_pylist():
        if row["period"] < current:  # complete periods only, as the latest values
            series[row["account_id"]].append((row["period"], row["value"]))
    for item in rows:
        item.trend = [v for _, v in sorted(series.get(str(item.account_id), []))]


def _computed_at(session: Session) -> datetime | None:
    state = session.get(UsageComputeState, 1)
    return state.last_run_at if state else None


def queue_compute(session: Session, actor: Actor, *, full: bool = False) -> Job | None:
    """Queue a recomputation (None when one is already waiting)."""
    actor.require(Permission.METRIC_ADMIN)
    return pipeline.request_compute(session, full=full)
