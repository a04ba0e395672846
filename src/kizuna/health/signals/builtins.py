"""How each signal is computed from a ``History``, for every row at once.

A row is (account index, as-of day). Every function answers with (values, observed
days) and reads only data dated before the row's as-of day; windows are
``[as_of − w, as_of)``. The registry ``BUILTINS`` maps each built-in key to its function
and ``SOURCES`` says which sources it needs, so ``load_history`` reads nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kizuna.health.signals.catalogue import (
    BUILTIN_SIGNALS,
    FIELD_PREFIX,
    parse_usage_key,
)
from kizuna.health.signals.timelines import (
    DAY_SHIFT,
    NO_DAY,
    Floats,
    Ints,
    Timeline,
    days_between,
    encode,
    expand,
    from_days,
    newest,
    to_days,
)
from kizuna.kit.errors import FieldProblem, Invalid

if TYPE_CHECKING:
    from kizuna.health.signals.history import History, UsageSeries

Result = tuple[Floats, Ints]
ACTIVE_USERS = ("active_users", "month")  # the metric behind seat activation

SOURCES: dict[str, frozenset[str]] = {
    "onboarding_completeness": frozenset(
        {"activity:kickoff", "activity:training", "contacts", "daily_usage", "seat_users"}
    ),
    "tenure_days": frozenset(),
    "seat_activation": frozenset({"seat_users"}),
    "nps_latest": frozenset({"surveys"}),
    "nps_trend": frozenset({"surveys"}),
    "csat_avg_90d": frozenset({"surveys"}),
    "days_since_touch": frozenset({"activity:touch"}),
    "days_since_dm_touch": frozenset({"decider_touches"}),
    "touches_90d": frozenset({"activity:touch4"}),
    "champion_present": frozenset({"contacts"}),
    "contacts_engaged_90d": frozenset({"participations"}),
    "open_inquiries": frozenset({"inquiries"}),
    "inquiries_90d": frozenset({"inquiries"}),
    "first_response_hours_90d": frozenset({"inquiries"}),
    "resolution_hours_90d": frozenset({"inquiries"}),
    "usage_per_mrr": frozenset({"daily_usage"}),
    "days_since_qbr": frozenset({"activity:qbr"}),
    "mrr": frozenset(),
    "mrr_change_90d_pct": frozenset(),
    "seats": frozenset(),
    "days_to_renewal": frozenset(),
    "contraction_180d": frozenset(),
    "option_count": frozenset(),
}


@dataclass(frozen=True)
class Reach:
    """How far back the signals read a source, for frames whose as-of days are all ≥ some
    day ``since`` (``load_history(since=…)`` reads only that much).

    ``days``: the longest window ``[as_of − days, as_of)`` over the source; ``first`` /
    ``last``: some signal asks for an account's oldest / newest record *ever* (one record
    per account older than the window answers that). Sources not in ``REACH`` are read
    whole: lines (tenure needs the first start, MRR the whole step function), surveys and
    contacts (one row per answer or person: small), inquiries ("open" counts every
    inquiry ever opened and not yet resolved), fields and the usage store. ``whole``:
    an activity set read whole all the same, because its kinds are rare (a QBR a quarter,
    a few trainings): its few rows cost less than finding each account's oldest or newest.
    """

    days: int
    first: bool = False
    last: bool = False
    whole: bool = False


# The usage store's daily roll-up: the longest window a signal sums over (usage_per_mrr);
# older days only answer "first day of use" and "last use".
DAILY_REACH = 30

REACH: dict[str, Reach] = {
    "activity:touch": Reach(0, last=True),  # days_since_touch
    "activity:touch4": Reach(90),  # touches_90d
    "activity:kickoff": Reach(0, last=True),  # onboarding: a kickoff ever (the newest)
    "activity:training": Reach(0, first=True, whole=True),  # onboarding: a training ever
    "activity:qbr": Reach(0, last=True, whole=True),  # days_since_qbr
    "decider_touches": Reach(0, last=True),  # days_since_dm_touch
    "participations": Reach(90),  # contacts_engaged_90d
}


@dataclass
class Needs:
    sources: set[str] = field(default_factory=set)
    usage: set[tuple[str, str]] = field(default_factory=set)
    all_usage: bool = False
    fields: list[str] = field(default_factory=list)
    all_fields: bool = False


def needs(columns: Sequence[str] | None) -> Needs:
    """What to load for ``columns`` (None: every built-in, usage metric and field)."""
    if columns is None:
        out = needs(list(BUILTIN_SIGNALS))
        out.all_usage = out.all_fields = True
        out.fields = ["employee_count"]
        return out
    out = Needs()
    for key in columns:
        usage = parse_usage_key(key)
        if key in SOURCES:
            out.sources |= SOURCES[key]
        elif usage is not None:
            out.usage.add(usage)
        elif key.startswith(FIELD_PREFIX):
            out.fields.append(key[len(FIELD_PREFIX) :])
        else:
            raise unknown(key)
    if "seat_users" in out.sources:
        out.usage.add(ACTIVE_USERS)
    return out


def unknown(key: str) -> Invalid:
    return Invalid(FieldProblem(("body", "signal"), "unknown_signal", f"unknown signal {key!r}"))


def compute(
    history: History, accounts: Ints, as_of: Ints, columns: list[str]
) -> tuple[dict[str, Floats], dict[str, npt.NDArray[np.datetime64]]]:
    rows = Rows(history, accounts, as_of)
    values: dict[str, Floats] = {}
    observed: dict[str, npt.NDArray[np.datetime64]] = {}
    for key in columns:
        value, day = rows.signal(key)
        values[key] = value.astype(np.float64)
        observed[key] = from_days(np.where(np.isnan(value), NO_DAY, day))
    return values, observed


class Rows:
    """The rows of one frame, with what several signals share computed once."""

    def __init__(self, history: History, accounts: Ints, as_of: Ints) -> None:
        self.h = history
        self.acc = accounts
        self.as_of = as_of
        self.n = len(accounts)

    def signal(self, key: str) -> Result:
        if key in BUILTINS:
            return BUILTINS[key](self)
        usage = parse_usage_key(key)
        if usage is not None:
            return self.usage(usage)
        if key.startswith(FIELD_PREFIX):
            return self.field(key[len(FIELD_PREFIX) :])
        raise unknown(key)

    # shared pieces -------------------------------------------------------------------

    def nan(self) -> Floats:
        return np.full(self.n, np.nan)

    def none(self) -> Ints:
        return np.full(self.n, NO_DAY, np.int64)

    def timeline(self, group: dict[str, Timeline], name: str) -> Timeline:
        found = group.get(name)
        return found if found is not None else Timeline.empty()

    def last(self, timeline: Timeline) -> tuple[Ints, Floats]:
        """(day, value) of the newest event before as-of."""
        index = timeline.last_before(self.acc, self.as_of)
        return timeline.days_at(index), timeline.values_at(index)

    def first_day(self, timeline: Timeline | None) -> Ints:
        if timeline is None:
            return self.none()
        return timeline.days_at(timeline.first_index(self.acc, self.as_of))

    def since(self, timeline: Timeline) -> Result:
        day, _ = self.last(timeline)
        return days_between(self.as_of, day), day

    def in_window(self, day: Ints, window: int) -> Ints:
        return np.where(day >= self.as_of - window, day, NO_DAY)

    @cached_property
    def lined(self) -> Ints:
        """as_of − 1 for accounts that had a line before as_of (the day MRR is read)."""
        started = self.first_day(self.h.lines.starts)
        return np.where(started >= 0, self.as_of - 1, NO_DAY)

    @cached_property
    def mrr_now(self) -> Floats:
        return self.h.lines.on(self.acc, self.as_of - 1)

    @cached_property
    def seats(self) -> Floats:
        lines = self.h.lines.lines
        weights = np.where(lines.per_seat, lines.quantity, 0).astype(np.float64)
        return self.h.lines.line_sums(self.acc, self.as_of - 1, weights)

    @cached_property
    def seat_activation(self) -> Result:
        users, day = self.usage(ACTIVE_USERS)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(self.seats > 0, users / self.seats, np.nan)
        return ratio, day

    def usage(self, key: tuple[str, str]) -> Result:
        """The value of the last period complete before as-of (a period without a row is
        the metric's fill, e.g. 0 events, once the account has earlier data and the store
        has been computed that far; otherwise missing)."""
        series = self.h.usage.get(key)
        if series is None:
            return self.nan(), self.none()
        period, last_day = last_complete(series.grain, self.as_of)
        return lookup_period(series, self.acc, period, last_day)

    def field(self, name: str) -> Result:
        values = self.h.fields.get(name)
        if values is None:
            return self.nan(), self.none()
        return values[np.minimum(self.acc, len(values) - 1)], self.none()


def last_complete(grain: str, as_of: Ints) -> tuple[Ints, Ints]:
    """(start, last day) of the last period of ``grain`` ending before ``as_of``."""
    if grain == "day":
        return as_of - 1, as_of - 1
    if grain == "week":
        monday = as_of - (as_of - DAY_SHIFT + 3) % 7  # 1970-01-01 was a Thursday
        return monday - 7, monday - 1
    month = from_days(as_of).astype("datetime64[M]")
    start = to_days((month - 1).astype("datetime64[D]"))
    return start, to_days(month.astype("datetime64[D]")) - 1


def lookup_period(series: UsageSeries, acc: Ints, period: Ints, last_day: Ints) -> Result:
    timeline = series.timeline
    if len(timeline) == 0:
        return np.full(len(acc), np.nan), np.full(len(acc), NO_DAY, np.int64)
    index = timeline.position(acc, period)
    safe = np.minimum(index, len(timeline) - 1)
    found = (index < len(timeline)) & (timeline.keys[safe] == encode(acc, period))
    value = np.where(found, timeline.values[safe], np.nan)
    if series.fill is not None:
        earlier = timeline.last_before(acc, period) >= 0
        computed = period <= int(timeline.days.max())
        value = np.where(~found & earlier & computed, series.fill, value)
    return value, np.where(np.isnan(value), NO_DAY, last_day)


# built-ins ---------------------------------------------------------------------------


def onboarding_completeness(r: Rows) -> Result:
    usage = r.first_day(r.h.daily_usage)
    # "a kickoff was held": any will do, and the newest is found at once (the oldest sits
    # behind every pre-sale meeting of the account)
    kickoff = r.last(r.timeline(r.h.activities, "kickoff"))[0]
    training = r.first_day(r.timeline(r.h.activities, "training"))
    admin = r.first_day(r.timeline(r.h.contacts, "admin"))
    ratio, activation_day = r.seat_activation
    with np.errstate(invalid="ignore"):
        activated = np.where(ratio >= 0.5, activation_day, NO_DAY)
    days = np.stack([usage, kickoff, training, admin, activated])
    value = (days >= 0).sum(axis=0) / 5.0
    return value, newest(*days)


def tenure_days(r: Rows) -> Result:
    start = r.first_day(r.h.lines.starts)
    return days_between(r.as_of, start), start


def seat_activation(r: Rows) -> Result:
    return r.seat_activation


def nps_latest(r: Rows) -> Result:
    day, value = r.last(r.timeline(r.h.surveys, "nps"))
    recent = r.in_window(day, 365)
    return np.where(recent >= 0, value, np.nan), recent


def nps_trend(r: Rows) -> Result:
    nps = r.timeline(r.h.surveys, "nps")
    recent = nps.window_means(r.acc, r.as_of, r.as_of - 180, r.as_of)
    before = nps.window_means(r.acc, r.as_of, r.as_of - 360, r.as_of - 180)
    return recent - before, r.last(nps)[0]


def csat_avg_90d(r: Rows) -> Result:
    csat = r.timeline(r.h.surveys, "csat")
    return csat.window_means(r.acc, r.as_of, r.as_of - 90, r.as_of), r.last(csat)[0]


def days_since_touch(r: Rows) -> Result:
    return r.since(r.timeline(r.h.activities, "touch"))


def days_since_dm_touch(r: Rows) -> Result:
    return r.since(r.timeline(r.h.activities, "dm"))


def days_since_qbr(r: Rows) -> Result:
    return r.since(r.timeline(r.h.activities, "qbr"))


def touches_90d(r: Rows) -> Result:
    touches = r.timeline(r.h.activities, "touch4")
    count = touches.window_counts(r.acc, r.as_of, 90).astype(np.float64)
    return count, r.in_window(r.last(touches)[0], 90)


def champion_present(r: Rows) -> Result:
    day, _ = r.last(r.timeline(r.h.contacts, "champion"))
    return (day >= 0).astype(np.float64), day


def contacts_engaged_90d(r: Rows) -> Result:
    timeline = r.h.participations
    lo, hi = timeline.bounds(r.acc, r.as_of - 90, r.as_of)
    rows, index = expand(lo, hi)
    pairs = np.unique(rows * (1 << 31) + timeline.values[index].astype(np.int64))
    count = np.bincount(pairs >> 31, minlength=r.n).astype(np.float64)
    return count, r.in_window(r.last(timeline)[0], 90)


def open_inquiries(r: Rows) -> Result:
    if r.h.inquiries is None:
        return r.nan(), r.none()
    q = r.h.inquiries
    zero = np.zeros_like(r.as_of)
    opened = q.opened.position(r.acc, r.as_of) - q.opened.position(r.acc, zero)
    resolved = q.resolved.position(r.acc, r.as_of) - q.resolved.position(r.acc, zero)
    return (opened - resolved).astype(np.float64), r.last(q.opened)[0]


def inquiries_90d(r: Rows) -> Result:
    if r.h.inquiries is None:
        return r.nan(), r.none()
    opened = r.h.inquiries.opened
    count = opened.window_counts(r.acc, r.as_of, 90).astype(np.float64)
    return count, r.in_window(r.last(opened)[0], 90)


def _inquiry_hours(r: Rows, resolution: bool) -> Result:
    if r.h.inquiries is None:
        return r.nan(), r.none()
    q = r.h.inquiries
    day, hours = (
        (q.resolved_day, q.resolution_hours)
        if resolution
        else (q.first_response_day, q.first_response_hours)
    )
    rows, index = expand(*q.opened.bounds(r.acc, r.as_of - 90, r.as_of))
    keep = (day[index] >= 0) & (day[index] < r.as_of[rows])
    rows, index = rows[keep], index[keep]
    count = np.bincount(rows, minlength=r.n)
    total = np.bincount(rows, weights=hours[index], minlength=r.n)
    seen = r.none()
    np.maximum.at(seen, rows, day[index])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan), seen


def first_response_hours_90d(r: Rows) -> Result:
    return _inquiry_hours(r, resolution=False)


def resolution_hours_90d(r: Rows) -> Result:
    return _inquiry_hours(r, resolution=True)


def usage_per_mrr(r: Rows) -> Result:
    daily = r.h.daily_usage
    if daily is None:
        return r.nan(), r.none()
    events = daily.window_sums(r.acc, r.as_of, DAILY_REACH)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(r.mrr_now > 0, events / (r.mrr_now / 10_000.0), np.nan)
    return value, newest(r.last(daily)[0], r.lined)


def mrr(r: Rows) -> Result:
    return np.where(r.lined >= 0, r.mrr_now, np.nan), r.lined


def mrr_change_90d_pct(r: Rows) -> Result:
    before = r.h.lines.on(r.acc, r.as_of - 91)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(before > 0, (r.mrr_now - before) / before * 100.0, np.nan)
    return value, r.lined


def seats(r: Rows) -> Result:
    return np.where(r.lined >= 0, r.seats, np.nan), r.lined


def days_to_renewal(r: Rows) -> Result:
    renewal = r.h.lines.next_renewal(r.acc, r.as_of)
    return np.where(renewal >= 0, renewal - r.as_of, np.nan).astype(np.float64), r.lined


def contraction_180d(r: Rows) -> Result:
    falls = r.h.lines.falls
    count = falls.window_counts(r.acc, r.as_of, 180)
    value = np.where(r.lined >= 0, (count > 0).astype(np.float64), np.nan)
    return value, r.lined


def option_count(r: Rows) -> Result:
    lines = r.h.lines.lines
    count = r.h.lines.line_sums(r.acc, r.as_of - 1, lines.option.astype(np.float64))
    return np.where(r.lined >= 0, count, np.nan), r.lined


BUILTINS: dict[str, Callable[[Rows], Result]] = {
    f.__name__: f
    for f in (
        onboarding_completeness,
        tenure_days,
        seat_activation,
        nps_latest,
        nps_trend,
        csat_avg_90d,
        days_since_touch,
        days_since_dm_touch,
        touches_90d,
        champion_present,
        contacts_engaged_90d,
        open_inquiries,
        inquiries_90d,
        first_response_hours_90d,
        resolution_hours_90d,
        usage_per_mrr,
        days_since_qbr,
        mrr,
        mrr_change_90d_pct,
        seats,
        days_to_renewal,
        contraction_180d,
        option_count,
    )
}
