"""The engine's half of the metric pipeline, and the tables it exchanges.

The raw events are resolved to accounts, actors, names and local days, then reduced to
the daily roll-up and the actors' activity words: Ibis expressions, which ``snapshot``
runs on DuckDB or Spark. Context tables come from outside (the usage service reads SQL
and hands over Arrow tables; the store's Parquet files are read by the engine). Nothing
here executes.

Days are calendar days in the reporting time zone, applied as a fixed UTC offset (the
zone's offset today: Asia/Tokyo has no daylight saving). Weeks start on Monday (ISO).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
USAGE_TYPES = ("track", "page", "screen")  # identify/group/alias calls are not usage

# The event store's columns (the inbox's canonical columns).
EVENT_COLUMNS = (
    "message_id",
    "source_id",
    "type",
    "event",
    "user_id",
    "anonymous_id",
    "group_id",
    "previous_id",
    "timestamp",
    "received_at",
    "properties",
    "context",
)
EVENT_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("source_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("anonymous_id", pa.string()),
        ("group_id", pa.string()),
        ("previous_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("properties", pa.string()),
        ("context", pa.string()),
    ]
)
# Context tables handed in by the caller.
IDENTITY_SCHEMA = pa.schema([("key", pa.string()), ("account_id", pa.string())])
ACCOUNT_SCHEMA = pa.schema([("account_id", pa.string()), ("start_on", pa.date32())])
SEAT_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("start_on", pa.date32()),
        ("end_on", pa.date32()),
        ("quantity", pa.int64()),
    ]
)
# Actor activity words: bit ``i`` of word ``w`` is day ``WORD_ORIGIN_DAY + 63·w + i``.
WORD_DAYS = 63
WORD_ORIGIN_DAY = date(1970, 1, 5)  # a Monday, so that a word is nine whole ISO weeks
WORD_ORIGIN = (WORD_ORIGIN_DAY - date(1970, 1, 1)).days  # its day number
DAILY_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("day", pa.date32()), ("event", pa.string()), ("n", pa.int64())]
)
VALUE_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("grain", pa.string()),
        ("account_id", pa.string()),
        ("period", pa.date32()),
        ("value", pa.float64()),
    ]
)


def period_start(day: date, grain: Grain) -> date:
    """The first day of the period of ``grain`` containing ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def period_last_day(start: date, grain: Grain) -> date:
    if grain == "week":
        return start + timedelta(days=6)
    if grain == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def periods(first: date, today: date, grain: Grain) -> list[date]:
    """Every period start of ``grain`` from the one containing ``first`` to today's."""
    out, current, last = [], period_start(first, grain), period_start(today, grain)
    while current <= last:
        out.append(current)
        current = period_last_day(current, grain) + timedelta(days=1)
    return out


def property_column(name: str) -> str:
    """The column of the resolved events holding numeric property ``name``."""
    return "prop_" + "".join(c if c.isalnum() else f"_{ord(c):x}_" for c in name)


def resolve_events(
    raw: ir.Table,
    users: ir.Table,
    groups: ir.Table,
    *,
    utc_offset_seconds: int,
    since: date | None,
    properties: Mapping[str, Sequence[str] | None] | None = None,
) -> ir.Table:
    """Usage events (track/page/screen) with their account, actor, name and local day.

    An event's account is its ``group_id``'s account when that group is linked, else its
    ``user_id``'s; events of neither are left out. Columns: ``account_id``, ``actor``
    (user id, else anonymous id), ``event`` (the track name; ``page:<name>`` /
    ``screen:<name>`` for the others), ``day`` (local date), and for each name in
    ``properties`` its numeric value (null when absent or not a number) in
    ``property_column(name)`` — extracted once here, and only on the events named with
    it (None: all), rather than carrying the JSON text.
    """
    events = raw.filter(raw.type.isin(USAGE_TYPES))
    local = events.timestamp + ibis.interval(seconds=utc_offset_seconds)
    events = events.mutate(day=local.date())
    if since is not None:
        events = events.filter(events.day >= since)
    g = groups.select(g_key=groups.key, g_account=groups.account_id)
    u = users.select(u_key=users.key, u_account=users.account_id)
    grouped = events.left_join(g, events.group_id == g.g_key)
    # The user's account is looked up only for events whose group gave none: a null key
    # matches nothing and costs no string hashing (most events name their group).
    grouped = grouped.mutate(
        u_lookup=ibis.ifelse(grouped.g_account.isnull(), grouped.user_id, ibis.null("string"))
    )
    joined = grouped.left_join(u, grouped.u_lookup == u.u_key)
    named = ibis.ifelse(
        joined.type == "track",
        joined.event,
        joined.type.concat(":", joined.event.fill_null("")),
    )
    json = joined.properties.cast("json")
    extracted = {}
    for name, only in sorted((properties or {}).items()):
        value = json[name].try_cast("float64")
        if only is not None:
            chosen = _named_one_of(joined.type, joined.event, only)
            value = ibis.ifelse(chosen, value, ibis.null("float64"))
        extracted[property_column(name)] = value
    # Filtered on the raw columns (a page or screen always has a name): a pass that does
    # not read ``event`` (the per-day actors) never builds the names.
    kept = joined.filter(
        (joined.g_account.notnull() | joined.u_account.notnull())
        & ((joined.type != "track") | joined.event.notnull())
    )
    return kept.select(
        account_id=ibis.coalesce(kept.g_account, kept.u_account),
        actor=ibis.coalesce(kept.user_id, kept.anonymous_id),
        event=named,
        day=kept.day,
        **extracted,
    )


def _named_one_of(
    kind: ir.StringValue, event: ir.StringValue, names: Sequence[str]
) -> ir.BooleanValue:
    """Whether an event's name (see ``resolve_events``) is one of ``names``, tested on the
    raw columns: building the name of every event only to compare it costs more."""
    chosen = (kind == "track") & event.isin(list(names))
    for prefix in ("page", "screen"):
        rest = [n[len(prefix) + 1 :] for n in names if n.startswith(prefix + ":")]
        if rest:
            chosen |= (kind == prefix) & event.fill_null("").isin(rest)
    return chosen


def daily_rollup(events: ir.Table, properties: Sequence[str] = ()) -> ir.Table:
    """Events per account, local day and event name (``n``), and the day's sum of each
    numeric property named in ``properties`` (``property_column(name)``; null when none
    of the day's events had it): the compact history that counts, sums, active days,
    breadth, recency and tenure-scaled rates are computed from."""
    sums = {property_column(name): events[property_column(name)].sum() for name in properties}
    return events.group_by(["account_id", "day", "event"]).aggregate(
        n=events.count().cast("int64"), **sums
    )


def daily_schema(properties: Sequence[str] = ()) -> pa.Schema:
    """The roll-up's columns: ``DAILY_SCHEMA`` and one float64 sum per property."""
    return pa.schema(
        [*DAILY_SCHEMA, *(pa.field(property_column(p), pa.float64()) for p in properties)]
    )


def actor_words(
    events: ir.Table,
    key: Callable[[ir.StringValue], ir.Value],
    bits: Callable[[ir.IntegerValue], ir.Scalar],
) -> ir.Table:
    """Who was active on which days, compactly: per account, actor and 63-day word (nine
    ISO weeks from ``WORD_ORIGIN_DAY``, a Monday), the active days as bits (``bits``: the
    engine's OR of ``1 << day``, see ``connect.Engine.day_bits``). A distinct over
    (account, day, actor) has about half as many groups as there are events; this has a
    fifteenth of that, and weeks never straddle two words. The actor is ``key(actor)``
    (an engine may use a cheaper stand-in, see ``connect.Engine.distinct_key``); events
    without any actor id are left out."""
    known = events.filter(events.actor.notnull())
    days = known.day.delta(ibis.date(WORD_ORIGIN_DAY), unit="day")
    words = known.select(
        "account_id",
        actor=key(known.actor),
        word=(days // WORD_DAYS).cast("int32"),
        bit=(days % WORD_DAYS).cast("int64"),
    )
    return words.group_by(["account_id", "actor", "word"]).aggregate(bits=bits(words.bit))
