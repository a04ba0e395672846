"""The queue's single-process semantics, on SQLite and PostgreSQL (rolled back per test).

Every test claims only its own job names, so jobs other tests left committed never interfere.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, NotFound
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue


@pytest.fixture
def name() -> str:
    return f"test.queue_{uuid.uuid4().hex[:8]}"


def at(offset_seconds: float) -> datetime:
    return utc_now() + timedelta(seconds=offset_seconds)


def travel(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the queue's clock forward."""
    later = utc_now() + timedelta(seconds=seconds)
    monkeypatch.setattr(queue, "utc_now", lambda: later)


def test_enqueue_adds_a_queued_job_in_the_callers_transaction(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {"account_id": "a1"}, priority=5, max_attempts=4)

    stored = queue.get_job(session, job.id)
    assert stored.status == JobStatus.QUEUED
    assert stored.payload == {"account_id": "a1"}
    assert (stored.priority, stored.attempts, stored.max_attempts) == (5, 0, 4)
    assert stored.run_after <= utc_now()
    assert stored.locked_by is None


def test_enqueue_refuses_what_it_cannot_store(session: Session, name: str) -> None:
    with pytest.raises(ValueError, match="JSON"):
        queue.enqueue(session, name, {"id": uuid.uuid4()})
    with pytest.raises(ValueError, match="max_attempts"):
        queue.enqueue(session, name, {}, max_attempts=0)
    with pytest.raises(ValueError, match="name"):
        queue.enqueue(session, "x" * 101, {})


def test_claim_takes_highest_priority_then_earliest_run_after(session: Session, name: str) -> None:
    late_low = queue.enqueue(session, name, {"n": 1}, run_after=at(-10))
    early_low = queue.enqueue(session, name, {"n": 2}, run_after=at(-20))
    high = queue.enqueue(session, name, {"n": 3}, run_after=at(-1), priority=10)

    order = [queue.claim(session, "w1", [name]) for _ in range(3)]

    assert [j.id if j else None for j in order] == [high.id, early_low.id, late_low.id]
    assert queue.claim(session, "w1", [name]) is None


def test_claim_marks_the_job_running_for_the_worker(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {})

    claimed = queue.claim(session, "worker-a", [name])

    assert claimed is not None
    assert claimed.id == job.id
    stored = queue.get_job(session, job.id)
    assert stored.status == JobStatus.RUNNING
    assert stored.locked_by == "worker-a"
    assert stored.attempts == 1
    assert stored.started_at is not None
    assert stored.heartbeat_at is not None


def test_jobs_not_yet_due_or_of_other_names_are_not_claimed(
    session: Session, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue.enqueue(session, name, {}, run_after=at(60))
    queue.enqueue(session, f"{name}_other", {})

    assert queue.claim(session, "w", [name]) is None
    assert queue.claim(session, "w", []) is None
    travel(monkeypatch, 61)
    assert queue.claim(session, "w", [name]) is not None


def test_claim_without_names_takes_any_job(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {}, priority=1_000_000)

    claimed = queue.claim(session, "w")

    assert claimed is not None
    assert claimed.id == job.id


def test_heartbeat_records_progress(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {})
    queue.claim(session, "w", [name])

    queue.heartbeat(session, job.id, done=40, total=100, note="rows " * 100)
    queue.heartbeat(session, job.id, done=50)

    stored = queue.get_job(session, job.id)
    assert (stored.progress_done, stored.progress_total) == (50, 100)
    assert stored.progress_note.startswith("rows")
    assert len(stored.progress_note) == 200


def test_complete_stores_the_result(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {})
    queue.claim(session, "w", [name])

    assert queue.complete(session, job.id, {"rows": 12}, worker_id="w")

    stored = queue.get_job(session, job.id)
    assert stored.status == JobStatus.DONE
    assert stored.result == {"rows": 12}
    assert stored.finished_at is not None


def test_complete_by_a_worker_that_lost_the_job_changes_nothing(
    session: Session, name: str
) -> None:
    job = queue.enqueue(session, name, {})
    queue.claim(session, "w2", [name])

    assert not queue.complete(session, job.id, {}, worker_id="w1")
    assert not queue.fail(session, job.id, "boom", retry=False, worker_id="w1")
    assert queue.get_job(session, job.id).status == JobStatus.RUNNING


def test_fail_retries_with_exponential_backoff_then_gives_up(
    session: Session, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queue.enqueue(session, name, {}, max_attempts=3)
    elapsed = 0.0
    for attempt, backoff in ((1, 2), (2, 4)):
        assert queue.claim(session, "w", [name]) is not None
        before = utc_now()
        assert queue.fail(session, job.id, f"error {attempt}", retry=True)
        stored = queue.get_job(session, job.id)
        assert stored.status == JobStatus.QUEUED
        assert (stored.attempts, stored.error, stored.locked_by) == (
            attempt,
            f"error {attempt}",
            None,
        )
        delay = (stored.run_after - before).total_seconds()
        assert backoff - 1 < delay - elapsed <= backoff + 1
        assert queue.claim(session, "w", [name]) is None  # not due during the backoff
        elapsed += backoff + 0.5
        travel(monkeypatch, elapsed)

    assert queue.claim(session, "w", [name]) is not None
    assert queue.fail(session, job.id, "error 3", retry=True)

    stored = queue.get_job(session, job.id)
    assert (stored.status, stored.attempts, stored.error) == (JobStatus.FAILED, 3, "error 3")
    assert stored.finished_at is not None
    travel(monkeypatch, 3600)
    assert queue.claim(session, "w", [name]) is None


def test_fail_without_retry_is_final(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {}, max_attempts=5)
    queue.claim(session, "w", [name])

    queue.fail(session, job.id, "Traceback ...\nValueError: bad payload", retry=False)

    stored = queue.get_job(session, job.id)
    assert (stored.status, stored.attempts) == (JobStatus.FAILED, 1)
    assert stored.error.endswith("ValueError: bad payload")


def _run_with_heartbeat(session: Session, name: str, heartbeat_age: timedelta, **kw: int) -> Job:
    job = queue.enqueue(session, name, {}, **kw)
    claimed = queue.claim(session, "dead-worker", [name])
    assert claimed is not None
    claimed.heartbeat_at = utc_now() - heartbeat_age
    session.flush()
    return job


def test_requeue_stale_recovers_jobs_of_dead_workers(session: Session, name: str) -> None:
    stale = _run_with_heartbeat(session, name, timedelta(minutes=10))
    exhausted = _run_with_heartbeat(session, name, timedelta(minutes=10), max_attempts=1)
    alive = _run_with_heartbeat(session, name, timedelta(seconds=5))

    assert queue.requeue_stale(session, older_than=timedelta(minutes=5)) == 2

    requeued = queue.get_job(session, stale.id)
    assert (requeued.status, requeued.locked_by, requeued.attempts) == (JobStatus.QUEUED, None, 1)
    given_up = queue.get_job(session, exhausted.id)
    assert given_up.status == JobStatus.FAILED
    assert "no heartbeat" in given_up.error
    assert queue.get_job(session, alive.id).status == JobStatus.RUNNING
    again = queue.claim(session, "w2", [name])
    assert again is not None
    assert again.id == stale.id
    assert again.attempts == 2
    assert queue.requeue_stale(session, older_than=timedelta(minutes=5)) == 0


def test_cancel_queued_and_running_jobs(session: Session, name: str) -> None:
    waiting = queue.enqueue(session, name, {}, priority=1)
    running = queue.enqueue(session, name, {}, priority=2)
    assert queue.claim(session, "w", [name]) is not None  # the running one

    queue.cancel(session, waiting.id)
    queue.cancel(session, running.id)
    queue.cancel(session, running.id)  # again: nothing to do

    assert queue.claim(session, "w", [name]) is None
    assert not queue.complete(session, running.id, {"late": True}, worker_id="w")
    for job_id in (waiting.id, running.id):
        stored = queue.get_job(session, job_id)
        assert stored.status == JobStatus.CANCELLED
        assert stored.finished_at is not None


def test_cancel_refuses_finished_and_unknown_jobs(session: Session, name: str) -> None:
    job = queue.enqueue(session, name, {})
    queue.claim(session, "w", [name])
    queue.complete(session, job.id, {})

    with pytest.raises(Conflict):
        queue.cancel(session, job.id)
    with pytest.raises(NotFound):
        queue.cancel(session, uuid.uuid4())
    with pytest.raises(NotFound):
        queue.get_job(session, uuid.uuid4())


def test_list_and_delete_finished(session: Session, name: str) -> None:
    old_done = queue.enqueue(session, name, {})
    queue.claim(session, "w", [name])
    queue.complete(session, old_done.id, {})
    queue.get_job(session, old_done.id).finished_at = utc_now() - timedelta(days=40)
    fresh = queue.enqueue(session, name, {})
    session.flush()

    listed = [j.id for j in queue.list_jobs(session, limit=1000) if j.name == name]
    assert listed == [fresh.id, old_done.id]
    assert [j.id for j in queue.list_jobs(session, status=JobStatus.DONE, limit=1000)].count(
        old_done.id
    ) == 1

    assert queue.delete_finished(session, older_than=timedelta(days=30)) >= 1
    session.expunge_all()
    assert [j.id for j in queue.list_jobs(session, limit=1000) if j.name == name] == [fresh.id]
