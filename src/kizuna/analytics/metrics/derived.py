"""Kinds derived from other metrics' values of the same grain: ratio, % change, per seat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from kizuna.analytics.metrics import Inputs, Param, metric_kind


def _values(inputs: Inputs, key: str) -> ir.Table:
    series = inputs.series
    picked = series.filter(series.metric == key)
    return picked.select("account_id", "period", "value")


def _divide(numerator: ir.FloatingValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """``numerator / denominator``, null when the denominator is null or zero."""
    return ibis.ifelse(
        denominator.isnull() | (denominator == 0),
        ibis.null("float64"),
        numerator / denominator.cast("float64"),
    )


@metric_kind(
    "ratio",
    reads="series",
    fill=None,
    params={
        "numerator": Param("metric", required=True),
        "denominator": Param("metric", required=True),
    },
)
def ratio(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """Ratio of two metrics per account and period; null when the denominator is 0."""
    num = _values(inputs, str(params["numerator"])).rename(num="value")
    den = _values(inputs, str(params["denominator"])).rename(den="value")
    joined = num.join(den, ["account_id", "period"])
    return joined.select("account_id", "period", value=_divide(joined.num, joined.den))


@metric_kind(
    "pct_change",
    reads="series",
    fill=None,
    params={
        "metric": Param("metric", required=True),
        "periods": Param("int", default=1, minimum=1),
    },
)
def pct_change(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """% change of a metric against ``periods`` periods earlier (100 = doubled); null when
    the earlier value is missing or 0."""
    values = _values(inputs, str(params["metric"]))
    window = ibis.window(group_by="account_id", order_by="period")
    lagged = values.mutate(before=values.value.lag(int(params["periods"])).over(window))
    change = _divide((lagged.value - lagged.before) * 100.0, lagged.before)
    return lagged.select("account_id", "period", value=change)


@metric_kind(
    "per_seat",
    reads="series",
    fill=None,
    params={"metric": Param("metric", required=True)},
)
def per_seat(inputs: Inputs, params: Mapping[str, Any]) -> ir.Table:
    """A metric (typically active users) divided by the licensed seats on the period's
    last day (today for the current one); null without seats."""
    cal, seats = inputs.calendar, inputs.seats
    active = seats.end_on.isnull() | (seats.end_on > cal.period_end)
    joined = cal.join(
        seats, [cal.account_id == seats.account_id, seats.start_on <= cal.period_end, active]
    )
    totals = joined.group_by([cal.account_id, cal.period]).aggregate(seats=joined.quantity.sum())
    values = _values(inputs, str(params["metric"]))
    both = values.join(totals, ["account_id", "period"])
    return both.select("account_id", "period", value=_divide(both.value, both.seats))
