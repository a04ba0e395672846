"""``expansion.detect`` on a planted company (SQLite and PostgreSQL): seats, option usage
without the option, healthy renewals; non-customers get nothing; rows are rewritten."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product
from health_factories import make_score, make_version
from kizuna.analytics.sources import DAILY_SCHEMA, VALUE_SCHEMA
from kizuna.health import expansion
from kizuna.models.enums import ProductKind, ProductUnit
from kizuna.models.health import ExpansionSignal
from kizuna.usage.values import ValueStore

TODAY = date(2026, 6, 30)
MAY = date(2026, 5, 1)  # the last complete month before TODAY
ZONE = "Asia/Tokyo"


def write_usage(data_dir: Path, rows: list[tuple[str, str, str, date, float]]) -> None:
    values = pa.Table.from_pylist(
        [dict(zip(VALUE_SCHEMA.names, row, strict=True)) for row in rows], schema=VALUE_SCHEMA
    )
    ValueStore.under(data_dir).write(values, DAILY_SCHEMA.empty_table())


def test_detect_on_a_planted_company(session: Session, tmp_path: Path) -> None:
    plan = make_product(session, name="スタンダード", name_en="Standard", unit=ProductUnit.SEAT)
    option = make_product(
        session,
        code="OPT-API",
        name="API連携",
        kind=ProductKind.OPTION,
        unit=ProductUnit.FIXED,
        custom_fields={"expansion_metric": "exported_rows", "expansion_threshold": 100_000},
    )
    # A misconfigured option (unknown metric) is skipped, not an error.
    make_product(
        session,
        kind=ProductKind.OPTION,
        custom_fields={"expansion_metric": "no_such_metric", "expansion_threshold": 1},
    )
    full = make_account(session, name="満席")
    make_line(session, full, plan, mrr=100_000, start=date(2025, 1, 1), quantity=10)
    holder = make_account(session, name="保有")
    make_line(session, holder, plan, mrr=100_000, start=date(2025, 1, 1), quantity=10)
    make_line(session, holder, option, mrr=30_000, start=date(2025, 1, 1))
    renewing = make_account(session, name="更新間近")
    make_line(session, renewing, plan, mrr=50_000, start=date(2025, 8, 1), end=date(2026, 8, 1))
    make_score(session, renewing, make_version(session), score=85, band="green", today=TODAY)
    gone = make_account(session, name="解約済み")
    make_line(session, gone, plan, mrr=50_000, start=date(2025, 1, 1), end=date(2026, 6, 1))
    write_usage(
        tmp_path,
        [
            ("active_users", "month", str(full.id), MAY, 10.0),
            ("exported_rows", "month", str(full.id), MAY, 400_000.0),
            ("active_users", "month", str(holder.id), MAY, 5.0),
            ("exported_rows", "month", str(holder.id), MAY, 400_000.0),
            ("active_users", "month", str(gone.id), MAY, 50.0),
            ("exported_rows", "month", str(gone.id), MAY, 900_000.0),
        ],
    )

    written = expansion.detect(session, data_dir=tmp_path, zone=ZONE, today=TODAY)

    rows = session.scalars(select(ExpansionSignal)).all()
    found = {(r.account_id, r.kind, r.subject): r for r in rows}
    assert written == len(rows) == 3
    assert set(found) == {
        (full.id, "seats", ""),
        (full.id, "option", "OPT-API"),
        (renewing.id, "renewal", ""),
    }
    seats = found[(full.id, "seats", "")]
    assert seats.evidence["active_users"] == 10
    assert seats.evidence["seats"] == 10
    assert seats.evidence["product"] == "スタンダード"
    assert seats.strength == 0.75
    api = found[(full.id, "option", "OPT-API")].evidence
    assert api["value"] == 400_000
    assert api["option_name"] == "API連携"
    assert found[(full.id, "option", "OPT-API")].strength == 0.8  # two doublings
    assert found[(renewing.id, "renewal", "")].evidence == {
        "score": 85.0,
        "band": "green",
        "days_to_renewal": 32,
    }

    # Rewritten, not appended: once the seats are added, the seats signal is gone.
    make_line(session, full, plan, mrr=100_000, start=date(2026, 6, 1), quantity=10)
    assert expansion.detect(session, data_dir=tmp_path, zone=ZONE, today=TODAY) == 2
    kinds = {(r.account_id, r.kind) for r in session.scalars(select(ExpansionSignal))}
    assert (full.id, "seats") not in kinds


def test_detect_without_customers_writes_nothing(session: Session, tmp_path: Path) -> None:
    make_account(session)
    assert expansion.detect(session, data_dir=tmp_path, zone=ZONE, today=TODAY) == 0
