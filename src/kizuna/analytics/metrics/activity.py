"""Kinds computed from events: counts, sums, active users and days, breadth, recency,
tenure-scaled rates. Each returns ``account_id``, ``period``, ``value`` for ``inputs.grain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from kizuna.analytics.metrics import Inputs, Param, metric_kind, period_aggregate
from kizuna.analytics.sources import property_column, truncate

_EVENTS = Param("list")  # event names to count; none = every event


def _named(table: ir.Table, params: Mapping[str, Any]) -> ir.Table:
    names = params.get("events")
    return table.filter(table.event.isin(list(names))) if names else table


def _where(daily: ir.Table, params: Mapping[str, Any]) -> ir.BooleanValue | None:
    """The aggregate's filter: the named events only (None: every event)."""
    names = params.get("events")
    return daily.event.isin(list(names)) if names else None


@period_aggregate("count", fill=0.0, params={"events": _EVENTS})
def count(daily: ir.Table, params: Mapping[str, Any]) -> ir.Scalar:
    """Event count: the number of events (of the named ones, or all) per account and period."""
    return daily.n.sum(where=_where(daily, params))


@period_aggregate(
    "sum", fill=0.0, params={"property": Param("str", required=True), "events": _EVENTS}
)
def sum_property(daily: ir.Table, params: Mapping[str, Any]) -> ir.Scalar:
    """Sum of a numeric event property per account and period (non-numbers count as 0)."""
    column = daily[property_column(str(params["property"]))]
    return column.sum(where=_where(daily, params))


@metric_kind("active_users", reads="events", fill=0.0, params={"events": _EVENTS})
def active_users(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Distinct active users (user id, else anonymous id) per account and period."""
    # Distinct (account, period, actor) rows, then a count: much cheaper than a distinct
    # count per group. Without an event filter, from the per-day actors. ``day`` becomes
    # the period start.
    named = params.get("events")
    table = _named(inputs.events, params) if named else inputs.actors
    if named or inputs.grain != "day":
        table = table.select(
            "account_id", day=truncate(table.day, inputs.grain), actor=table.actor
        ).distinct()
    out = table.group_by(["account_id", "day"]).aggregate(value=table.actor.count())
    return out.select("account_id", period=out.day, value=out.value.cast("float64"))


@metric_kind("active_days", reads="daily", fill=0.0, params={"events": _EVENTS})
def active_days(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Days with at least one (named) event per account and period."""
    # Rows of the per-day totals, each one active day: counted, not a distinct count per
    # group (which costs several times more).
    days = _per_day(inputs, params)
    return _count_per_period(inputs, days.select("account_id", "day"))


@metric_kind("feature_breadth", reads="daily", fill=0.0, params={"events": _EVENTS})
def feature_breadth(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Feature breadth: distinct event names used per account and period."""
    daily = _named(inputs.daily, params)
    used = daily.select("account_id", day=truncate(daily.day, inputs.grain), event=daily.event)
    return _count_per_period(inputs, used.distinct(), truncated=True)


def _count_per_period(inputs: Inputs, rows: ir.Table, *, truncated: bool = False) -> ir.Table:
    """Rows per account and period of ``rows`` (account_id, day; ``truncated``: day is
    already the period start)."""
    period = rows.day if truncated else truncate(rows.day, inputs.grain)
    grouped = rows.mutate(period=period)
    out = grouped.group_by(["account_id", "period"]).aggregate(value=grouped.count())
    return out.select("account_id", "period", value=out.value.cast("float64"))


@metric_kind("days_since_last", reads="daily", fill=None, params={"events": _EVENTS})
def days_since_last(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Days from the last (named) event to the period's end (today for the current
    period); 0 when there was one that day, null before the account's first event."""
    cal = inputs.calendar
    points = cal.select("account_id", "period", at=cal.period_end, side=ibis.literal(0, "int8"))
    last = _running(_per_day(inputs, params), points, "max")
    return last.select(
        "account_id",
        "period",
        value=last.at.delta(last.running, unit="day").cast("float64"),
    )


@metric_kind(
    "tenure_scaled",
    reads="daily",
    fill=None,
    params={"events": _EVENTS, "window_days": Param("int", default=30, minimum=1)},
)
def tenure_scaled(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Tenure-scaled rate: (named) events in the ``window_days`` up to the period's end,
    scaled to a full window for accounts younger than it — count × window ÷ min(window,
    days since the account started). Null before the account started."""
    window = int(params["window_days"])
    cal = inputs.calendar.join(inputs.accounts, "account_id")
    cal = cal.mutate(tenure=cal.period_end.delta(cal.start_on, unit="day") + 1)
    cal = cal.filter(cal.tenure > 0)
    ends = cal.select("account_id", "period", at=cal.period_end, side=ibis.literal(0, "int8"))
    starts = cal.select(
        "account_id",
        "period",
        at=cal.period_end - ibis.interval(days=window),
        side=ibis.literal(1, "int8"),
    )
    sums = _running(_per_day(inputs, params), ends.union(starts), "sum")
    sign = ibis.ifelse(sums.side == 0, 1, -1)
    totals = sums.group_by(["account_id", "period"]).aggregate(
        events=(sums.running.fill_null(0) * sign).sum()
    )
    totals = totals.join(cal.select("account_id", "period", "tenure"), ["account_id", "period"])
    days = ibis.least(totals.tenure, window).cast("float64")
    return totals.select(
        "account_id", "period", value=totals.events.cast("float64") * window / days
    )


def _per_day(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Events per account and day (of the named events, or the shared table of all)."""
    if not params.get("events"):
        return inputs.per_day
    daily = _named(inputs.daily, params)
    return daily.group_by(["account_id", "day"]).aggregate(n=daily.n.sum())


def _running(per_day: ir.Table, points: ir.Table, how: str) -> ir.Table:
    """For each point (account_id, period, at, side): the sum of ``n`` (``how="sum"``) or
    the latest day (``"max"``) over the account's days up to and including ``at``, as
    ``running`` — one sort of the union instead of a join of every point with every day."""
    data = per_day.select(
        account_id=per_day.account_id,
        period=ibis.null("date"),
        at=per_day.day,
        side=ibis.null("int8"),
        flag=ibis.literal(0, "int8"),
        n=per_day.n.cast("int64"),
    )
    query = points.select(
        "account_id", "period", "at", "side", flag=ibis.literal(1, "int8"), n=ibis.null("int64")
    )
    both = data.union(query)
    window = ibis.cumulative_window(group_by="account_id", order_by=["at", "flag"])
    if how == "sum":
        running = both.n.sum().over(window)
    else:
        running = ibis.ifelse(both.flag == 0, both.at, ibis.null("date")).max().over(window)
    out = both.mutate(running=running)
    return out.filter(out.flag == 1).select("account_id", "period", "at", "side", "running")
