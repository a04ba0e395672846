"""Everything the signals read, loaded once per computation, and the frame built from it.

``load_history`` reads each source the requested signals need with one plain SQL query
(SQLAlchemy Core, portable to SQLite and PostgreSQL) — or from the usage value store's
Parquet files — into sorted numpy timelines (``timelines.py``). ``signal_frame`` then
answers every (account, as-of) row at once (``builtins.py``): the cost is one load plus a
few ``searchsorted`` calls per signal, whether the frame has one row per account (today's
scores) or a million (two years of weekly training observations).

Days of timestamps (activities, inquiries, contacts' creation) are local days in ``zone``
at the zone's UTC offset on ``today`` — the same fixed-offset convention as the usage
metrics (``analytics/sources.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.metrics import KINDS
from kizuna.analytics.sources import GRAINS
from kizuna.health.signals import sources as src
from kizuna.health.signals.builtins import DAILY_REACH, REACH, compute, last_complete, needs
from kizuna.health.signals.catalogue import custom_fields
from kizuna.health.signals.frame import SignalFrame
from kizuna.health.signals.lines import Mrr, Rates
from kizuna.health.signals.timelines import (
    DAY_SHIFT,
    NO_DAY,
    Floats,
    Ints,
    Timeline,
    day_number_of,
    from_days,
    to_days,
)
from kizuna.kit.money import minor_digits
from kizuna.models.account import Account
from kizuna.models.currency import CurrencyRate
from kizuna.models.usage_metric import UsageMetric

REPORTING_CURRENCY = "JPY"


@dataclass(frozen=True)
class UsageSeries:
    """One usage metric at one grain: values by (account, period start)."""

    grain: str
    fill: float | None  # the value of a period without a row (count-like metrics: 0)
    timeline: Timeline


@dataclass
class History:
    """The loaded sources. ``account_ids`` are ``str(UUID)``; everything else is private
    to the signal computation (``builtins.py``) and the outcomes (``outcomes.py``)."""

    today: date
    account_ids: list[str]
    zone: str = "Asia/Tokyo"
    index: dict[str, int] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    activities: dict[str, Timeline] = field(default_factory=dict)
    participations: Timeline = field(default_factory=Timeline.empty)
    inquiries: src.Inquiries | None = None
    surveys: dict[str, Timeline] = field(default_factory=dict)
    contacts: dict[str, Timeline] = field(default_factory=dict)
    mrr: Mrr | None = None
    daily_usage: Timeline | None = None
    usage: dict[tuple[str, str], UsageSeries] = field(default_factory=dict)
    fields: dict[str, Floats] = field(default_factory=dict)
    _id_set: pa.Array | None = field(default=None, repr=False)

    def rows(self, account_ids: Sequence[str] | npt.NDArray[Any]) -> Ints:
        """Account index per id; unknown ids get ``len(account_ids)`` (no data at all).
        Vectorised with Arrow: frames of a million rows look their ids up in ~0.1 s."""
        unknown = len(self.account_ids)
        if len(account_ids) == 0:
            return np.zeros(0, np.int64)
        if self._id_set is None:
            self._id_set = pa.array(self.account_ids, pa.string())
        try:
            ids = pa.array(np.asarray(account_ids, dtype=object), pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # UUIDs or other objects: as text
            ids = pa.array([str(a) for a in account_ids], pa.string())
        found = pc.index_in(ids, value_set=self._id_set).fill_null(unknown)
        out: Ints = found.to_numpy(zero_copy_only=False).astype(np.int64)
        return out

    @property
    def lines(self) -> Mrr:
        if self.mrr is None:
            raise ValueError("the history was loaded without subscription lines")
        return self.mrr


def load_history(
    session: Session,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    columns: Sequence[str] | None = None,
    since: date | None = None,
) -> History:
    """Read what ``columns`` need (None: every built-in and every usage metric), once.

    Subscription lines are always read: the outcomes (``outcomes.py``) and several
    signals rest on them.

    ``since``: the history will only be asked about as-of days ≥ ``since`` (today's
    scores). Activity sources are then read from the longest window their signals use
    (``builtins.REACH``) plus, where a signal asks about the oldest or newest record ever,
    that one record per account from before — a small part of the table instead of all
    of it. A frame for as-of days ≥ ``since`` equals, bit for bit, the frame from the
    whole history (tests/integration/test_health_signals_since.py). Training, back-fill,
    the calibration lab and ``predict`` ask about the past: they pass no ``since``.
    """
    wanted = needs(columns)
    ids = list(session.execute(select(Account.id).order_by(Account.id)).scalars())
    history = History(today=today, account_ids=[str(i) for i in ids], zone=zone)
    history.index = {key: n for n, i in enumerate(ids) for key in (str(i), i.hex)}
    history.sources = wanted.sources
    offset = _offset_seconds(zone, today)
    lookup = _Lookup(history.index)
    history.mrr = Mrr(src.load_lines(session, lookup), _rates(session))
    sets = sorted(x.split(":", 1)[1] for x in wanted.sources if x.startswith("activity:"))

    def cutoff(*sources: str) -> datetime | None:
        return _cutoff(since, max(REACH[s].days for s in sources), offset)

    if sets:
        cutoffs = {name: cutoff(f"activity:{name}") for name in sets}
        found = src.load_activities(session, lookup, offset, sets, cutoffs)
        history.activities.update(found)
    if "participations" in wanted.sources:
        history.participations = src.load_participations(
            session, lookup, offset, cutoff("participations")
        )
    if "decider_touches" in wanted.sources:
        history.activities["dm"] = src.load_decider_touches(
            session, lookup, offset, cutoff("decider_touches")
        )
    if "inquiries" in wanted.sources:
        history.inquiries = src.load_inquiries(session, lookup, offset)
    if "surveys" in wanted.sources:
        history.surveys = src.load_surveys(session, lookup)
    if "contacts" in wanted.sources:
        history.contacts = src.load_contacts(session, lookup, offset)
    if "daily_usage" in wanted.sources:
        history.daily_usage = _daily_usage(data_dir, lookup, since)
    usage = set(wanted.usage)
    if wanted.all_usage:
        usage |= {(m.key, g) for m in _enabled_metrics(session) for g in m.grains}
    if usage:
        history.usage = _usage_series(session, data_dir, lookup, usage, since)
    names = list(wanted.fields)
    if wanted.all_fields:
        names += [f"custom.{f.key}" for f in custom_fields(session)]
    if names:
        history.fields = src.load_fields(session, lookup, len(ids), names)
    return history


def _cutoff(since: date | None, reach: int, offset: int) -> datetime | None:
    """The UTC instant a source is read from for as-of days ≥ ``since``: local midnight
    (at the fixed ``offset``) ``reach`` + 1 days before ``since``. The spare day keeps a
    record on the window's first day in even if its day, computed by the database in
    floating point, were to round across midnight."""
    if since is None:
        return None
    day = since - timedelta(days=reach + 1)
    return datetime.combine(day, time(), tzinfo=UTC) - timedelta(seconds=offset)


def as_rows(
    account_ids: Sequence[str] | npt.NDArray[Any],
    as_of: npt.NDArray[np.datetime64] | Sequence[date],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.datetime64]]:
    """(ids, days) of equal length; one as-of day may stand for every row."""
    ids = np.asarray(account_ids, dtype=object)
    days = np.asarray(as_of, dtype="datetime64[D]")
    if days.ndim == 0:
        days = np.full(len(ids), days)
    if len(days) != len(ids):
        raise ValueError("account_ids and as_of must have the same length")
    return ids, days


def signal_frame(
    history: History,
    account_ids: Sequence[str] | npt.NDArray[Any],
    as_of: npt.NDArray[np.datetime64] | Sequence[date],
    columns: Sequence[str],
) -> SignalFrame:
    """The frame of rows ``zip(account_ids, as_of)``: each value uses only data dated
    before its row's as-of day. Unknown accounts get NaN everywhere."""
    ids, days = as_rows(account_ids, as_of)
    accounts = history.rows(ids)
    values, observed = compute(history, accounts, to_days(days), list(columns))
    unknown = accounts >= len(history.account_ids)
    for key in values:
        values[key][unknown] = np.nan
        observed[key][unknown] = np.datetime64("NaT")
    return SignalFrame(account_ids=ids, as_of=days, values=values, observed_on=observed)


class _Lookup:
    """Account ids (hyphenated or 32-digit hex text, or UUIDs) → account index; -1 when
    unknown. Vectorised with Arrow: a million ids take ~0.1 s."""

    def __init__(self, index: dict[str, int]) -> None:
        self.keys = pa.array(list(index), pa.string())
        self.codes = pa.array(list(index.values()), pa.int64())

    def __call__(self, values: Iterable[Any]) -> Ints:
        items = [v.hex if isinstance(v, uuid.UUID) else v for v in values]
        if not items:
            return np.zeros(0, np.int64)
        position = pc.index_in(pa.array(items, pa.string()), value_set=self.keys)
        found = pc.take(self.codes, position).fill_null(-1)
        out: Ints = found.to_numpy(zero_copy_only=False).astype(np.int64)
        return out


def _offset_seconds(zone: str, today: date) -> int:
    offset = datetime.combine(today, time(12), tzinfo=ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _rates(session: Session) -> Rates:
    rows = session.execute(
        select(CurrencyRate.currency, CurrencyRate.valid_from, CurrencyRate.rate).order_by(
            CurrencyRate.currency, CurrencyRate.valid_from
        )
    ).all()
    table: dict[str, tuple[Ints, Floats]] = {}
    for code in sorted({r.currency for r in rows}):
        mine = [r for r in rows if r.currency == code]
        days = np.array([day_number_of(r.valid_from) for r in mine], np.int64)
        table[code] = (days, np.array([float(r.rate) for r in mine], np.float64))
    codes = {*table, REPORTING_CURRENCY}
    return Rates(REPORTING_CURRENCY, {c: _digits(c) for c in codes}, table)


def _digits(code: str) -> int:
    try:
        return minor_digits(code)
    except Exception:  # an unknown code: treat amounts as whole units
        return 0


def _enabled_metrics(session: Session) -> list[UsageMetric]:
    return list(session.scalars(select(UsageMetric).where(UsageMetric.enabled.is_(True))))


def _daily_usage(data_dir: Path, lookup: _Lookup, since: date | None) -> Timeline | None:
    """Usage events per (account, local day) from the store's daily roll-up; None when
    usage was never computed (signals built on it are then missing, not zero).

    With ``since``, only the days a window can reach are read (``DAILY_REACH`` and a spare
    day), plus each account's first and last day before them — the "first day of use" and
    "last use" answers — as entries of 0 events, which no window of an as-of day ≥
    ``since`` includes: a fraction of a store that holds every day of every account."""
    path = data_dir / "usage" / "daily.parquet"
    if not path.exists():
        return None
    if since is None:
        table = pq.read_table(
            path, columns=["account_id", "day", "n"], read_dictionary=["account_id"]
        )
    else:
        table = _daily_since(path, since - timedelta(days=DAILY_REACH + 1))
    # Several events of one day are several entries of the same (account, day): sums,
    # counts of days with use and "first day" all read them correctly without a group-by.
    columns = _columns(table, lookup, "day", "n")
    return Timeline.of(columns.accounts, columns.days, columns.values)


def _daily_since(path: Path, cut: date) -> pa.Table:
    """The days from ``cut`` on and each account's first and last day before. The file is
    named in both halves: a CTE reading it once cost DuckDB more than two scans (0.2 s
    against 0.12 s for two years of 10 k accounts)."""
    with duckdb.connect() as con:
        return con.sql(
            """
            SELECT account_id, day, n FROM read_parquet($path) WHERE day >= $cut
            UNION ALL
            SELECT account_id, unnest([min(day), max(day)]) AS day, 0 AS n
            FROM read_parquet($path) WHERE day < $cut GROUP BY account_id
            """,
            params={"path": str(path), "cut": cut},
        ).to_arrow_table()


def _usage_series(
    session: Session,
    data_dir: Path,
    lookup: _Lookup,
    wanted: set[tuple[str, str]],
    since: date | None = None,
) -> dict[tuple[str, str], UsageSeries]:
    """The wanted series; with ``since``, only what as-of days ≥ ``since`` can see
    (``_values_since``)."""
    metrics = {m.key: m for m in session.scalars(select(UsageMetric))}
    out: dict[tuple[str, str], UsageSeries] = {}
    with duckdb.connect() as con:
        for grain in GRAINS:
            keys = sorted(m for m, g in wanted if g == grain and m in metrics)
            path = data_dir / "usage" / f"values-{grain}.parquet"
            if not keys or not path.exists():
                continue
            kinds = {key: KINDS.get(metrics[key].kind) for key in keys}
            if since is None:
                table = _values_whole(path, keys)
            else:
                filled = [
                    key for key, kind in kinds.items() if kind is not None and kind.fill is not None
                ]
                first, _ = last_complete(grain, np.array([day_number_of(since)], np.int64))
                table = _values_since(con, path, keys, filled, from_days(first)[0].item())
            columns = _columns(table, lookup, "period", "value")
            names, metric = _dictionary(table["metric"])
            present = ~np.isnan(columns.values)
            for key in keys:
                kind = kinds[key]
                mine = (metric == (names.index(key) if key in names else -1)) & present
                timeline = Timeline.of(
                    columns.accounts[mine], columns.days[mine], columns.values[mine]
                )
                out[(key, grain)] = UsageSeries(grain, kind.fill if kind else None, timeline)
    return out


def _values_whole(path: Path, keys: list[str]) -> pa.Table:
    """Every row of the wanted metrics (the file holds every metric of its grain), read as
    dictionaries: ids stay small integers instead of millions of strings."""
    return pq.read_table(
        path,
        columns=["metric", "account_id", "period", "value"],
        read_dictionary=["metric", "account_id"],
        filters=[("metric", "in", keys)],
    )


def _values_since(
    con: duckdb.DuckDBPyConnection, path: Path, keys: list[str], filled: list[str], cut: date
) -> pa.Table:
    """The wanted metrics' rows of periods from ``cut`` (the last period complete before
    ``since``) on — the only periods an as-of day ≥ ``since`` looks up — plus, for the
    metrics with a fill value (``filled``), each account's newest row with a value before
    ``cut``. A period without a row reads as the fill once the account has an earlier row
    and the store reaches that period (``builtins.lookup_period``): that one row answers
    "an earlier row" for every period ≥ ``cut`` exactly as the whole series does, and the
    newest row of the store is still read. One DuckDB query (the file named in both halves,
    as in ``_daily_since``) instead of a million rows per series turned into a timeline."""
    return con.sql(
        """
        SELECT metric, account_id, period, value FROM read_parquet($path)
        WHERE list_contains($keys, metric) AND period >= $cut
        UNION ALL
        SELECT metric, account_id, max(period), arg_max(value, period) FROM read_parquet($path)
        WHERE list_contains($filled, metric) AND period < $cut AND NOT isnan(value)
        GROUP BY metric, account_id
        """,
        params={"path": str(path), "keys": keys, "filled": filled, "cut": cut},
    ).to_arrow_table()


@dataclass(frozen=True)
class _Columns:
    accounts: Ints
    days: Ints
    values: Floats


def _columns(table: pa.Table, lookup: _Lookup, day: str, value: str) -> _Columns:
    """(account index, day number, value as float) of an Arrow table with a
    dictionary-encoded ``account_id``: ids are looked up once per distinct id; rows of
    unknown accounts get index -1 and day NO_DAY (``Timeline.of`` drops them)."""
    accounts = _account_codes(table["account_id"], lookup)
    days = pc.cast(table[day], pa.int32()).to_numpy().astype(np.int64) + DAY_SHIFT
    values = table[value].to_numpy().astype(np.float64)
    days[accounts < 0] = NO_DAY
    return _Columns(accounts, days, values)


def _account_codes(column: pa.ChunkedArray, lookup: _Lookup) -> Ints:
    """Account index per row. The chunks' dictionaries are unified first, so the distinct
    ids are looked up once (a lookup per chunk rebuilt its hash table hundreds of times:
    ~1.5 s for the usage store of 10 k accounts)."""
    if column.num_chunks == 0:
        return np.zeros(0, np.int64)
    chunks = [c if pa.types.is_dictionary(c.type) else c.dictionary_encode() for c in column.chunks]
    unified = pa.chunked_array(chunks).unify_dictionaries()
    codes = lookup(unified.chunk(0).dictionary.to_pylist())
    if len(codes) == 0:
        codes = np.full(1, -1, np.int64)
    indices = [c.indices.to_numpy(zero_copy_only=False) for c in unified.chunks]
    out: Ints = codes[np.concatenate(indices)]
    return out


def _dictionary(column: pa.ChunkedArray) -> tuple[list[Any], Ints]:
    """(distinct values, per-row index into them) of a (dictionary-encoded) column."""
    if column.length() == 0:
        return [], np.zeros(0, np.int64)
    encoded = column.combine_chunks()
    if not pa.types.is_dictionary(encoded.type):
        encoded = encoded.dictionary_encode()
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return encoded.dictionary.to_pylist(), indices
