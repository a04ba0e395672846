"""Health signals on a planted company: exact values at two as-of days, the catalogue,
and the outcomes (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from factories import (
    make_account,
    make_activity,
    make_contact,
    make_line,
    make_product,
    make_survey_response,
    utc,
)
from kizuna.analytics.sources import DAILY_SCHEMA, VALUE_SCHEMA
from kizuna.health.signals import outcomes
from kizuna.health.signals.catalogue import (
    BUILTIN_SIGNALS,
    available_signals,
    resolve_signal,
)
from kizuna.health.signals.history import History, load_history, signal_frame
from kizuna.kit.errors import Invalid
from kizuna.models.account import Account
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    CustomFieldObject,
    CustomFieldType,
    ProductKind,
    ProductUnit,
    SurveyKind,
)
from kizuna.usage.values import ValueStore

TODAY = date(2026, 6, 30)
ZONE = "Asia/Tokyo"


def write_usage(data_dir: Path, values: list[tuple[str, str, str, date, float]],
                daily: list[tuple[str, date, str, int]]) -> None:  # fmt: skip
    """A usage value store with the given rows (metric, grain, account, period, value)."""
    values_table = pa.Table.from_pylist(
        [dict(zip(VALUE_SCHEMA.names, row, strict=True)) for row in values], schema=VALUE_SCHEMA
    )
    daily_table = pa.Table.from_pylist(
        [dict(zip(DAILY_SCHEMA.names, row, strict=True)) for row in daily], schema=DAILY_SCHEMA
    )
    ValueStore.under(data_dir).write(values_table, daily_table)


def plant(session: Session, data_dir: Path) -> tuple[Account, Account]:
    """Account A with a known history; account B with nothing at all."""
    a, b = make_account(session, employee_count=250), make_account(session)
    base = make_product(session, unit=ProductUnit.SEAT, kind=ProductKind.BASE_PLAN)
    option = make_product(session, unit=ProductUnit.FIXED, kind=ProductKind.OPTION)
    make_line(session, a, base, mrr=300_000, start=date(2025, 4, 15), quantity=30)
    make_line(session, a, option, mrr=50_000, start=date(2025, 10, 1), end=date(2026, 3, 1))
    admin = make_contact(session, a, roles=[ContactRole.ADMIN], created_at=utc(2025, 4, 10, 3))
    champion = make_contact(session, a, roles=[ContactRole.CHAMPION], created_at=utc(2025, 5, 1, 3))
    boss = make_contact(
        session, a, roles=[ContactRole.DECISION_MAKER], created_at=utc(2025, 4, 1, 3)
    )
    # A deactivated champion does not count (deactivation has no date).
    make_contact(session, b, roles=[ContactRole.CHAMPION], is_active=False)
    make_activity(
        session, a, kind=ActivityKind.MEETING, occurred_at=utc(2025, 4, 5, 1), contacts=[boss]
    )
    make_activity(session, a, kind=ActivityKind.TRAINING, occurred_at=utc(2025, 4, 20, 5))
    make_activity(
        session,
        a,
        kind=ActivityKind.QBR,
        occurred_at=utc(2026, 1, 15, 5),
        contacts=[champion, boss],
    )
    make_activity(session, a, kind=ActivityKind.CALL, occurred_at=utc(2026, 2, 28, 14, 30))
    # 16:00 UTC on 1 March is 01:00 on 2 March in Tokyo.
    make_activity(session, a, kind=ActivityKind.CALL, occurred_at=utc(2026, 3, 1, 16))
    make_activity(
        session, a, kind=ActivityKind.EMAIL, occurred_at=utc(2026, 3, 20, 2), contacts=[admin]
    )
    make_activity(session, a, kind=ActivityKind.NOTE, occurred_at=utc(2026, 3, 30, 2))
    opened = utc(2026, 2, 10)
    make_activity(session, a, kind=ActivityKind.INQUIRY, occurred_at=opened, opened_at=opened,
                  first_response_at=opened + timedelta(hours=4),
                  resolved_at=opened + timedelta(hours=30))  # fmt: skip
    opened = utc(2026, 3, 25)
    make_activity(session, a, kind=ActivityKind.INQUIRY, occurred_at=opened, opened_at=opened,
                  first_response_at=opened + timedelta(hours=2))  # fmt: skip
    for score, day in [(9, date(2025, 9, 1)), (6, date(2026, 2, 1)), (8, date(2026, 3, 15))]:
        make_survey_response(session, a, score=score, responded_on=day)
    for score, day in [(4, date(2026, 2, 15)), (5, date(2026, 3, 10))]:
        make_survey_response(session, a, score=score, kind=SurveyKind.CSAT, responded_on=day)
    session.flush()
    aid = str(a.id)
    write_usage(
        data_dir,
        [
            ("active_users", "month", aid, date(2025, 5, 1), 20.0),
            ("active_users", "month", aid, date(2026, 3, 1), 12.0),
            ("active_users", "month", aid, date(2026, 6, 1), 14.0),
        ],
        [
            (aid, date(2025, 4, 3), "track:Login", 5),
            (aid, date(2026, 3, 20), "track:Login", 10),
            (aid, date(2026, 3, 28), "track:Login", 20),
            (aid, date(2026, 3, 28), "track:Export", 10),
        ],
    )
    return a, b


EXPECTED_SPRING_2026 = {
    "onboarding_completeness": 0.8,  # 12 of 30 seats active: the fifth milestone is missed
    "tenure_days": 351,
    "seat_activation": 0.4,
    "nps_latest": 8,
    "nps_trend": -2,  # mean(6, 8) − 9
    "csat_avg_90d": 4.5,
    "days_since_touch": 12,  # the email of 20 March (a note is not a touch)
    "days_since_dm_touch": 76,  # the QBR of 15 January
    "touches_90d": 3,  # QBR and two calls
    "champion_present": 1,
    "contacts_engaged_90d": 3,
    "open_inquiries": 1,
    "inquiries_90d": 2,
    "first_response_hours_90d": 3,
    "resolution_hours_90d": 30,
    "usage_per_mrr": 40 / 30,  # 40 events over ¥300,000
    "days_since_qbr": 76,
    "mrr": 300_000,
    "mrr_change_90d_pct": -50_000 / 350_000 * 100,
    "seats": 30,
    "days_to_renewal": 14,  # anniversary on 15 April
    "contraction_180d": 1,  # the option ended on 1 March
    "option_count": 0,
    "usage:active_users:month": 12,
    "field:employee_count": 250,
}
EXPECTED_JUNE_2025 = {
    "onboarding_completeness": 1.0,
    "tenure_days": 47,
    "seat_activation": 20 / 30,
    "nps_latest": math.nan,
    "nps_trend": math.nan,
    "csat_avg_90d": math.nan,
    "days_since_touch": 42,
    "days_since_dm_touch": 57,
    "touches_90d": 2,
    "champion_present": 1,
    "contacts_engaged_90d": 1,
    "open_inquiries": 0,
    "inquiries_90d": 0,
    "first_response_hours_90d": math.nan,
    "resolution_hours_90d": math.nan,
    "usage_per_mrr": 0,
    "days_since_qbr": math.nan,
    "mrr": 300_000,
    "mrr_change_90d_pct": math.nan,  # no MRR 91 days before
    "seats": 30,
    "days_to_renewal": 318,
    "contraction_180d": 0,
    "option_count": 0,
    "usage:active_users:month": 20,
    "field:employee_count": 250,
}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2026, 4, 1), EXPECTED_SPRING_2026), (date(2025, 6, 1), EXPECTED_JUNE_2025)],
)
def test_planted_company_exact_values(
    session: Session, tmp_path: Path, as_of: date, expected: dict[str, float]
) -> None:
    a, _ = plant(session, tmp_path)
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    frame = signal_frame(history, [str(a.id)], np.array([as_of], "datetime64[D]"), list(expected))
    got = {k: float(v[0]) for k, v in frame.values.items()}
    assert got == pytest.approx(expected, nan_ok=True)
    for key, value in got.items():
        observed = frame.observed_on[key][0]
        if math.isnan(value) or key.startswith("field:"):
            assert np.isnat(observed), key  # current field values have no date
        else:
            assert np.isnat(observed) or observed < np.datetime64(as_of), key


def test_observed_on_names_the_newest_data(session: Session, tmp_path: Path) -> None:
    a, _ = plant(session, tmp_path)
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    frame = signal_frame(history, [str(a.id)], [date(2026, 4, 1)], list(EXPECTED_SPRING_2026))
    observed = {k: str(v[0]) for k, v in frame.observed_on.items()}
    assert observed["nps_latest"] == "2026-03-15"
    assert observed["days_since_touch"] == "2026-03-20"
    assert observed["seat_activation"] == "2026-03-31"  # March, the last complete month
    # the newest milestone data: the latest post-sale call (2 March in Tokyo), which shows
    # a kickoff was held (any will do; the newest is the one read)
    assert observed["onboarding_completeness"] == "2026-03-02"
    assert observed["first_response_hours_90d"] == "2026-03-25"
    assert observed["mrr"] == "2026-03-31"


def test_local_days_follow_the_zone(session: Session, tmp_path: Path) -> None:
    a, _ = plant(session, tmp_path)
    history = load_history(
        session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=["days_since_touch"]
    )
    days = np.array(["2026-03-02", "2026-03-03"], "datetime64[D]")
    frame = signal_frame(history, [str(a.id)] * 2, days, ["days_since_touch"])
    # The call at 01:00 on 2 March (Tokyo) is not yet seen on 2 March, seen on 3 March.
    assert frame.values["days_since_touch"].tolist() == [2.0, 1.0]


def test_account_without_data_and_unknown_ids(session: Session, tmp_path: Path) -> None:
    _, b = plant(session, tmp_path)
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    columns = list(BUILTIN_SIGNALS)
    frame = signal_frame(history, [str(b.id), "not-an-account"], [date(2026, 4, 1)] * 2, columns)
    counts = {"touches_90d", "contacts_engaged_90d", "open_inquiries", "inquiries_90d",
              "champion_present", "onboarding_completeness"}  # fmt: skip
    for key in columns:
        first, unknown = frame.values[key]
        assert (first == 0) if key in counts else math.isnan(first), key
        assert math.isnan(unknown)


def test_usage_fill_only_after_the_accounts_first_period(session: Session, tmp_path: Path) -> None:
    a, _ = plant(session, tmp_path)
    key = "usage:active_users:month"
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=[key])
    days = np.array(["2025-05-01", "2026-03-01", "2026-06-01", "2026-08-01"], "datetime64[D]")
    frame = signal_frame(history, [str(a.id)] * 4, days, [key])
    # April 2025: before any data (missing); February 2026: a count without a row is 0;
    # May 2026: 0 again; July 2026: beyond what the store has computed (missing).
    assert frame.values[key].tolist() == pytest.approx([math.nan, 0.0, 0.0, math.nan], nan_ok=True)


def test_columns_limit_what_is_loaded(session: Session, tmp_path: Path) -> None:
    plant(session, tmp_path)
    history = load_history(
        session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=["nps_latest", "mrr"]
    )
    assert history.sources == {"surveys"}
    assert history.activities == {}
    assert history.daily_usage is None


def test_catalogue_lists_usage_metrics_and_numeric_fields(session: Session) -> None:
    session.add(
        CustomFieldDefinition(object_type=CustomFieldObject.ACCOUNT, key="sites", label_ja="拠点数",
                              label_en="Sites", field_type=CustomFieldType.INTEGER)
    )  # fmt: skip
    session.add(
        CustomFieldDefinition(object_type=CustomFieldObject.ACCOUNT, key="memo", label_ja="メモ",
                              label_en="Memo", field_type=CustomFieldType.TEXT)
    )  # fmt: skip
    session.flush()
    keys = {s.key for s in available_signals(session)}
    assert set(BUILTIN_SIGNALS) <= keys
    assert {"usage:events:week", "usage:active_users:month", "field:employee_count"} <= keys
    assert "field:custom.sites" in keys
    assert "field:custom.memo" not in keys
    assert not resolve_signal(session, "field:custom.sites").backtestable
    assert resolve_signal(session, "usage:events:day").group == "adoption"
    assert resolve_signal(session, "nps_latest").name_en == "Latest NPS"
    for bad in ["nope", "usage:events:year", "usage:missing:week", "field:custom.memo"]:
        with pytest.raises(Invalid) as caught:
            resolve_signal(session, bad)
        assert bad in str(caught.value)


def test_custom_field_values_are_current(session: Session, tmp_path: Path) -> None:
    a, b = plant(session, tmp_path)
    a.custom_fields = {"sites": 4}
    session.flush()
    history = load_history(
        session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=["field:custom.sites"]
    )
    frame = signal_frame(history, [str(a.id), str(b.id)], [date(2020, 1, 1)] * 2,
                         ["field:custom.sites"])  # fmt: skip
    assert frame.values["field:custom.sites"].tolist() == pytest.approx(
        [4.0, math.nan], nan_ok=True
    )


def test_outcomes_on_planted_lines(session: Session, tmp_path: Path) -> None:
    a, b = plant(session, tmp_path)
    c = make_account(session)
    plan = make_product(session)
    make_line(session, c, plan, mrr=100_000, start=date(2025, 1, 1), end=date(2026, 2, 1))
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY, columns=[])
    ids = [str(c.id), str(c.id), str(c.id), str(a.id), str(a.id), str(b.id), str(c.id)]
    days = np.array(["2026-01-01", "2026-01-03", "2026-02-01", "2026-01-01", "2026-04-01",
                     "2026-01-01", "2026-05-01"], "datetime64[D]")  # fmt: skip
    assert outcomes.customer_at(history, ids, days).tolist() == [
        True, True, True, True, True, False, False
    ]  # fmt: skip
    churn = outcomes.labels(history, ids, days, horizon_days=31, kind="churn")
    # C churns on 1 February (its line's end_on): outside [1 Jan, 1 Feb), inside
    # [3 Jan, 3 Feb) and [1 Feb, 4 Mar) — on 31 January it was still paying.
    assert churn.tolist() == pytest.approx(
        [0.0, 1.0, 1.0, 0.0, 0.0, math.nan, math.nan], nan_ok=True
    )
    down = outcomes.labels(history, ids, days, horizon_days=90, kind="downturn")
    # A's option ended on 1 March: 350k → 300k (−14 %) is a downturn within 90 days of 1 Jan.
    assert down.tolist()[3:5] == [1.0, 0.0]
    # Known while the window [as_of, as_of + 30) ends by today (30 June).
    edge = np.array(["2026-05-31", "2026-06-01"], "datetime64[D]")
    late = outcomes.labels(history, [str(a.id)] * 2, edge, horizon_days=30, kind="churn")
    assert late.tolist() == pytest.approx([0.0, math.nan], nan_ok=True)


def test_history_is_the_interface(session: Session, tmp_path: Path) -> None:
    a, b = plant(session, tmp_path)
    history = load_history(session, data_dir=tmp_path, zone=ZONE, today=TODAY)
    assert isinstance(history, History)
    assert history.today == TODAY
    assert sorted(history.account_ids) == sorted([str(a.id), str(b.id)])
