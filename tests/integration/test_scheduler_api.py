"""/api/v1/schedules and /api/v1/jobs: listing, run now, pause/resume, job runs; who may."""

from __future__ import annotations

import uuid
from datetime import time

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from factories import api_as
from kizuna.models.audit import AuditEvent
from kizuna.models.enums import Role
from kizuna.models.job import Job, JobStatus
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler
from kizuna.scheduler.cadence import Cadence


def _schedules(session: Session) -> None:
    scheduler.ensure_schedule(
        session, "test.daily", "test.api.daily", Cadence.daily(time(5, 0)), zone="Asia/Tokyo"
    )
    scheduler.ensure_schedule(session, "test.often", "test.api.often", Cadence.every(15))


def test_list_schedules_for_a_manager(app_client: TestClient, session: Session) -> None:
    _schedules(session)
    api_as(app_client, session, Role.MANAGER)
    body = app_client.get("/api/v1/schedules").json()
    by_key = {s["key"]: s for s in body}
    assert set(by_key) >= {"test.daily", "test.often"}
    daily = by_key["test.daily"]
    assert (daily["cadence"], daily["at"], daily["zone"]) == ("daily", "05:00", "Asia/Tokyo")
    assert daily["description"] == "daily at 05:00"
    assert daily["next_run_at"].endswith(("+00:00", "Z"))
    assert (daily["enabled"], daily["last_status"], daily["consecutive_failures"]) == (
        True,
        None,
        0,
    )
    assert by_key["test.often"]["every_minutes"] == 15


def test_run_now_pause_resume_as_admin(app_client: TestClient, session: Session) -> None:
    _schedules(session)
    admin = api_as(app_client, session, Role.ADMIN)
    ran = app_client.post("/api/v1/schedules/test.daily/run")
    assert ran.status_code == 202, ran.text
    job_id = uuid.UUID(ran.json()["job_id"])
    again = app_client.post("/api/v1/schedules/test.daily/run").json()
    assert again["job_id"] == str(job_id)  # the queued run is reused, not doubled

    paused = app_client.patch("/api/v1/schedules/test.daily", json={"enabled": False})
    assert paused.status_code == 200
    assert paused.json()["enabled"] is False
    resumed = app_client.patch("/api/v1/schedules/test.daily", json={"enabled": True}).json()
    assert resumed["enabled"] is True
    bad = app_client.patch("/api/v1/schedules/test.daily", json={"enabled": True, "x": 1})
    assert bad.status_code == 422
    assert app_client.post("/api/v1/schedules/test.nothing/run").status_code == 404
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "schedule", AuditEvent.actor_user_id == admin.id
        )
    ).all()
    assert sorted(actions) == ["schedule.pause", "schedule.resume", "schedule.run", "schedule.run"]

    job = app_client.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["name"], job["status"], job["singleton_key"]) == (
        "test.api.daily",
        "queued",
        "test.api.daily",
    )
    assert job["payload"] == {}
    assert job["error"] == ""


def test_job_runs_filtered_by_status_and_name(app_client: TestClient, session: Session) -> None:
    done = queue.enqueue(session, "test.api.a", {"n": 1})
    failed = queue.enqueue(session, "test.api.b", {"n": 2}, max_attempts=1)
    queue.enqueue(session, "test.api.a", {"n": 3})
    for job in (done, failed):
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status=JobStatus.RUNNING, started_at=job.created_at, attempts=1)
        )
    queue.complete(session, done.id, {"ok": True})
    queue.fail(session, failed.id, "Traceback …\nline 2\nValueError: nope", retry=False)
    api_as(app_client, session, Role.MANAGER)

    runs = app_client.get("/api/v1/jobs", params={"name": "test.api.a"}).json()
    assert [r["status"] for r in runs] == ["queued", "done"]  # newest first
    assert runs[1]["duration_seconds"] is not None
    assert runs[1]["duration_seconds"] >= 0
    failed_runs = app_client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert [r["id"] for r in failed_runs if r["name"].startswith("test.api.")] == [str(failed.id)]
    assert failed_runs[0]["error_tail"].endswith("ValueError: nope")
    assert len(app_client.get("/api/v1/jobs", params={"limit": 1}).json()) == 1
    assert app_client.get("/api/v1/jobs", params={"limit": 0}).status_code == 422
    assert app_client.get("/api/v1/jobs", params={"status": "lost"}).status_code == 422
    assert app_client.get(f"/api/v1/jobs/{uuid.uuid4()}").status_code == 404


def test_who_may_do_what(app_client: TestClient, session: Session) -> None:
    _schedules(session)
    api_as(app_client, session, Role.CSM)
    assert app_client.get("/api/v1/schedules").status_code == 403
    assert app_client.get("/api/v1/jobs").status_code == 403
    api_as(app_client, session, Role.MANAGER)
    assert app_client.get("/api/v1/jobs").status_code == 200
    assert app_client.post("/api/v1/schedules/test.daily/run").status_code == 403
    assert (
        app_client.patch("/api/v1/schedules/test.daily", json={"enabled": False}).status_code == 403
    )
    api_as(app_client, session, Role.ADMIN, scopes=["read"])
    assert app_client.get("/api/v1/schedules").status_code == 200
    assert app_client.post("/api/v1/schedules/test.daily/run").status_code == 403
