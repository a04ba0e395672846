"""Bulk import, the inbox flush and the metric computation, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_account, make_event_source, make_line, make_product
from kizuna.auth.actor import Actor
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.runner import Worker
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.models.job import Job, JobStatus
from kizuna.models.usage import EventInbox, UsageGroup
from kizuna.models.usage_metric import UsageMetric, UsageMetricLatest
from kizuna.usage import compute, importer, pipeline
from kizuna.usage.store import COMPACT_AFTER, EventStore, new_connection
from kizuna.usage.values import ValueStore

SYSTEM = Actor.system("test")
# A valid CSV row of the bulk import (columns as Segment names them).
GOOD_ROW = {
    "messageId": "m1",
    "type": "track",
    "event": "Login",
    "userId": "u1",
    "timestamp": "2026-03-02T01:00:00Z",
    "properties": "{}",
}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 10:00 JST


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header = list(rows[0])
    lines = [",".join(header)] + [
        ",".join('"' + r.get(h, "").replace('"', '""') + '"' for h in header) for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _demo_parquet(path: Path, group: str, n: int, *, start: datetime = T0) -> Path:
    """Demo-shaped events (the columns ``kizuna demo-events`` writes)."""
    table = pa.table(
        {
            "message_id": [f"{group}-{i}" for i in range(n)],
            "type": ["track"] * n,
            "event": ["Login" if i % 2 else "API Call" for i in range(n)],
            "user_id": [f"{group}-u{i % 3}" for i in range(n)],
            "group_id": [group] * n,
            "timestamp": pa.array(
                [start + timedelta(hours=i) for i in range(n)], pa.timestamp("ms", tz="UTC")
            ),
            "properties": ['{"n": 1}'] * n,
        }
    )
    pq.write_table(table, path)
    return path


def _count(store: EventStore) -> int:
    con = new_connection()
    try:
        return store.count(con)
    finally:
        con.close()


def test_bad_rows_are_reported_by_row_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    store = EventStore(tmp_path / "events")
    good = {**GOOD_ROW, "groupId": "g-new"}
    rows = [
        good,
        {**good, "messageId": "m2", "event": ""},
        {**good, "messageId": "m3", "timestamp": "yesterday"},
        {**good, "messageId": "m4", "properties": "[1, 2]"},
        {**good, "messageId": "", "type": "shout"},
    ]
    result = importer.import_events(session, SYSTEM, store, _write_csv(tmp_path / "bad.csv", rows))
    found = {(p["row"], p["field"], p["code"]) for p in result.problems}
    assert found == {
        (2, "event", "required"),
        (3, "timestamp", "not_datetime"),
        (4, "properties", "not_json"),
        (5, "message_id", "required"),
        (5, "type", "unknown_value"),
    }
    assert result.stored == 0
    assert result.bad_rows == 4
    assert _count(store) == 0
    assert session.scalar(select(func.count()).select_from(UsageGroup)) == 0


def test_a_bad_row_rejects_the_file_even_when_its_event_is_already_stored(
    session: Session, tmp_path: Path
) -> None:
    """Checks and writing share one pass; duplicates are checked too, and a rejected
    file leaves neither files nor staging behind."""
    store = EventStore(tmp_path / "events")
    good = GOOD_ROW
    first = importer.import_events(session, SYSTEM, store, _write_csv(tmp_path / "a.csv", [good]))
    assert first.stored == 1
    rows = [{**good, "properties": "not json"}, {**good, "messageId": "m2"}]
    again = importer.import_events(session, SYSTEM, store, _write_csv(tmp_path / "b.csv", rows))
    assert [(p["row"], p["field"]) for p in again.problems] == [(1, "properties")]
    assert (again.stored, again.bad_rows) == (0, 1)
    assert _count(store) == 1
    assert not any((tmp_path / "events" / ".tmp").iterdir())


def test_import_dedupes_within_the_file_and_against_the_store(
    session: Session, tmp_path: Path
) -> None:
    account = make_account(session, external_id="ACME-1")
    store = EventStore(tmp_path / "events")
    path = _demo_parquet(tmp_path / "events.parquet", "ACME-1", 30)
    first = importer.import_events(session, SYSTEM, store, path)
    assert (first.rows, first.stored, first.duplicates) == (30, 30, 0)
    # The group id seen on the events was registered and matched by external id.
    group = session.scalar(select(UsageGroup).where(UsageGroup.group_id == "ACME-1"))
    assert group is not None
    assert group.account_id == account.id

    again = importer.import_events(session, SYSTEM, store, path)
    assert (again.stored, again.duplicates) == (0, 30)
    twice = pa.concat_tables([pq.read_table(path)] * 2)
    pq.write_table(twice, tmp_path / "twice.parquet")
    more = _demo_parquet(tmp_path / "more.parquet", "ACME-1", 40)  # 10 new ids
    assert importer.import_events(session, SYSTEM, store, tmp_path / "twice.parquet").stored == 0
    assert importer.import_events(session, SYSTEM, store, more).stored == 10
    assert _count(store) == 40
    assert pipeline.state(session).dirty_since == T0.date()


def test_identity_rows_link_users_and_groups(session: Session, tmp_path: Path) -> None:
    account = make_account(session, external_id="BETA")
    rows = [
        {
            "message_id": "g1",
            "type": "group",
            "user_id": "u9",
            "group_id": "BETA",
            "timestamp": "2026-03-01 00:00:00",
            "traits": '{"name": "Beta"}',
            "event": "",
        },
        {
            "message_id": "t1",
            "type": "track",
            "user_id": "u9",
            "group_id": "",
            "timestamp": "2026-03-01 01:00:00",
            "traits": "",
            "event": "Login",
        },
    ]
    store = EventStore(tmp_path / "events")
    result = importer.import_events(session, SYSTEM, store, _write_csv(tmp_path / "id.csv", rows))
    assert result.bad_rows == 0
    assert result.stored == 2
    group = session.scalar(select(UsageGroup).where(UsageGroup.group_id == "BETA"))
    assert group is not None
    assert (group.account_id, group.name) == (account.id, "Beta")


def test_unknown_source_and_unreadable_file_name_the_parameter(
    session: Session, tmp_path: Path
) -> None:
    store = EventStore(tmp_path / "events")
    path = _demo_parquet(tmp_path / "e.parquet", "X", 2)
    with pytest.raises(Invalid) as caught:
        importer.import_events(session, SYSTEM, store, path, source="nope")
    assert caught.value.problems[0].loc == ("body", "source")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(Invalid) as caught:
        importer.import_events(session, SYSTEM, store, tmp_path / "junk.parquet")
    assert caught.value.problems[0].loc == ("body", "file")


def _inbox(session: Session, source_id: object, n: int, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        session.add(
            EventInbox(
                source_id=source_id,
                message_id=f"msg-{i}",
                type="track",
                event="Login",
                user_id="u1",
                group_id="G1",
                timestamp=T0 + timedelta(minutes=i),
                received_at=T0,
                properties="{}",
                context="{}",
            )
        )
    session.flush()


def test_flush_after_a_crash_stores_each_event_once(session: Session, tmp_path: Path) -> None:
    source, _key = make_event_source(session)
    store = EventStore(tmp_path / "events")
    _inbox(session, source.id, 5)
    # A flush that wrote the store and died before deleting the inbox rows: simulate by
    # appending the same rows without touching the inbox.
    rows = session.scalars(select(EventInbox).order_by(EventInbox.seq)).all()
    table = pa.table(
        {
            "message_id": [r.message_id for r in rows],
            "source_id": [str(r.source_id) for r in rows],
            "type": [r.type for r in rows],
            "event": [r.event for r in rows],
            "user_id": [r.user_id for r in rows],
            "anonymous_id": pa.array([None] * 5, pa.string()),
            "group_id": [r.group_id for r in rows],
            "previous_id": pa.array([None] * 5, pa.string()),
            "timestamp": pa.array([r.timestamp for r in rows], pa.timestamp("us", tz="UTC")),
            "received_at": pa.array([r.received_at for r in rows], pa.timestamp("us", tz="UTC")),
            "properties": [r.properties for r in rows],
            "context": [r.context for r in rows],
            "kz_row": list(range(5)),
        }
    )
    con = new_connection()
    con.register("crashed", table)
    with store.writing():
        assert store.append(con, "crashed", tag="crashed").stored == 5
    con.close()
    _inbox(session, source.id, 3, offset=5)
    with store.writing():
        result = pipeline.flush_batch(session, store)
    assert (result.moved, result.stored) == (8, 3)
    assert session.scalar(select(func.count()).select_from(EventInbox)) == 0
    assert _count(store) == 8
    with store.writing():
        assert pipeline.flush_batch(session, store).moved == 0


def test_many_small_flushes_are_compacted(session: Session, tmp_path: Path) -> None:
    source, _key = make_event_source(session)
    store = EventStore(tmp_path / "events")
    for i in range(COMPACT_AFTER + 2):
        _inbox(session, source.id, 2, offset=2 * i)
        with store.writing():
            pipeline.flush_batch(session, store)
    assert len(store.files()) < COMPACT_AFTER
    assert _count(store) == 2 * (COMPACT_AFTER + 2)


def test_interrupted_compaction_is_finished_by_the_next_writer(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events")
    month = store.root / "month=2026-03"
    month.mkdir(parents=True)
    old = [month / "a.parquet", month / "b.parquet"]
    for path in old:
        path.write_bytes(b"old")
    merged = month / "compact-x.parquet"
    merged.write_bytes(b"merged")  # renamed into place, then the process died
    (store.root / ".compaction.json").write_text(
        json.dumps({"new": str(merged), "staged": "", "old": [str(p) for p in old]})
    )
    with store.writing():
        pass
    assert [p.name for p in month.iterdir()] == ["compact-x.parquet"]
    assert not (store.root / ".compaction.json").exists()


def test_compute_writes_series_and_latest_values(
    db: Database, session: Session, tmp_path: Path
) -> None:
    account = make_account(session, external_id="ACME-9")
    plan_product = make_product(session)
    make_line(session, account, plan_product, mrr=10_000, start=date(2026, 1, 1), quantity=4)
    store = EventStore.under(tmp_path)
    importer.import_events(
        session, SYSTEM, store, _demo_parquet(tmp_path / "e.parquet", "ACME-9", 48)
    )
    options = compute.Options(data_dir=tmp_path, today=date(2026, 3, 9))
    session.commit()
    with db.sessions() as own:
        result = compute.run(own, SYSTEM, options)
    assert result.full
    assert result.accounts == 1
    series = ValueStore.under(tmp_path).series("day", [str(account.id)], ["events"])
    by_day = dict(zip(series["period"].to_pylist(), series["value"].to_pylist(), strict=True))
    # 48 hourly events from 10:00 JST Monday: 14 on Monday, 24 on Tuesday, 10 on Wednesday,
    # then nothing until today (the following Monday).
    assert by_day == {
        date(2026, 3, 2): 14,
        date(2026, 3, 3): 24,
        date(2026, 3, 4): 10,
        **{date(2026, 3, d): 0 for d in range(5, 10)},
    }
    seat = session.scalar(select(UsageMetric.id).where(UsageMetric.key == "seat_utilisation"))
    # The latest complete week (of Mar 2): 3 users on 4 seats.
    latest = session.get(UsageMetricLatest, (seat, "week", account.id))
    assert latest is not None
    assert latest.period_start == date(2026, 3, 2)
    assert latest.value == pytest.approx(3 / 4)
    with db.sessions() as own:
        again = compute.run(own, SYSTEM, options)
    assert not again.full
    assert again.since == date(2026, 3, 9)


def test_flush_and_compute_jobs(db: Database, settings: Settings) -> None:
    """The worker flushes the inbox, which queues a computation; the worker runs it."""
    with db.sessions() as session, session.begin():
        make_account(session, external_id="G1")
        source, _key = make_event_source(session)
        _inbox(session, source.id, 4)
        pipeline.request_flush(session)
        pipeline.request_flush(session)  # already waiting: not queued twice
        assert (
            session.scalar(
                select(func.count()).select_from(Job).where(Job.name == pipeline.FLUSH_JOB)
            )
            == 1
        )
    flushes = Worker(db, settings, names=[pipeline.FLUSH_JOB])
    assert flushes.run_once()
    # A run that moved events queues one more flush (events may have arrived meanwhile);
    # that one finds the inbox empty and ends the chain.
    assert flushes.run_once()
    assert not flushes.run_once()
    worker = Worker(db, settings, names=[pipeline.FLUSH_JOB, pipeline.COMPUTE_JOB])
    with db.sessions() as session, session.begin():
        assert session.scalar(select(func.count()).select_from(EventInbox)) == 0
        computing = session.scalar(select(Job).where(Job.name == pipeline.COMPUTE_JOB))
        assert computing is not None
        computing.run_after = utc_now()
    assert worker.run_once()
    with db.sessions() as session:
        done = session.scalar(select(Job).where(Job.name == pipeline.COMPUTE_JOB))
        assert done is not None
        assert done.status == JobStatus.DONE, done.error
        assert session.scalar(select(func.count()).select_from(UsageMetricLatest)) > 0
